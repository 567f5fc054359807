"""Payouts and the ledger lines they pay (read): the vendor's all, a partner key its own."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema

from api.access import RecordId, not_found, own_partner
from api.auth import need
from api.pagination import ListParams, page_of
from api.schemas import PageOut, Timestamp, Yen
from incentives import selectors

console = Router(tags=["payouts"])
portal = console


class PayoutOut(Schema):
    id: int
    partner_id: int
    period: date
    status: str
    commissions: Yen
    offset: Yen
    mdf: Yen
    subtotal: Yen
    tax: Yen
    total: Yen
    carry_forward: Yen
    close_date: date
    due_date: date
    payee_name: str
    payee_invoice_number: str
    approved_at: Timestamp | None
    paid_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class PayoutPage(PageOut):
    items: list[PayoutOut]


class PayoutLineOut(Schema):
    id: int
    partner_id: int
    event_id: str
    rule_id: str
    plan: str
    plan_version: int
    adjustment: int
    amount: Yen
    period: date
    event_date: date
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_plan(obj) -> str:
        return obj.plan_version.plan.name

    @staticmethod
    def resolve_plan_version(obj) -> int:
        return obj.plan_version.number


class PayoutLinePage(PageOut):
    items: list[PayoutLineOut]


@console.get("", response=PayoutPage, auth=need("payouts"), summary="List payouts")
def payout_list(request: HttpRequest, params: Query[ListParams]):
    return page_of(selectors.payouts_for_sync(partner_id=own_partner(request)), params)


@console.get("/{payout_id}", response=PayoutOut, auth=need("payouts"), summary="Read a payout")
def payout_read(request: HttpRequest, payout_id: RecordId):
    payout = selectors.payout_for_sync(payout_id, partner_id=own_partner(request))
    if payout is None:
        raise not_found()
    return payout


@console.get("/{payout_id}/lines", response=PayoutLinePage, auth=need("payouts"), summary="List a payout's lines")
def payout_line_list(request: HttpRequest, payout_id: RecordId, params: Query[ListParams]):
    payout = selectors.payout_for_sync(payout_id, partner_id=own_partner(request))
    if payout is None:
        raise not_found()
    return page_of(selectors.payout_lines_for_sync(payout), params)
