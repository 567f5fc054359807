"""Direct-sales accounts (vendor keys): the CRM sync path. `PUT /direct-accounts/{source}/{external_id}`
creates or replaces the account the CRM knows by that id (PUT is idempotent by itself, so it needs no
Idempotency-Key): the same keys as the console's form and CSV import (deals.direct), so partners'
registrations of the customer meet it in the conflict check."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from api.access import RecordId, not_found
from api.auth import need
from api.pagination import ExternalListParams, external_id_of, page_of
from api.responses import json_response
from api.schemas import Input, PageOut, Timestamp, Yen
from api.scopes import WRITE
from deals import direct, selectors
from deals.models import DirectAccount, EmployeeBand, JsicMajor
from prm.bounds import MAX_YEN

console = Router(tags=["direct-sales accounts"])
portal = None  # the vendor's own sales are not partners' business

Source = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")]
ExternalId = Annotated[str, Path(min_length=1, max_length=200)]


class OpportunityOut(Schema):
    name: str
    amount: Yen
    expected_close: date | None
    is_open: bool


class DirectAccountOut(Schema):
    id: int
    customer_name: str
    corporate_number: str
    web_domain: str
    owner_email: str | None = None
    industry: str
    employee_band: str
    prefecture: str
    opportunities: list[OpportunityOut]
    external_ids: dict[str, str]
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_owner_email(account: DirectAccount) -> str | None:
        return account.owner.email if account.owner_id else None

    @staticmethod
    def resolve_opportunities(account: DirectAccount) -> list:
        return list(account.opportunities.all())


class DirectAccountPage(PageOut):
    items: list[DirectAccountOut]


class OpportunityIn(Input):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    amount: Annotated[Yen, Field(ge=0, le=MAX_YEN)] = 0
    expected_close: date | None = None
    is_open: bool = True


class DirectAccountIn(Input):
    customer_name: Annotated[str, Field(min_length=1, max_length=200)]
    corporate_number: Annotated[str, Field(max_length=30)] = ""
    web_domain: Annotated[str, Field(max_length=254)] = ""
    owner_email: Annotated[str, Field(max_length=254)] = ""
    industry: JsicMajor | None = None
    employee_band: EmployeeBand | None = None
    prefecture: Annotated[str, Field(max_length=2, pattern=r"^(|0[1-9]|[1-3][0-9]|4[0-7])$")] = ""
    opportunities: Annotated[list[OpportunityIn], Field(max_length=100)] = []


@console.get("", response=DirectAccountPage, auth=need("direct_accounts"), summary="List direct-sales accounts")
def account_list(request: HttpRequest, params: Query[ExternalListParams]):
    return page_of(selectors.direct_accounts_for_sync(external_id=external_id_of(params.external_id)), params)


@console.get("/{account_id}", response=DirectAccountOut, auth=need("direct_accounts"),
             summary="Read a direct-sales account")
def account_read(request: HttpRequest, account_id: RecordId):
    account = selectors.direct_account_for_sync(account_id)
    if account is None:
        raise not_found()
    return account


@console.put("/{source}/{external_id}", response={200: DirectAccountOut, 201: DirectAccountOut},
             auth=need("direct_accounts", WRITE), summary="Create or replace the account a CRM knows by this id")
def account_upsert(request: HttpRequest, source: Source, external_id: ExternalId, payload: DirectAccountIn):
    fields = payload.model_dump(exclude={"opportunities"})
    fields["employee_band"] = fields["employee_band"] or ""
    fields["industry"] = fields["industry"] or ""
    opportunities = [direct.Opportunity(**item.model_dump()) for item in payload.opportunities]
    account, created = direct.direct_account_upsert(source=source, external_id=external_id,
                                                    opportunities=opportunities, **fields)
    return json_response(DirectAccountOut.from_orm(selectors.direct_account_for_sync(account.pk)), 201 if created else 200)
