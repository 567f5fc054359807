"""Leads the vendor passes to partners (リード提供): a vendor key creates and reads leads; a partner key reads
the offers made to its partner and accepts or declines them. The services are deals.leads', as on the pages:
a new lead is offered to the next partner by the vendor's rule, an accepted one becomes a deal registration."""

from __future__ import annotations

from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from api.access import RecordId, not_found, own_partner
from api.auth import need
from api.errors import invalid
from api.idempotency import idempotent
from api.pagination import ExternalListParams, ListParams, external_id_of, page_of
from api.responses import created, json_response
from api.schemas import ExternalIds, Input, PageOut, Timestamp, Yen
from api.scopes import WRITE
from deals import leads, selectors
from deals.models import Lead, LeadOffer
from partners import japan
from prm.bounds import MAX_YEN
from prm.params import MAX_ID

console = Router(tags=["leads"])
portal = Router(tags=["leads"])


class OfferOut(Schema):
    id: int
    lead_id: int
    partner_id: int
    status: str
    offered_at: Timestamp
    expires_at: Timestamp
    responded_at: Timestamp | None
    reason: str


class LeadOut(Schema):
    id: int
    customer_name: str
    corporate_number: str
    web_domain: str
    contact_name: str
    contact_email: str
    prefecture: str
    amount: Yen
    source: str
    notes: str
    status: str
    accepted_by_id: int | None = None
    deal_id: int | None = None
    product_ids: list[int]
    offers: list[OfferOut]
    external_ids: dict[str, str]
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_product_ids(lead: Lead) -> list[int]:
        return sorted(product.pk for product in lead.products.all())

    @staticmethod
    def resolve_offers(lead: Lead) -> list[LeadOffer]:
        return list(lead.offers.all())

    @staticmethod
    def resolve_deal_id(lead: Lead) -> int | None:
        deal = getattr(lead, "deal", None) if lead.status == "accepted" else None
        return deal.pk if deal is not None else None


class LeadPage(PageOut):
    items: list[LeadOut]


class LeadIn(Input):
    customer_name: Annotated[str, Field(min_length=1, max_length=200)]
    corporate_number: Annotated[str, Field(max_length=30)] = ""
    web_domain: Annotated[str, Field(max_length=254)] = ""
    contact_name: Annotated[str, Field(max_length=150)] = ""
    contact_email: Annotated[str, Field(max_length=254)] = ""
    prefecture: Annotated[str, Field(max_length=10, description="JIS code (13) or name (東京都)")] = ""
    amount: Annotated[Yen, Field(ge=0, le=MAX_YEN)] = 0
    source: Annotated[str, Field(max_length=100)] = ""
    notes: Annotated[str, Field(max_length=5000)] = ""
    product_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(max_length=50)] = []
    external_ids: ExternalIds = {}


@console.get("", response=LeadPage, auth=need("leads"), summary="List leads")
def lead_list(request: HttpRequest, params: Query[ExternalListParams]):
    return page_of(selectors.leads_for_sync(external_id=external_id_of(params.external_id)), params)


@console.get("/{lead_id}", response=LeadOut, auth=need("leads"), summary="Read a lead")
def lead_read(request: HttpRequest, lead_id: RecordId):
    lead = selectors.lead_for_sync(lead_id)
    if lead is None:
        raise not_found()
    return lead


@console.post("", response={201: LeadOut}, auth=need("leads", WRITE), summary="Create a lead and offer it")
@idempotent
def lead_create(request: HttpRequest, payload: LeadIn):
    fields = payload.model_dump(exclude={"product_ids"})
    products = selectors.active_products(payload.product_ids)
    if len(products) != len(set(payload.product_ids)):
        raise invalid("product_ids", _("No active product has one of these ids."))
    number = japan.normalise_corporate_number(fields["corporate_number"])
    if number and not japan.is_valid_corporate_number(number):
        raise invalid("corporate_number",
                      _("Enter the 13-digit corporate number (法人番号); its check digit does not match."))
    fields["corporate_number"] = number
    if fields["prefecture"]:
        code = japan.prefecture_code(fields["prefecture"])
        if not code:
            raise invalid("prefecture", _("Unknown prefecture."))
        fields["prefecture"] = code
    if fields["contact_email"]:
        try:
            validate_email(fields["contact_email"])
        except ValidationError:
            raise invalid("contact_email", _("Enter a valid email address.")) from None
    lead = leads.lead_create(actor=request.auth.created_by, products=products, **fields)
    leads.lead_offer_next(lead=lead)
    return created(LeadOut.from_orm(selectors.lead_for_sync(lead.pk)))


# --------------------------------------------------------------------------- a partner's offers


class OfferDetail(OfferOut):
    # The lead's own fields, read through the offer (django-ninja resolves a dotted alias on the object).
    customer_name: str = Field(alias="lead.customer_name")
    corporate_number: str = Field(alias="lead.corporate_number")
    web_domain: str = Field(alias="lead.web_domain")
    contact_name: str = Field(alias="lead.contact_name")
    contact_email: str = Field(alias="lead.contact_email")
    prefecture: str = Field(alias="lead.prefecture")
    amount: Yen = Field(alias="lead.amount")
    notes: str = Field(alias="lead.notes")
    deal_id: int | None = None

    @staticmethod
    def resolve_deal_id(offer: LeadOffer) -> int | None:
        if offer.status != LeadOffer.Status.ACCEPTED:
            return None
        deal = getattr(offer.lead, "deal", None)
        return deal.pk if deal is not None and deal.partner_id == offer.partner_id else None


class OfferPage(PageOut):
    items: list[OfferDetail]


class OfferListParams(ListParams):
    status: Literal["pending", "accepted", "declined", "expired"] | None = None


@portal.get("/offers", response=OfferPage, auth=need("leads"), summary="List the lead offers made to this partner")
def offer_list(request: HttpRequest, params: Query[OfferListParams]):
    """Ordered by the last change an offer records: its answer, else when it was made (an offer that ran out
    keeps its time of offer; read `expires_at`)."""
    return page_of(selectors.lead_offers_for_partner(partner_id=own_partner(request), status=params.status), params,
                   field="changed_at")


def _own_offer(request: HttpRequest, offer_id: int) -> LeadOffer:
    offer = selectors.lead_offer_for_partner(offer_id, partner_id=own_partner(request))
    if offer is None:
        raise not_found()
    return offer


@portal.get("/offers/{offer_id}", response=OfferDetail, auth=need("leads"), summary="Read a lead offer")
def offer_read(request: HttpRequest, offer_id: RecordId):
    return _own_offer(request, offer_id)


class AnswerIn(Input):
    action: Literal["accept", "decline"]
    reason: Annotated[str, Field(max_length=2000)] = ""


@portal.post("/offers/{offer_id}/answer", response=OfferDetail, auth=need("leads", WRITE),
             summary="Accept (registers the deal) or decline a lead offer")
@idempotent
def offer_answer(request: HttpRequest, offer_id: RecordId, payload: AnswerIn):
    offer = _own_offer(request, offer_id)
    try:
        leads.lead_respond(offer=offer, actor=request.auth.created_by, accept=payload.action == "accept",
                           reason=payload.reason)
    except PermissionDenied:
        raise not_found() from None
    return json_response(OfferDetail.from_orm(_own_offer(request, offer_id)))
