"""Answers the write endpoints build themselves, so Idempotency-Key can keep their exact bytes."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Schema


def json_response(data: Schema, status: int = 200) -> HttpResponse:
    return HttpResponse(data.model_dump_json(), status=status, content_type="application/json")


def created(data: Schema) -> HttpResponse:
    return json_response(data, 201)
