"""Who may see a course, a content item or an announcement: one rule, used by every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prm.reads import RowCondition
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


# The rule, written once as SQL over the row's columns: `column(name)` writes a column of the row, `value(name, v)` a
# parameter. The querysets' conditions (audience_condition, …) and the hand-written statements' (audience_sql, …)
# are both written by these; `sees` is the same rule for one object in memory (tests/enablement/test_portal_home.py
# checks the three agree row by row for every kind of viewer).
Column = Callable[[str], str]
Value = Callable[[str, object], str]


def _audience(viewer: Viewer, column: Column, value: Value) -> str:
    """Its partner type is one of the row's (or the row names none), and its tier reaches the row's minimum."""
    types = column("partner_types")
    return (f"({types} = '{{}}' OR {types} @> ARRAY[{value('audience_type', viewer.partner_type)}]::varchar[])"
            f" AND {column('min_tier_rank')} <= {value('audience_rank', viewer.rank)}")


def _content(viewer: Viewer, column: Column, value: Value) -> str:
    """A content item: the audience, published, and gated only for a tier with gated content."""
    sql = f"{_audience(viewer, column, value)} AND {column('is_published')}"
    return sql if viewer.gated_content else f"{sql} AND NOT {column('gated')}"


def _announcement(viewer: Viewer, column: Column, value: Value) -> str:
    """An announcement: the audience, and early access only for a tier with the early roadmap."""
    sql = _audience(viewer, column, value)
    return sql if viewer.early_roadmap else f"{sql} AND NOT {column('early_access')}"


_COLUMNS = {_audience: ("partner_types", "min_tier_rank"),
            _content: ("partner_types", "min_tier_rank", "is_published", "gated"),
            _announcement: ("partner_types", "min_tier_rank", "early_access")}


def _condition(rule: Callable[[Viewer, Column, Value], str], viewer: Viewer) -> RowCondition:
    """A rule as a queryset filter, with positional parameters."""

    def write(column: Column) -> tuple[str, list]:
        params: list[object] = []

        def value(_name: str, given: object) -> str:
            params.append(given)
            return "%s"

        return rule(viewer, column, value), params

    return RowCondition(_COLUMNS[rule], write)


def audience_condition(viewer: Viewer) -> RowCondition:
    """Rows of an `Audience` model (a course, a learning path) this viewer's partner may see: a queryset filter."""
    return _condition(_audience, viewer)


def content_condition(viewer: Viewer) -> RowCondition:
    return _condition(_content, viewer)


def announcement_condition(viewer: Viewer) -> RowCondition:
    return _condition(_announcement, viewer)


def _sql(rule: Callable[[Viewer, Column, Value], str], viewer: Viewer, alias: str) -> tuple[str, dict[str, object]]:
    params: dict[str, object] = {}

    def value(name: str, given: object) -> str:
        params[name] = given
        return f"%({name})s"

    return rule(viewer, lambda name: f"{alias}.{name}", value), params


def audience_sql(viewer: Viewer, alias: str) -> tuple[str, dict[str, object]]:
    """audience_condition on the table alias `alias` of a hand-written statement, with its parameters."""
    return _sql(_audience, viewer, alias)


def content_sql(viewer: Viewer, alias: str) -> tuple[str, dict[str, object]]:
    return _sql(_content, viewer, alias)


def announcement_sql(viewer: Viewer, alias: str) -> tuple[str, dict[str, object]]:
    return _sql(_announcement, viewer, alias)


def sees(obj, viewer: Viewer) -> bool:
    """The same rule as the conditions above, for one object in memory (a course, a content item, an announcement)."""
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
