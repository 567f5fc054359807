"""Partners: the vendor's whole list on the console; a partner key reads its own company only.
A vendor key may set a partner's external_ids (the CRM's account id), through partners.services."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from api.access import RecordId, not_found, own_partner
from api.auth import need
from api.pagination import ExternalListParams, external_id_of, page_of
from api.schemas import ExternalIds, Input, PageOut, Timestamp
from api.scopes import WRITE
from partners import selectors, services

console = Router(tags=["partners"])
portal = Router(tags=["partners"])  # the reads only; the key decides what they see


class PartnerOut(Schema):
    id: int
    name: str
    name_kana: str
    partner_type: str
    stage: str
    parent_id: int | None
    prefectures: list[str]
    industries: list[str]
    corporate_number: str
    invoice_number: str
    website: str
    phone: str
    external_ids: dict[str, str]
    created_at: Timestamp
    updated_at: Timestamp


class PartnerPage(PageOut):
    items: list[PartnerOut]


class ExternalIdsIn(Input):
    external_ids: Annotated[ExternalIds, Field(description="source → id, merged into the partner's ids")]


def partner_list(request: HttpRequest, params: Query[ExternalListParams]):
    return page_of(selectors.partners_for_sync(partner_id=own_partner(request),
                                               external_id=external_id_of(params.external_id)), params)


def partner_read(request: HttpRequest, partner_id: RecordId):
    partner = selectors.partner_for_sync(partner_id, partner_id=own_partner(request))
    if partner is None:
        raise not_found()
    return partner


for router in (console, portal):
    router.get("", response=PartnerPage, auth=need("partners"), summary="List partners")(partner_list)
    router.get("/{partner_id}", response=PartnerOut, auth=need("partners"), summary="Read a partner")(partner_read)


@console.patch("/{partner_id}/external-ids", response=PartnerOut, auth=need("partners", WRITE),
               summary="Set a partner's external ids")
def partner_external_ids_set(request: HttpRequest, partner_id: RecordId, payload: ExternalIdsIn):
    """PATCH: merges (repeating it changes nothing more, so it needs no Idempotency-Key)."""
    partner = selectors.partner_for_sync(partner_id, partner_id=own_partner(request))
    if partner is None:
        raise not_found()
    return services.partner_external_ids_set(partner=partner, actor=request.auth.created_by,
                                             external_ids=payload.external_ids)
