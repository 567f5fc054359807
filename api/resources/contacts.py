"""Contacts: read (the vendor's, or a partner's own) and create through partners.services.contact_save,
the same rule the console's and portal's contact forms use (one address per partner)."""

from __future__ import annotations

from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from api.access import RecordId, not_found, own_partner
from api.auth import need
from api.errors import invalid
from api.idempotency import idempotent
from api.pagination import ExternalListParams, external_id_of, page_of
from api.responses import created
from api.schemas import ExternalIds, Input, PageOut, Timestamp
from api.scopes import WRITE
from partners import selectors, services
from prm.params import MAX_ID

console = Router(tags=["contacts"])
portal = console


class ContactOut(Schema):
    id: int
    partner_id: int
    full_name: str
    full_name_kana: str
    email: str
    phone: str
    department: str
    title: str
    role: str
    is_key_person: bool
    stage: str
    external_ids: dict[str, str]
    created_at: Timestamp
    updated_at: Timestamp


class ContactPage(PageOut):
    items: list[ContactOut]


class ContactIn(Input):
    partner_id: Annotated[int | None, Field(None, ge=1, le=MAX_ID,
                                            description="required with a vendor key; a partner key uses its own")] = None
    full_name: Annotated[str, Field(min_length=1, max_length=150)]
    full_name_kana: Annotated[str, Field(max_length=150)] = ""
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=30)] = ""
    department: Annotated[str, Field(max_length=100)] = ""
    title: Annotated[str, Field(max_length=100)] = ""
    role: Literal["decision_maker", "sales_manager", "rep"] = "rep"
    is_key_person: bool = False
    external_ids: ExternalIds = {}

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value:
            try:
                validate_email(value)
            except ValidationError:
                raise ValueError("invalid e-mail") from None
        return value


@console.get("", response=ContactPage, auth=need("contacts"), summary="List contacts")
def contact_list(request: HttpRequest, params: Query[ExternalListParams]):
    return page_of(selectors.contacts_for_sync(partner_id=own_partner(request),
                                               external_id=external_id_of(params.external_id)), params)


@console.get("/{contact_id}", response=ContactOut, auth=need("contacts"), summary="Read a contact")
def contact_read(request: HttpRequest, contact_id: RecordId):
    contact = selectors.contact_for_sync(contact_id, partner_id=own_partner(request))
    if contact is None:
        raise not_found()
    return contact


@console.post("", response={201: ContactOut}, auth=need("contacts", WRITE), summary="Create a contact")
@idempotent
def contact_create(request: HttpRequest, payload: ContactIn):
    own = own_partner(request)
    partner_id = payload.partner_id if own is None else own
    if own is not None and payload.partner_id not in (None, own):
        raise invalid("partner_id", _("A partner's key creates contacts of its own partner only."))
    if partner_id is None:
        raise invalid("partner_id", _("This field is required."))
    partner = selectors.partner_for_sync(partner_id)
    if partner is None:
        raise invalid("partner_id", _("No partner has this id."))
    fields = payload.model_dump(exclude={"partner_id"})
    contact = services.contact_save(partner=partner, actor=request.auth.created_by, **fields)
    return created(ContactOut.from_orm(contact))
