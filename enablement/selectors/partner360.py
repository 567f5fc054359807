"""What enablement shows on the console's partner page: certifications and the reps holding them, content
engagement, and the certifications of its timeline. A fixed number of queries however much the partner did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from enablement.models import ContentAccess
from enablement.selectors import reps_with_valid_certification_read
from prm import figures
from prm.reads import Later, Read

RECENT = 5
ENGAGEMENT_DAYS = 90
EXPIRING_DAYS = 30


@dataclass(frozen=True)
class AwardLine:
    """A certification award as the partner page lists it."""

    issued_at: datetime
    expires_at: datetime
    holder_name: str
    certification_id: int
    certification_name: str


@dataclass(frozen=True)
class PartnerLearning:
    certified_reps: int
    window: figures.Window  # of certified reps: the day
    expiring_soon: int  # valid certifications that run out within EXPIRING_DAYS
    awards: list[AwardLine] = field(default_factory=list)  # the valid ones, newest first


@dataclass(frozen=True)
class PartnerEngagement:
    days: int
    views: int
    downloads: int
    people: int
    top_items: list[dict] = field(default_factory=list)  # {"item_id", "item__title", "n"}


def partner_learning(partner_id: int, *, now: datetime) -> PartnerLearning:
    """Certified reps today (the catalogued figure), the valid certifications and how many run out soon."""
    return partner_learning_later(partner_id, now=now).run()


def partner_learning_later(partner_id: int, *, now: datetime) -> Later[PartnerLearning]:
    """partner_learning's two statements, for a page that sends them with others (prm.reads.resolve)."""
    # The latest valid ones, and how many of all valid ones run out soon (counted before the limit): one statement.
    awards = Read("""
        SELECT a.issued_at, a.expires_at, a.holder_name, a.certification_id, c.name,
               count(*) FILTER (WHERE a.expires_at <= %(soon)s) OVER ()
          FROM enablement_certificationaward a JOIN enablement_certification c ON c.id = a.certification_id
         WHERE a.partner_id = %(partner)s AND a.issued_at <= %(now)s AND a.expires_at > %(now)s
         ORDER BY a.issued_at DESC, a.id DESC LIMIT %(recent)s""", {
        "partner": partner_id, "now": now, "soon": now + timedelta(days=EXPIRING_DAYS), "recent": RECENT}, list)

    def made(rows: list[tuple], certified: dict[int, int]) -> PartnerLearning:
        return PartnerLearning(
            certified_reps=certified.get(partner_id, 0), window=figures.as_of(timezone.localdate(now)),
            expiring_soon=rows[0][-1] if rows else 0, awards=[AwardLine(*row[:-1]) for row in rows])

    return Later([awards, reps_with_valid_certification_read([partner_id], now)], made)


def partner_engagement(partner_id: int, *, now: datetime) -> PartnerEngagement:
    """Views, downloads and people over the last ENGAGEMENT_DAYS, and the most used items: two statements."""
    return partner_engagement_later(partner_id, now=now).run()


def partner_engagement_later(partner_id: int, *, now: datetime) -> Later[PartnerEngagement]:
    """partner_engagement's two statements, for a page that sends them with others (prm.reads.resolve)."""
    params = {"partner": partner_id, "since": now - timedelta(days=ENGAGEMENT_DAYS),
              "view": ContentAccess.Action.VIEW.value, "download": ContentAccess.Action.DOWNLOAD.value}
    totals = Read("""
        SELECT count(*) FILTER (WHERE a.action = %(view)s), count(*) FILTER (WHERE a.action = %(download)s),
               count(DISTINCT a.user_id)
          FROM enablement_contentaccess a WHERE a.partner_id = %(partner)s AND a.at >= %(since)s""", params,
                  lambda rows: rows[0])
    top = Read("""
        SELECT a.item_id, i.title, count(*) AS n
          FROM enablement_contentaccess a JOIN enablement_contentitem i ON i.id = a.item_id
         WHERE a.partner_id = %(partner)s AND a.at >= %(since)s
         GROUP BY a.item_id, i.title ORDER BY n DESC, i.title LIMIT 3""", params,
               lambda rows: [{"item_id": item_id, "item__title": title, "n": n} for item_id, title, n in rows])

    def made(counts: tuple, items: list[dict]) -> PartnerEngagement:
        views, downloads, people = counts
        return PartnerEngagement(days=ENGAGEMENT_DAYS, views=views, downloads=downloads, people=people,
                                 top_items=items)

    return Later([totals, top], made)


def partner_certifications_earned(partner_id: int, *, limit: int) -> list[AwardLine]:
    """The partner's newest certifications, for its timeline (one statement)."""
    return partner_certifications_earned_read(partner_id, limit=limit).run()


def partner_certifications_earned_read(partner_id: int, *, limit: int) -> Read[list[AwardLine]]:
    """partner_certifications_earned's statement, for a page that sends it with others (prm.reads.Later)."""
    return Read("""
        SELECT a.issued_at, a.expires_at, a.holder_name, a.certification_id, c.name
          FROM enablement_certificationaward a JOIN enablement_certification c ON c.id = a.certification_id
         WHERE a.partner_id = %(partner)s
         ORDER BY a.issued_at DESC, a.id DESC LIMIT %(limit)s""", {"partner": partner_id, "limit": limit},
        lambda rows: [AwardLine(*row) for row in rows])
