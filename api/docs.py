"""The interactive reference (Redoc) from our own static files: the pinned bundle django-ninja ships."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

# Redoc styles itself with inline <style> and runs its search in a blob: worker.
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


@csrf_exempt  # no session is ever used under /api/v1/: a wrong method gets 405, not a CSRF page
@require_GET
def reference(request: HttpRequest, api) -> HttpResponse:
    """Public like the OpenAPI document: it describes the API, and every call still needs a key."""
    response = render(request, "api/reference.html", {
        "title": api.title, "openapi_url": reverse(f"{api.urls_namespace}:openapi-json")})
    response["Content-Security-Policy"] = DOCS_POLICY
    return response


reference.kyoso_access = "api_public"


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1/: a problem, like every answer of the API, not the HTML 404 page."""
    from django.utils.translation import gettext as _

    from api.errors import problem

    return problem(request, 404, _("Not found."), _("No API operation at this path."), code="not_found")


unknown.kyoso_access = "api_public"
