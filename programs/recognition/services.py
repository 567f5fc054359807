"""Recognition writes: publishing an award the data decided, and withdrawing it."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.access import require_vendor_staff
from prm import messages as msg
from prm.accounts.models import User
from prm.notifications.services import notify
from prm.tenancy.urls import reverse_path
from programs.recognition import selectors
from programs.recognition_models import Award, AwardKind


def award_publish(*, kind: str, actor: User, today: date | None = None) -> Award:
    """Publish the MVP of last month or the rookie of this fiscal year, as the data decides it now.

    One published award per kind and period; the winner's colleagues are told.
    """
    require_vendor_staff(actor)
    if kind not in AwardKind.values:
        raise ValidationError(_("Unknown award."))
    today = today or timezone.localdate()
    period = selectors.mvp_period(today) if kind == AwardKind.MVP else selectors.rookie_period(today)
    label = AwardKind(kind).label
    if selectors.published_award(kind, period) is not None:
        raise ValidationError(_("%(award)s for %(period)s is already published. Withdraw it first to publish "
                                "another.") % {"award": label, "period": period.label})
    winner = selectors.mvp_of(period) if kind == AwardKind.MVP else selectors.rookie_of(period)
    if winner is None:
        raise ValidationError(_("No partner qualifies for %(award)s for %(period)s yet.")
                              % {"award": label, "period": period.label})
    try:
        with transaction.atomic():
            award = Award.objects.create(kind=kind, period_start=period.start, period_end=period.end,
                                         partner_id=winner.partner_id, revenue=winner.revenue,
                                         won_deals=winner.won_deals, published_by=actor, published_at=timezone.now())
            _congratulate(award)
    except IntegrityError as error:  # someone else published it at the same moment
        raise ValidationError(_("%(award)s for %(period)s is already published.")
                              % {"award": label, "period": period.label}) from error
    return award


def _congratulate(award: Award) -> None:
    partner = award.partner
    colleagues = User.objects.filter(partner_membership__partner=partner, is_active=True)
    url = reverse_path("portal_recognition", "portal")
    period_start = award.period_start

    from programs.recognition.periods import period_containing

    kind = "month" if award.kind == AwardKind.MVP else "year"
    period = period_containing(kind, period_start, selectors.start_month())
    when = (msg.month(period.start) if kind == "month"
            else msg.text("period.fiscal_year", year=period.fiscal_year).stored())
    name = msg.label("award_kind", award.kind)
    notify(users=colleagues, kind="award_published", url=url,
           message=(msg.text("award.published", award=name),
                    msg.text("award.published.body", partner=partner.name, award=name, period=when)))


@transaction.atomic
def award_withdraw(*, award: Award, actor: User) -> Award:
    require_vendor_staff(actor)
    award = Award.objects.select_for_update().get(pk=award.pk)
    if award.withdrawn_at is not None:
        raise ValidationError(_("This award was already withdrawn."))
    award.withdrawn_at, award.withdrawn_by = timezone.now(), actor
    award.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return award
