"""Invoice payments (vendor keys): a customer's paid invoice on a won deal, for recurring revenue share.

The deal is named by its number (案件番号) or by its customer (name and/or 法人番号, the customer of
exactly one won deal); the checks are incentives.invoices' — the console's form and the CSV import run
the same ones — and an invoice number is counted once per deal.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from api.auth import need
from api.errors import ApiError
from api.idempotency import idempotent
from api.responses import created
from api.schemas import Input, Timestamp, Yen
from api.scopes import WRITE
from incentives import invoices
from prm.bounds import MAX_YEN
from prm.params import MAX_ID

console = Router(tags=["invoice payments"])
portal = None  # the vendor's books


class PaymentOut(Schema):
    id: int
    deal_id: int
    paid_on: date
    amount: Yen
    reference: str
    recorded_at: Timestamp


class PaymentIn(Input):
    deal_number: Annotated[int | None, Field(None, ge=1, le=MAX_ID, description="案件番号; or name the customer")] = None
    customer_name: Annotated[str, Field(max_length=200)] = ""
    corporate_number: Annotated[str, Field(max_length=30)] = ""
    paid_on: date
    amount: Annotated[Yen, Field(ge=1, le=MAX_YEN)]
    reference: Annotated[str, Field(min_length=1, max_length=50, description="the customer's invoice number")]


def _refused(errors: list[dict[str, str]]) -> ApiError:
    detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
    return ApiError(422, _("The request has invalid fields."), detail, code="invalid", errors=errors)


@console.post("", response={201: PaymentOut}, auth=need("invoice_payments", WRITE), summary="Record an invoice payment")
@idempotent
def payment_create(request: HttpRequest, payload: PaymentIn):
    row = {"deal_number": str(payload.deal_number or ""), "customer_name": payload.customer_name,
           "corporate_number": payload.corporate_number, "paid_on": payload.paid_on.isoformat(),
           "amount": str(payload.amount), "reference": payload.reference}
    check = invoices.invoice_payments_check([row])
    line = check.rows[0] if check.rows else None
    if check.file_errors or line is None:
        raise _refused([{"field": "body", "message": message} for message in check.file_errors])
    if line.errors:
        raise _refused([{"field": error.column or "body", "message": error.message} for error in line.errors])
    deal_field = "deal_number" if payload.deal_number else "customer_name" if payload.customer_name else "corporate_number"
    try:
        payment = invoices.invoice_payment_record(deal=line.deal, paid_on=line.paid_on, amount=line.amount,
                                                  reference=line.reference, actor=request.auth.created_by)
    except ValidationError as error:
        raise _refused([{"field": deal_field if field == "deal" else field, "message": message}
                        for field, messages in error.message_dict.items() for message in messages]) from None
    return created(PaymentOut.from_orm(payment))
