"""What incentives adds to the console's partner page through the hooks partners offers (connected in apps.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from incentives.models import Payout
from incentives.selectors.partner360 import (
    PayoutLine,
    partner_mdf_later,
    partner_money_later,
    partner_payout_history_read,
)
from partners.models import Partner
from partners.signals import partner_detail_panels, partner_timeline_entries
from partners.timeline import TimelineEntry
from prm.formatting import format_month, format_yen
from prm.paths import path_of_each
from prm.reads import Later, gather


def money_panels(sender, *, request: HttpRequest, partner: Partner, **kwargs) -> Later[SafeString]:
    """Payouts with the balance, and MDF, side by side."""
    today, path = timezone.localdate(), path_of_each("incentives_payout")
    return gather([partner_money_later(partner.pk, today=today), partner_mdf_later(partner, today=today)],
                  lambda made: render_to_string("incentives/_partner_money.html", {
                      "partner": partner, "money": made[0],
                      "payouts": [(payout, path(payout.pk)) for payout in made[0].payouts], "mdf": made[1]}))


def _payout_text(payout: PayoutLine) -> str:
    values = {"month": format_month(payout.period), "amount": format_yen(payout.total)}
    if payout.status == Payout.Status.PAID:
        return _("Payout for %(month)s paid: %(amount)s") % values
    return _("Payout for %(month)s approved: %(amount)s") % values


def payout_timeline(sender, *, partner: Partner, limit: int, **kwargs) -> Later[list[TimelineEntry]]:
    path = path_of_each("incentives_payout")
    return Later([partner_payout_history_read(partner.pk, limit=limit)], lambda payouts: [TimelineEntry(
        at=payout.paid_at or payout.approved_at, icon="cash-coin" if payout.status == Payout.Status.PAID else "cash",
        text=_payout_text(payout), url=path(payout.pk), source="incentives",
    ) for payout in payouts])


def register() -> None:
    partner_detail_panels.connect(money_panels, weak=False, dispatch_uid="incentives.partner_money")
    partner_timeline_entries.connect(payout_timeline, weak=False, dispatch_uid="incentives.partner_timeline")
