"""Cursor pages for every list: ordered by (updated_at, id), so a sync that keeps the last cursor
(or the last `updated_since`) sees every change once, whatever is inserted meanwhile.

The cursor is opaque to callers (base64 of the last row's position); `limit` is 1..200.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AwareDatetime

from api.errors import invalid

DEFAULT_LIMIT = 100
MAX_LIMIT = 200


class ListParams(Schema):
    """The query of every list: where to start, how many, and changes since when."""

    cursor: Annotated[str | None, Field(None, max_length=200, description="next_cursor of the previous page")] = None
    limit: Annotated[int, Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="rows per page, 1..200")] = DEFAULT_LIMIT
    updated_since: Annotated[AwareDatetime | None, Field(
        None, description="only rows changed at or after this time (ISO 8601 with offset)")] = None


class ExternalListParams(ListParams):
    """A list of records that carry external_ids: `external_id=salesforce:0015g…` finds the one a CRM knows."""

    external_id: Annotated[str | None, Field(None, max_length=250, pattern=r"^[a-z0-9_\-]{1,40}:.{1,200}$",
                                             description="source:id, e.g. salesforce:0015g00000XyZ")] = None


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _encode(moment: datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment_text, pk = json.loads(raw)
        moment = parse_datetime(moment_text)
        if moment is None or moment.tzinfo is None or not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError
        return moment, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise invalid("cursor", _("This cursor is not one the API gave; start again without it.")) from None


def paginate(qs: QuerySet, params: ListParams, *, field: str = "updated_at") -> Page:
    """One page of `qs` after the cursor, changed since `updated_since`: one query of limit + 1 rows."""
    qs = qs.order_by(field, "pk")
    if params.updated_since is not None:
        qs = qs.filter(**{f"{field}__gte": params.updated_since})
    if params.cursor:
        moment, pk = _decode(params.cursor)
        # The plain range first lets PostgreSQL start the (updated_at, id) index scan at the cursor.
        qs = qs.filter(**{f"{field}__gte": moment}).filter(Q(**{f"{field}__gt": moment}) | Q(pk__gt=pk))
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    last = rows[-1] if rows and more else None
    return Page(items=rows, next_cursor=_encode(getattr(last, field), last.pk) if last is not None else None)


def page_of(qs: QuerySet, params: ListParams, *, field: str = "updated_at") -> dict:
    """What a list endpoint returns: {"items": [...], "next_cursor": ...}."""
    page = paginate(qs, params, field=field)
    return {"items": page.items, "next_cursor": page.next_cursor}


def external_id_of(value: str | None) -> tuple[str, str] | None:
    """`source:id` as (source, id); the query parameter's pattern has already checked its shape."""
    if not value:
        return None
    source, _colon, ident = value.partition(":")
    return source, ident
