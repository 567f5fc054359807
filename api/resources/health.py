"""Health scores (read, vendor keys only): the current 0–100 score, band and explained components."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from api.auth import need
from api.pagination import ListParams, page_of
from api.schemas import PageOut, Timestamp
from insights import selectors

console = Router(tags=["health"])
portal = None  # the vendor's view of its partners; not a partner's to read


class HealthScoreOut(Schema):
    partner_id: int
    score: int
    band: str
    previous_score: int | None
    previous_band: str
    components: dict
    computed_at: Timestamp
    updated_at: Timestamp


class HealthScorePage(PageOut):
    items: list[HealthScoreOut]


@console.get("", response=HealthScorePage, auth=need("health"), summary="List health scores")
def health_list(request: HttpRequest, params: Query[ListParams]):
    return page_of(selectors.health_scores_for_sync(), params)
