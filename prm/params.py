"""Numbers, months and words read from a query string by hand: one parser, one refusal.

A view that reads `?partner=`, `?session=` or `?period=` calls these instead of `isdigit()`
and `int()`: a bad value (`²`, `-1`, twenty digits, `2026-13`) is a 400 page naming the
parameter, never a 500 and never a silent fallback to another record or month.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from prm.bounds import MAX_DATE, MIN_DATE, parse_ascii_int, parse_month

# Primary keys are bigints; anything longer than 18 digits cannot be one of ours.
MAX_ID = 10**18


class BadParameter(BadRequest):
    """A query parameter the page cannot use; the message names it (shown on the 400 page)."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(_("The parameter “%(name)s” is not valid: %(reason)s") % {"name": name, "reason": reason})


def int_param(request: HttpRequest, name: str, *, default: int | None = None, min_value: int = 1,
              max_value: int = MAX_ID) -> int | None:
    """A whole number from the query string (an id by default: 1 … 10^18); empty or absent gives `default`."""
    text = request.GET.get(name, "")
    if not text.strip():
        return default
    value = parse_ascii_int(text)
    if value is None:
        raise BadParameter(name, _("enter a whole number using the digits 0-9."))
    if not (min_value <= value <= max_value):
        raise BadParameter(name, _("enter a number from %(min)s to %(max)s.") % {"min": min_value, "max": max_value})
    return value


def month_param(request: HttpRequest, name: str, *, default: date | None = None) -> date | None:
    """A month written `YYYY-MM` (the first day of it); empty or absent gives `default`."""
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    value = parse_month(text)
    if value is None:
        raise BadParameter(name, _("enter a month as YYYY-MM between %(start)s and %(end)s.")
                           % {"start": MIN_DATE.strftime("%Y-%m"), "end": MAX_DATE.strftime("%Y-%m")})
    return value


def int_values(data, name: str, *, min_value: int = 1, max_value: int = MAX_ID) -> list[int]:
    """Every value of a repeated parameter (`?deal=1&deal=2`, GET or POST) as integers; one bad value refuses all."""
    values = []
    for text in data.getlist(name):
        value = parse_ascii_int(text)
        if value is None or not (min_value <= value <= max_value):
            raise BadParameter(name, _("enter a whole number using the digits 0-9."))
        values.append(value)
    return values


def has_nul(text: str) -> bool:
    return "\x00" in text


def first_nul_parameter(request: HttpRequest) -> str | None:
    """The name of the first GET/POST parameter or uploaded file whose name or value holds a NUL byte."""
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for source in sources:
        for key, values in source.lists():
            if has_nul(key):
                return key.replace("\x00", "\\0")
            if any(has_nul(value) for value in values):
                return key
    if request.method == "POST":
        for key, files in request.FILES.lists():
            if has_nul(key):
                return key.replace("\x00", "\\0")
            if any(has_nul(upload.name or "") for upload in files):
                return key
    return None


def next_url(request: HttpRequest, target: str, default: str) -> str:
    """Where to go after an action: `target` when it is a path on this site, else `default`.

    Always a URL, never a view name (a `next` of `²` must not reach `reverse()`), and never
    another host (no open redirect)."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default
