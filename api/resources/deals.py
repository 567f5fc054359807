"""Deal registrations: read (the vendor's, or a partner's own), register (a partner key, on the portal), move
along the pipeline, confirm a win (a vendor key) and cancel.

Every write calls the service the pages call (deals.services): the same conflict check under the same
locks, the same timeline, notifications and events. A registration's answer says of the customer only
what the portal's live check says: `none` (this registration holds it) or `taken` (someone else came
first, or the vendor's own sales work it) — never who. A customer the partner registered already is a
422 on `customer_name`, as on the portal.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from api.access import RecordId, not_found, own_partner
from api.auth import need
from api.errors import ApiError, invalid
from api.idempotency import idempotent
from api.pagination import ExternalListParams, external_id_of, page_of
from api.responses import json_response
from api.schemas import ExternalIds, Input, PageOut, Timestamp, Yen
from api.scopes import WRITE
from deals import external_ids, selectors, services
from deals.models import DealRegistration, Priority, Side, Stage
from prm.bounds import MAX_YEN
from prm.params import MAX_ID

console = Router(tags=["deals"])
portal = Router(tags=["deals"])

CustomerStatus = Literal["none", "taken"]
Source = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")]


class DealOut(Schema):
    id: int
    partner_id: int
    customer_name: str
    corporate_number: str
    web_domain: str
    customer_contact_name: str
    customer_contact_email: str
    amount: Yen
    expected_close: date
    stage: str
    customer: CustomerStatus = Field(description="none: this registration holds the customer; taken: another came first")
    product_ids: list[int]
    expires_on: date | None
    won_amount: Yen | None
    won_on: date | None
    reported_won_amount: Yen | None
    reported_won_on: date | None
    cancelled_on: date | None
    lead_id: int | None
    external_ids: dict[str, str]
    registered_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(deal: DealRegistration) -> str:
        return customer_of(deal)

    @staticmethod
    def resolve_product_ids(deal: DealRegistration) -> list[int]:
        return sorted(product.pk for product in deal.products.all())


class DealPage(PageOut):
    items: list[DealOut]


def customer_of(deal: DealRegistration) -> str:
    """What the partner may know: whether its registration holds the customer, nothing about the other one."""
    return "none" if deal.priority == Priority.HOLDER else "taken"


class DealListParams(ExternalListParams):
    stage: Stage | None = None
    partner_id: Annotated[int | None, Field(None, ge=1, le=MAX_ID, description="vendor keys: one partner's")] = None


def deal_list(request: HttpRequest, params: Query[DealListParams]):
    return page_of(selectors.deals_for_sync(partner_id=own_partner(request), stage=params.stage,
                                            listed_partner_id=params.partner_id,
                                            external_id=external_id_of(params.external_id)), params)


def _own_deal(request: HttpRequest, deal_id: int) -> DealRegistration:
    deal = selectors.deal_for_sync(deal_id, partner_id=own_partner(request))
    if deal is None:
        raise not_found()
    return deal


def deal_read(request: HttpRequest, deal_id: RecordId):
    return _own_deal(request, deal_id)


for _router in (console, portal):
    _router.get("", response=DealPage, auth=need("deals"), summary="List deal registrations")(deal_list)
    _router.get("/{deal_id}", response=DealOut, auth=need("deals"), summary="Read a deal registration")(deal_read)


def _answer(deal: DealRegistration, status: int = 200):
    return json_response(DealOut.from_orm(selectors.deal_for_sync(deal.pk)), status)


# --------------------------------------------------------------------------- registering (partner keys)


class DealIn(Input):
    customer_name: Annotated[str, Field(min_length=1, max_length=200)]
    corporate_number: Annotated[str, Field(max_length=30)] = ""
    web_domain: Annotated[str, Field(max_length=254)] = ""
    customer_contact_name: Annotated[str, Field(max_length=150)] = ""
    customer_contact_email: Annotated[str, Field(max_length=254)] = ""
    amount: Annotated[Yen, Field(ge=0, le=MAX_YEN)]
    expected_close: date
    notes: Annotated[str, Field(max_length=5000)] = ""
    product_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(max_length=50)] = []
    role_lead: Side = Side.PARTNER
    role_proposal: Side = Side.PARTNER
    role_contract: Side = Side.PARTNER
    role_billing: Side = Side.PARTNER
    role_support: Side = Side.PARTNER
    external_ids: ExternalIds = {}
    if_taken: Literal["refuse", "register"] = Field(
        "refuse", description="refuse (default): when the customer is taken, store nothing and answer 409; "
                              "register: keep it for the vendor's review, as the portal does")


@portal.post("", response={201: DealOut}, auth=need("deals", WRITE), summary="Register a deal")
@idempotent
def deal_register(request: HttpRequest, payload: DealIn):
    fields = payload.model_dump(exclude={"product_ids", "if_taken"})
    products = selectors.active_products(payload.product_ids)
    if len(products) != len(set(payload.product_ids)):
        raise _invalid("product_ids", _("No active product has one of these ids."))
    if fields["customer_contact_email"]:
        try:
            validate_email(fields["customer_contact_email"])
        except ValidationError:
            raise _invalid("customer_contact_email", _("Enter a valid email address.")) from None
    partner = request.auth.partner
    with transaction.atomic():
        try:
            deal = services.deal_register(partner=partner, user=request.auth.created_by, products=products, **fields)
        except ValidationError as error:
            own = _("Your company has already registered this customer.")
            if not hasattr(error, "error_dict") and own in error.messages:
                # the portal's 'own': this partner holds the customer already; nothing new is stored
                raise ApiError(422, _("The request has invalid fields."), own, code="customer_own",
                               errors=[{"field": "customer_name", "message": own}]) from None
            raise
        except services.NotYetSigned as error:
            raise ApiError(403, _("This partner cannot register deals yet."), str(error), code="not_signed") from None
        except PermissionDenied:
            raise ApiError(403, _("This partner cannot register deals."), code="forbidden") from None
        if customer_of(deal) == "taken" and payload.if_taken == "refuse":
            raise _taken()  # leaving the block rolls the registration, its events and notifications back
    return _answer(deal, 201)


def _taken() -> ApiError:
    return ApiError(409, _("This customer is already taken."),
                   _("Another registration or the vendor's own sales hold this customer; nothing was registered. "
                     "Send if_taken=register to leave it for the vendor's review."), code="customer_taken",
                   errors=[{"field": "customer_name", "message": _("This customer is already taken.")}])


def _invalid(field: str, message: str) -> ApiError:
    return invalid(field, message)


# --------------------------------------------------------------------------- the pipeline


class MoveIn(Input):
    stage: Literal["proposal", "negotiation", "won", "lost", "cancelled"]
    won_amount: Annotated[Yen | None, Field(None, ge=1, le=MAX_YEN)] = None
    won_on: date | None = None
    reason: Annotated[str, Field(max_length=2000)] = ""


def deal_move(request: HttpRequest, deal_id: RecordId, payload: MoveIn):
    """A partner key's move to won reports the win (it waits for the vendor); a vendor key's confirms it."""
    deal = _own_deal(request, deal_id)
    try:
        deal = services.deal_move(deal=deal, actor=request.auth.created_by, **payload.model_dump())
    except PermissionDenied:
        raise _refused_move(deal, payload.stage) from None
    return _answer(deal)


def _refused_move(deal: DealRegistration, stage: str) -> ApiError:
    message = _("A deal that is %(current)s cannot move to %(stage)s.") % {
        "current": deal.get_stage_display(), "stage": Stage(stage).label}
    return ApiError(422, _("The request has invalid fields."), message, code="invalid",
                    errors=[{"field": "stage", "message": message}])


class CancelIn(Input):
    reason: Annotated[str, Field(min_length=1, max_length=2000, description="why; kept on the deal's timeline")]
    cancelled_on: date | None = Field(None, description="a won deal: the day the customer cancelled (解約)")


def deal_cancel(request: HttpRequest, deal_id: RecordId, payload: CancelIn):
    """An open deal is withdrawn (the pipeline's cancelled); a won one (vendor keys) is cancelled by the customer,
    which claws back its commissions."""
    deal = _own_deal(request, deal_id)
    actor = request.auth.created_by
    if deal.stage == Stage.WON and request.auth.is_vendor_key:
        deal = services.deal_cancel_won(deal=deal, actor=actor, cancelled_on=payload.cancelled_on, reason=payload.reason)
    else:
        if payload.cancelled_on is not None:
            raise _invalid("cancelled_on", _("Only a won deal has a cancellation date."))
        try:
            deal = services.deal_move(deal=deal, actor=actor, stage=Stage.CANCELLED, reason=payload.reason)
        except PermissionDenied:
            raise _refused_move(deal, Stage.CANCELLED) from None
    return _answer(deal)


for _router in (console, portal):
    _router.post("/{deal_id}/move", response=DealOut, auth=need("deals", WRITE),
                 summary="Move a deal along the pipeline")(idempotent(deal_move))
    _router.post("/{deal_id}/cancel", response=DealOut, auth=need("deals", WRITE),
                 summary="Cancel a deal")(idempotent(deal_cancel))


# --------------------------------------------------------------------------- decisions and wins (vendor keys)


class WinIn(Input):
    won_amount: Annotated[Yen | None, Field(None, ge=1, le=MAX_YEN,
                                            description="empty: the amount the partner reported")] = None
    won_on: date | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


@console.post("/{deal_id}/win", response=DealOut, auth=need("deals", WRITE), summary="Confirm a win")
@idempotent
def deal_win(request: HttpRequest, deal_id: RecordId, payload: WinIn):
    deal = services.deal_win_confirm(deal=_own_deal(request, deal_id), actor=request.auth.created_by,
                                     **payload.model_dump())
    return _answer(deal)


class DecisionIn(Input):
    reason: Annotated[str, Field(max_length=2000)] = ""


@console.post("/{deal_id}/approve", response=DealOut, auth=need("deals", WRITE), summary="Approve a registration")
@idempotent
def deal_approve(request: HttpRequest, deal_id: RecordId, payload: DecisionIn):
    return _answer(services.deal_approve(deal=_own_deal(request, deal_id), actor=request.auth.created_by,
                                         reason=payload.reason))


@console.post("/{deal_id}/reject", response=DealOut, auth=need("deals", WRITE), summary="Reject a registration")
@idempotent
def deal_reject(request: HttpRequest, deal_id: RecordId, payload: DecisionIn):
    return _answer(services.deal_reject(deal=_own_deal(request, deal_id), actor=request.auth.created_by,
                                        reason=payload.reason))


# --------------------------------------------------------------------------- ids in other systems (vendor keys)


class ExternalIdIn(Input):
    external_id: Annotated[str, Field(max_length=200, description="the deal's id in that system; empty removes it")]


@console.put("/{deal_id}/external-ids/{source}", response=DealOut, auth=need("deals", WRITE),
             summary="Set the deal's id in another system (a CRM's opportunity id)")
def deal_external_id(request: HttpRequest, deal_id: RecordId, source: Source, payload: ExternalIdIn):
    deal = external_ids.deal_external_id_set(deal=_own_deal(request, deal_id), source=source,
                                             external_id=payload.external_id.strip())
    return _answer(deal)
