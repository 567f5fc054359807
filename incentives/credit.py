"""与信枠: warn when a won deal would take a reseller's open amount past its credit limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from incentives.models import CreditLimit


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
    from deals.models import DealRegistration

    limit = CreditLimit.objects.filter(partner=partner).first()
    if limit is None:
        return None
    since = timezone.localdate() - timedelta(days=limit.settlement_days)
    open_amount = DealRegistration.objects.filter(partner=partner, stage="won", won_on__gte=since).aggregate(
        total=Sum("won_amount"))["total"] or 0
    return CreditCheck(limit.limit, open_amount, open_amount + amount)
