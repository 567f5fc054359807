"""What enablement shows on the console's partner page: certifications and the reps holding them, content
engagement, and the certifications of its timeline. A fixed number of queries however much the partner did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from enablement.models import CertificationAward, ContentAccess
from enablement.selectors import reps_with_valid_certification
from prm import figures

RECENT = 5
ENGAGEMENT_DAYS = 90
EXPIRING_DAYS = 30


@dataclass(frozen=True)
class PartnerLearning:
    certified_reps: int
    window: figures.Window  # of certified reps: the day
    expiring_soon: int  # valid certifications that run out within EXPIRING_DAYS
    awards: list[CertificationAward] = field(default_factory=list)  # the valid ones, newest first


@dataclass(frozen=True)
class PartnerEngagement:
    days: int
    views: int
    downloads: int
    people: int
    top_items: list[dict] = field(default_factory=list)  # {"item_id", "item__title", "n"}


def partner_learning(partner_id: int, *, now: datetime) -> PartnerLearning:
    """Certified reps today (the catalogued figure), the valid certifications and how many run out soon."""
    valid = CertificationAward.objects.filter(partner_id=partner_id, expires_at__gt=now, issued_at__lte=now)
    expiring = valid.filter(expires_at__lte=now + timedelta(days=EXPIRING_DAYS)).count()
    awards = list(valid.select_related("certification").order_by("-issued_at", "-pk")[:RECENT])
    return PartnerLearning(
        certified_reps=reps_with_valid_certification([partner_id], now).get(partner_id, 0),
        window=figures.as_of(timezone.localdate(now)), expiring_soon=expiring, awards=awards)


def partner_engagement(partner_id: int, *, now: datetime) -> PartnerEngagement:
    """Views, downloads and people over the last ENGAGEMENT_DAYS, and the most used items: two queries."""
    recent = ContentAccess.objects.filter(partner_id=partner_id, at__gte=now - timedelta(days=ENGAGEMENT_DAYS))
    totals = recent.aggregate(views=Count("pk", filter=Q(action=ContentAccess.Action.VIEW)),
                              downloads=Count("pk", filter=Q(action=ContentAccess.Action.DOWNLOAD)),
                              people=Count("user_id", distinct=True))
    top = [dict(row) for row in recent.order_by().values("item_id", "item__title").annotate(n=Count("pk"))
           .order_by("-n", "item__title")[:3]]
    return PartnerEngagement(days=ENGAGEMENT_DAYS, views=totals["views"], downloads=totals["downloads"],
                             people=totals["people"], top_items=top)


def partner_certifications_earned(partner_id: int, *, limit: int) -> list[CertificationAward]:
    """The partner's newest certifications, for its timeline (one query)."""
    return list(CertificationAward.objects.filter(partner_id=partner_id).select_related("certification")
                .only("issued_at", "holder_name", "certification__name").order_by("-issued_at", "-pk")[:limit])
