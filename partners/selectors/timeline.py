"""A partner's timeline: its own events merged by time with what the apps above it report through
`partners.signals.partner_timeline_entries` (deal events, certifications, tier changes, payouts)."""

from __future__ import annotations

from typing import cast

from partners import signals
from partners.models import Partner, PartnerEvent
from partners.timeline import TimelineEntry, entry_of


def timeline_entries(partner: Partner, *, limit: int) -> list[TimelineEntry]:
    """The newest `limit` entries of every source, newest first: one query per source, whatever the history."""
    own = (PartnerEvent.objects.filter(partner=partner).select_related("actor")
           .only("kind", "occurred_at", "data", "actor__full_name", "actor__email").order_by("-occurred_at", "-pk"))
    entries = [entry_of(event) for event in own[:limit]]
    for _receiver, answer in signals.partner_timeline_entries.send(sender=Partner, partner=partner, limit=limit):
        entries.extend(cast(list[TimelineEntry], answer or [])[:limit])
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


MAX_PAGES = 40  # each page reads every source up to its end: deeper history is on the owners' own pages


def timeline_page(partner: Partner, *, page: int, per_page: int = 50) -> tuple[list[TimelineEntry], bool]:
    """Page `page` (from 1) of the merged timeline, and whether an older page follows."""
    page = min(max(page, 1), MAX_PAGES)
    entries = timeline_entries(partner, limit=page * per_page + 1)
    return entries[(page - 1) * per_page:page * per_page], len(entries) > page * per_page and page < MAX_PAGES
