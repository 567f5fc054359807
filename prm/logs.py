"""Logging: a request id on every line, JSON lines as an option, one word on missing HarfBuzz.

- RequestIdMiddleware takes X-Request-ID from the request (a proxy's or a load balancer's id,
  when it is a sane token) or makes one, keeps it for the request's log lines and echoes it in
  the response header. Celery tasks log under their task id.
- KYOSO_LOG_FORMAT=json turns every line into one JSON object with the tenant (schema and
  domain) and the request id, for log collectors; the default stays readable text.
- WeasyPrint warns on every PDF when HarfBuzz-Subset is missing; HarfBuzzOnceFilter says it
  once per process, naming the package to install.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import uuid

from django.core.signals import request_finished

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("kyoso_request_id", default="-")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """The request's id for its log lines: X-Request-ID when given and sane, else a new one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _SANE_REQUEST_ID.match(given) else new_request_id()
        request.request_id = request_id
        # Kept until the response is finished (Django logs 4xx/5xx after the middleware returns).
        _request_id.set(request_id)
        response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


def _forget_request_id(**kwargs) -> None:
    _request_id.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="kyoso-forget-request-id")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def bind_request_id(request_id: str) -> contextvars.Token:
    """Log under this id until reset_request_id(token) (a Celery task logs under its task id)."""
    return _request_id.set(request_id or "-")


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, tenant, domain, request_id (+ exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "tenant": getattr(record, "schema_name", None),
            "domain": getattr(record, "domain_url", None),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


HARFBUZZ_PACKAGE = "libharfbuzz-subset0"
HARFBUZZ_HINT = (
    "PDFs embed fonts through fontTools because HarfBuzz-Subset is missing: install the "
    f"{HARFBUZZ_PACKAGE} package (Debian/Ubuntu; harfbuzz on Homebrew) for faster PDFs."
)


class HarfBuzzOnceFilter(logging.Filter):
    """WeasyPrint's 'Using fontTools instead of HarfBuzz-Subset' warning, once per process, as one line."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.said = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "instead of HarfBuzz-Subset" not in str(record.msg):
            return True
        if self.said:
            return False
        self.said = True
        record.msg, record.args = HARFBUZZ_HINT, None
        return True
