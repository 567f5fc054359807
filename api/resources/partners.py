"""Partners: the vendor's whole list on the console; a partner key reads its own company only."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from api.access import RecordId, not_found, own_partner
from api.auth import need
from api.pagination import ExternalListParams, external_id_of, page_of
from api.schemas import PageOut, Timestamp
from partners import selectors

console = Router(tags=["partners"])
portal = console  # the same operations; the key decides what they see


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


@console.get("", response=PartnerPage, auth=need("partners"), summary="List partners")
def partner_list(request: HttpRequest, params: Query[ExternalListParams]):
    return page_of(selectors.partners_for_sync(partner_id=own_partner(request),
                                               external_id=external_id_of(params.external_id)), params)


@console.get("/{partner_id}", response=PartnerOut, auth=need("partners"), summary="Read a partner")
def partner_read(request: HttpRequest, partner_id: RecordId):
    partner = selectors.partner_for_sync(partner_id, partner_id=own_partner(request))
    if partner is None:
        raise not_found()
    return partner
