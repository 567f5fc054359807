"""What deals adds to the console's partner page through the hooks partners offers (connected in apps.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from deals.selectors.partner360 import partner_deal_events_read, partner_deals_later
from deals.templatetags.deals_tags import describe_event
from partners.models import Partner
from partners.signals import partner_detail_panels, partner_timeline_entries
from partners.timeline import TimelineEntry
from prm.paths import path_of_each
from prm.reads import Later

ICONS = {"registered": "briefcase", "approved": "check2-circle", "rejected": "x-circle", "win_confirmed": "trophy",
         "win_reported": "flag", "expired": "hourglass-bottom", "win_cancelled": "x-octagon"}


def deals_panel(sender, *, request: HttpRequest, partner: Partner, **kwargs) -> Later[SafeString]:
    """Pipeline, wins and revenue of the partner, with its latest deals."""
    path = path_of_each("deal_detail")
    return partner_deals_later(partner.pk, today=timezone.localdate()).then(lambda deals: render_to_string(
        "deals/_partner_deals.html", {
            "deals": deals, "partner": partner, "recent_open": [(deal, path(deal.pk)) for deal in deals.recent_open],
            "recent_won": [(deal, path(deal.pk)) for deal in deals.recent_won]}))


def deal_timeline(sender, *, partner: Partner, limit: int, **kwargs) -> Later[list[TimelineEntry]]:
    path = path_of_each("deal_detail")
    return Later([partner_deal_events_read(partner.pk, limit=limit)], lambda events: [TimelineEntry(
        at=event.occurred_at, icon=ICONS.get(event.kind, "briefcase"),
        text=_("%(customer)s: %(event)s") % {"customer": event.customer_name, "event": describe_event(event.kind, event.data)},
        url=path(event.deal_id), actor=event.actor,
        source="deals") for event in events])


def register() -> None:
    partner_detail_panels.connect(deals_panel, weak=False, dispatch_uid="deals.partner_deals")
    partner_timeline_entries.connect(deal_timeline, weak=False, dispatch_uid="deals.partner_timeline")
