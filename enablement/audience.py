"""Who may see a course, a content item or an announcement: one rule, used by every page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from programs.benefits import Benefits, benefits_for


@dataclass(frozen=True)
class Viewer:
    """What the audience rule needs to know about a partner, read once per request."""

    partner_type: str
    rank: int
    gated_content: bool
    early_roadmap: bool
    tier_name: str | None = None

    @classmethod
    def of(cls, partner) -> Viewer:
        return cls.of_benefits(partner.partner_type, benefits_for(partner))

    @classmethod
    def of_benefits(cls, partner_type: str, benefits: Benefits) -> Viewer:
        return cls(partner_type=partner_type, rank=benefits.rank, gated_content=benefits.gated_content,
                   early_roadmap=benefits.early_roadmap, tier_name=benefits.tier_name)


def audience_q(viewer: Viewer) -> Q:
    """Rows of an `Audience` model this viewer's partner may see (type and minimum tier)."""
    return (Q(partner_types=[]) | Q(partner_types__contains=[viewer.partner_type])) & Q(min_tier_rank__lte=viewer.rank)


def content_q(viewer: Viewer) -> Q:
    q = audience_q(viewer) & Q(is_published=True)
    return q if viewer.gated_content else q & Q(gated=False)


def announcement_q(viewer: Viewer) -> Q:
    q = audience_q(viewer)
    return q if viewer.early_roadmap else q & Q(early_access=False)


def audience_sql(viewer: Viewer, alias: str) -> tuple[str, dict[str, object]]:
    """audience_q as a condition on the table alias `alias` of a hand-written statement, with its parameters."""
    return (f"({alias}.partner_types = '{{}}' OR {alias}.partner_types @> ARRAY[%(audience_type)s]::varchar[])"
            f" AND {alias}.min_tier_rank <= %(audience_rank)s",
            {"audience_type": viewer.partner_type, "audience_rank": viewer.rank})


def content_sql(viewer: Viewer, alias: str) -> tuple[str, dict[str, object]]:
    """content_q as audience_sql gives audience_q."""
    sql, params = audience_sql(viewer, alias)
    sql += f" AND {alias}.is_published"
    return (sql if viewer.gated_content else f"{sql} AND NOT {alias}.gated"), params


def announcement_sql(viewer: Viewer, alias: str) -> tuple[str, dict[str, object]]:
    """announcement_q as audience_sql gives audience_q."""
    sql, params = audience_sql(viewer, alias)
    return (sql if viewer.early_roadmap else f"{sql} AND NOT {alias}.early_access"), params


def sees(obj, viewer: Viewer) -> bool:
    """The same rule as audience_q for one object in memory."""
    if obj.partner_types and viewer.partner_type not in obj.partner_types:
        return False
    if obj.min_tier_rank > viewer.rank:
        return False
    if getattr(obj, "gated", False) and not viewer.gated_content:
        return False
    if getattr(obj, "early_access", False) and not viewer.early_roadmap:
        return False
    return True


def course_required(course, viewer: Viewer) -> bool:
    if viewer.partner_type in course.required_for_types:
        return True
    return course.required_from_tier_rank is not None and viewer.rank >= course.required_from_tier_rank
