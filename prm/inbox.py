"""What waits for the vendor: the shape every app's inbox selector returns, read in one query per list.

Each app answers "what of mine waits, oldest first" about its own tables (deals.selectors.inbox,
programs.selectors, ...); the console home puts the answers side by side. A list and its total come from one
statement (`count(*) OVER ()` on the limited rows), so the page costs one query per list whether ten items
wait or ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Count, Model, Q, QuerySet, Window

M = TypeVar("M", bound=Model)

SHOWN = 5


@dataclass(frozen=True)
class Waiting(Generic[M]):
    total: int
    items: list[M]


def waiting(queryset: QuerySet[M], *, limit: int = SHOWN) -> Waiting[M]:
    """The first `limit` rows of an ordered queryset and how many match in all."""
    rows = list(queryset.annotate(waiting_total=Window(Count("pk")))[:limit])
    return Waiting(total=rows[0].waiting_total if rows else 0, items=rows)  # type: ignore[attr-defined]


def partner_scope(partner_ids: QuerySet | None, *, field: str = "partner_id") -> Q:
    """Rows of the given partners (a subquery of ids, e.g. the partners a manager owns); None is every partner."""
    return Q() if partner_ids is None else Q(**{f"{field}__in": partner_ids})
