"""The key pages: a vendor admin manages the vendor's keys in the console, a partner admin its own
partner's keys in the portal. A new key's secret is shown once, on the page that made it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors, services
from api.forms import ApiKeyForm
from api.scopes import RESOURCES
from portal.access import portal_view
from prm.accounts.access import console_view


def _rows(keys) -> list[dict]:
    return [{"key": key, "scopes": [(RESOURCES.get(name, name), access) for name, access in key.scopes.items()]}
            for key in keys]


def _page(request: HttpRequest, *, partner, base: str, list_url: str, revoke_url: str) -> HttpResponse:
    partner_id = partner.pk if partner is not None else None
    form = ApiKeyForm(request.POST or None, partner_key=partner is not None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.key_create(actor=request.user, name=form.cleaned_data["name"], scopes=form.scopes(),
                                         partner=partner, expires_at=form.expires_at(),
                                         language=form.cleaned_data["language"])
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied:
            raise
        else:
            form = ApiKeyForm(partner_key=partner is not None)
    context = {"base": base, "form": form, "issued": issued, "rows": _rows(selectors.keys_of(partner_id=partner_id)),
               "list_url": list_url, "revoke_url": revoke_url, "partner": partner}
    response = render(request, "api/keys.html", context, status=422 if request.method == "POST" and issued is None else 200)
    if issued is not None:
        response["Cache-Control"] = "no-store"  # the secret is on this page and nowhere else
    return response


def _revoke(request: HttpRequest, pk: int, *, partner, list_url: str) -> HttpResponse:
    key = selectors.key_of(pk, partner_id=partner.pk if partner is not None else None)
    if key is None:
        raise Http404
    services.key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key %(prefix)s was revoked; programs using it are refused from now on.") % {
        "prefix": key.prefix})
    return redirect(list_url)


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def console_keys(request: HttpRequest) -> HttpResponse:
    return _page(request, partner=None, base="console/base.html", list_url="api_keys", revoke_url="api_key_revoke")


@console_view(admin_only=True)
@require_POST
def console_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _revoke(request, pk, partner=None, list_url="api_keys")


@portal_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def portal_keys(request: HttpRequest) -> HttpResponse:
    return _page(request, partner=request.partner, base="portal/base.html", list_url="portal_api_keys",
                 revoke_url="portal_api_key_revoke")


@portal_view(admin_only=True)
@require_POST
def portal_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _revoke(request, pk, partner=request.partner, list_url="portal_api_keys")
