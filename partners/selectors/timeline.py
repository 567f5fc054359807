"""A partner's timeline: its own events merged by time with what the apps above it report through
`partners.signals.partner_timeline_entries` (deal events, certifications, tier changes, payouts)."""

from __future__ import annotations

import json
from typing import cast

from partners import signals
from partners.models import Partner
from partners.timeline import EventLine, TimelineEntry, entry_of
from prm.accounts.models import short_name
from prm.reads import Later, Read, gather


def timeline_entries(partner: Partner, *, limit: int) -> list[TimelineEntry]:
    """The newest `limit` entries of every source, newest first: one query per source, whatever the history."""
    return timeline_later(partner, limit=limit).run()


_OWN_SQL = """
        SELECT e.kind, e.occurred_at, e.data, e.actor_id, u.full_name, u.email
          FROM partners_partnerevent e LEFT JOIN accounts_user u ON u.id = e.actor_id
         WHERE e.partner_id = %(partner)s
         ORDER BY e.occurred_at DESC, e.id DESC LIMIT %(limit)s"""


def timeline_later(partner: Partner, *, limit: int) -> Later[list[TimelineEntry]]:
    """timeline_entries with every source's statement sent in one round trip (a source answers with its entries or
    with a prm.reads.Later of them); for a page that runs them with its other sections' (prm.reads.resolve)."""
    own = Read(_OWN_SQL, {"partner": partner.pk, "limit": limit}, lambda rows: [
        entry_of(EventLine(kind, occurred_at, json.loads(data or "null") or {},
                           short_name(full_name, email) if actor_id else ""))
        for kind, occurred_at, data, actor_id, full_name, email in rows])
    sources = [answer for _receiver, answer in signals.partner_timeline_entries.send(
        sender=Partner, partner=partner, limit=limit)]

    def merged(answers: list) -> list[TimelineEntry]:
        entries = list(answers[0])
        for answer in answers[1:]:
            entries.extend(cast(list[TimelineEntry], answer or [])[:limit])
        entries.sort(key=lambda entry: entry.at, reverse=True)
        return entries[:limit]

    return gather([own, *sources], merged)


MAX_PAGES = 40  # each page reads every source up to its end: deeper history is on the owners' own pages


def timeline_page(partner: Partner, *, page: int, per_page: int = 50) -> tuple[list[TimelineEntry], bool]:
    """Page `page` (from 1) of the merged timeline, and whether an older page follows."""
    page = min(max(page, 1), MAX_PAGES)
    entries = timeline_entries(partner, limit=page * per_page + 1)
    return entries[(page - 1) * per_page:page * per_page], len(entries) > page * per_page and page < MAX_PAGES
