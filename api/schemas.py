"""Shapes shared by every resource: timestamps with the vendor's offset, yen as integers, strict input."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field, PlainSerializer

# 2026-12-01T09:00:00+09:00: the vendor's zone (Asia/Tokyo by default), always with the offset.
Timestamp = Annotated[datetime, PlainSerializer(lambda value: timezone.localtime(value).isoformat(),
                                                return_type=str, when_used="always")]
# Yen: whole numbers, never a float or a formatted string.
Yen = int
# {source system: id in that system}, e.g. {"salesforce": "0015g00000XyZ", "hubspot": "1234"}.
ExternalIds = Annotated[dict[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")],
                             Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)]


class Input(Schema):
    """Request bodies refuse fields they do not know (a typo is an error, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class PageOut(Schema):
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last")
