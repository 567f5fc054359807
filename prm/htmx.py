"""Whether a request wants a fragment, asked in one place, and the Vary header that must go with it.

A view that answers one URL with either a whole page or an htmx fragment asks htmx_partial(request).
Asking marks the request, and HtmxVaryMiddleware then adds `Vary: HX-Request` to the response, so a
browser or proxy cache never serves the fragment for the page (or the page for the fragment). The
header cannot be forgotten: no view adds it by hand, and no module but this one reads HX-Request.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers

_ASKED = "_htmx_partial_asked"


def htmx_partial(request: HttpRequest) -> bool:
    """True for an htmx request that wants a fragment: htmx, and not a boosted link or form (which
    wants the whole page). django-htmx's middleware parses the headers into request.htmx."""
    setattr(request, _ASKED, True)
    htmx = getattr(request, "htmx", None)
    if htmx is None:  # a request that did not pass through the middleware
        return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    return bool(htmx) and not htmx.boosted


class HtmxVaryMiddleware:
    """`Vary: HX-Request` on every response whose view asked htmx_partial."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if getattr(request, _ASKED, False):
            patch_vary_headers(response, ("HX-Request",))
        return response
