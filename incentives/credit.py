"""与信枠: warn when a won deal would take a reseller's open amount past its credit limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import audit
from incentives.models import CreditLimit
from partners.access import require_vendor_staff
from prm.bounds import MAX_YEN

MAX_SETTLEMENT_DAYS = 365


@dataclass(frozen=True)
class CreditCheck:
    limit: int
    open_amount: int
    after: int

    @property
    def exceeded(self) -> bool:
        return self.after > self.limit


def check(partner, amount: int) -> CreditCheck | None:
    """None when the partner has no credit limit. Open amount: deals won within the settlement days."""
    from deals.selectors import won_revenue

    limit = CreditLimit.objects.filter(partner=partner).first()
    if limit is None:
        return None
    since = timezone.localdate() - timedelta(days=limit.settlement_days)
    # No end: a win dated ahead of today is already owed.
    open_amount = won_revenue([partner.pk], since, date.max).get(partner.pk, 0)
    return CreditCheck(limit.limit, open_amount, open_amount + amount)


def limits():
    """Every partner's credit limit, by partner name (kana)."""
    return CreditLimit.objects.select_related("partner").order_by("partner__name_kana", "partner__name", "pk")


@transaction.atomic
def credit_limit_set(*, actor, partner, limit: int, settlement_days: int) -> CreditLimit:
    """A vendor admin sets (or changes) a partner's 与信枠; audited with before → after."""
    require_vendor_staff(actor, admin=True)
    errors = {}
    if not 0 <= limit <= MAX_YEN:
        errors["limit"] = _("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": MAX_YEN}
    if not 1 <= settlement_days <= MAX_SETTLEMENT_DAYS:
        errors["settlement_days"] = _("Enter a number of days from 1 to %(max)s.") % {"max": MAX_SETTLEMENT_DAYS}
    if errors:
        raise ValidationError(errors)
    row = CreditLimit.objects.select_for_update().filter(partner=partner).first()
    before = {"limit": row.limit, "settlement_days": row.settlement_days} if row else None
    after = {"limit": limit, "settlement_days": settlement_days}
    if before == after:
        return row
    if row is None:
        row = CreditLimit.objects.create(partner=partner, **after)
    else:
        row.limit, row.settlement_days = limit, settlement_days
        row.save(update_fields=["limit", "settlement_days"])
    audit.record(actor=actor, action="credit_limit_changed", obj=row, partner=partner.name, before=before, after=after)
    return row


@transaction.atomic
def credit_limit_remove(*, actor, partner) -> None:
    require_vendor_staff(actor, admin=True)
    row = CreditLimit.objects.select_for_update().filter(partner=partner).first()
    if row is None:
        return
    audit.record(actor=actor, action="credit_limit_changed", obj=row, partner=partner.name,
                 before={"limit": row.limit, "settlement_days": row.settlement_days}, after=None)
    row.delete()
