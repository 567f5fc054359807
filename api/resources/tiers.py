"""Tiers: each partner's current tier, and the history of upgrades and downgrades (read)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from api.access import own_partner
from api.auth import need
from api.pagination import ListParams, page_of
from api.schemas import PageOut, Timestamp
from programs import selectors

console = Router(tags=["tiers"])
portal = console


class TierRef(Schema):
    id: int
    code: str
    name: str
    rank: int
    program: str


def _tier(tier) -> dict | None:
    if tier is None:
        return None
    return {"id": tier.pk, "code": tier.code, "name": tier.name, "rank": tier.rank,
            "program": tier.program.name if hasattr(tier, "program") else ""}


class PartnerTierOut(Schema):
    partner_id: int
    tier: TierRef | None
    since: Timestamp
    evaluated_at: Timestamp | None
    updated_at: Timestamp

    @staticmethod
    def resolve_tier(obj) -> dict | None:
        return _tier(obj.tier)


class PartnerTierPage(PageOut):
    items: list[PartnerTierOut]


class TierChangeOut(Schema):
    id: int
    partner_id: int
    direction: str
    status: str
    from_tier_id: int | None
    from_tier_name: str | None
    to_tier_id: int | None
    to_tier_name: str | None
    detected_at: Timestamp
    eligible_at: Timestamp
    decided_at: Timestamp | None
    reason: str
    updated_at: Timestamp

    @staticmethod
    def resolve_from_tier_name(obj) -> str | None:
        return obj.from_tier.name if obj.from_tier else None

    @staticmethod
    def resolve_to_tier_name(obj) -> str | None:
        return obj.to_tier.name if obj.to_tier else None


class TierChangePage(PageOut):
    items: list[TierChangeOut]


@console.get("", response=PartnerTierPage, auth=need("tiers"), summary="List partners' current tiers")
def tier_list(request: HttpRequest, params: Query[ListParams]):
    return page_of(selectors.partner_tiers_for_sync(partner_id=own_partner(request)), params)


@console.get("/history", response=TierChangePage, auth=need("tiers"), summary="List tier changes")
def tier_history(request: HttpRequest, params: Query[ListParams]):
    return page_of(selectors.tier_changes_for_sync(partner_id=own_partner(request)), params)
