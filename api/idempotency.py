"""Idempotency-Key on every POST: a retried request is answered from the first one's record.

The record and the write commit in one transaction, serialised on an advisory lock of (key, Idempotency-Key):
two concurrent retries of one request wait for each other, and the second finds the first's answer.
The same Idempotency-Key with a different body (or path) is refused with 422, and changes nothing.
Failed requests (4xx, 5xx) are not kept: they changed nothing, so a retry runs again.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from api.errors import ApiError
from api.models import IdempotentRequest
from prm import locks

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


def _header(request: HttpRequest) -> str:
    value = request.headers.get(HEADER, "")
    if not value:
        raise ApiError(400, _("An Idempotency-Key header is required on every POST."),
                       _("Send a unique value (a UUID) per request and the same one on each retry."),
                       code="idempotency_key_missing", errors=[{"field": HEADER, "message": _("This header is required.")}])
    if len(value) > MAX_LENGTH or not value.isascii() or not value.isprintable():
        raise ApiError(400, _("The Idempotency-Key header is not valid."), code="idempotency_key_invalid",
                       errors=[{"field": HEADER, "message": _("Use at most 255 printable ASCII characters.")}])
    return value


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    try:  # the same JSON written with other spacing or key order is the same request
        digest.update(json.dumps(json.loads(request.body or b"null"), sort_keys=True).encode())
    except (ValueError, UnicodeDecodeError):
        digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Wrap a POST endpoint (it must return an HttpResponse, see api.responses.created)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        return _once(request, _header(request), request.api_key, view, *args, **kwargs)

    # ninja reads the endpoint's parameters from the signature; resolve them in the endpoint's module.
    wrapper.__signature__ = inspect.signature(view, eval_str=True)
    wrapper.kyoso_idempotent = True  # the access walk checks every POST carries it
    return wrapper


def _once(request: HttpRequest, value: str, key, view, *args, **kwargs) -> HttpResponse:
    """The first answer for (key, value), or the endpoint's answer recorded with it in one transaction."""
    fingerprint = _fingerprint(request)
    lock = int.from_bytes(hashlib.sha256(f"{key.pk}\n{value}".encode()).digest()[:4], "big")
    with transaction.atomic():
        locks.hold("api-idempotency", lock)
        record = IdempotentRequest.objects.filter(api_key=key, key=value).first()
        if record is not None:
            if record.request_hash != fingerprint:
                raise ApiError(422, _("This Idempotency-Key was used for a different request."),
                               _("Use a new Idempotency-Key for a new request; a retry must send the same body."),
                               code="idempotency_key_reused",
                               errors=[{"field": HEADER, "message": _("Already used with another body.")}])
            return _replay(record)
        response = view(request, *args, **kwargs)
        if 200 <= response.status_code < 300:
            IdempotentRequest.objects.create(api_key=key, key=value, method=request.method, path=request.path[:500],
                                             request_hash=fingerprint, status=response.status_code,
                                             body=response.content, content_type=response["Content-Type"])
    return response
