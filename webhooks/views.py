"""Webhook endpoints: the vendor admin's in the console, a partner admin's own in the portal.

Both sites share these views; `_Site` says whose endpoints a request sees (the vendor's, or only
its partner's) and which URL names and base template it uses. Every page finds its endpoint through
selectors.endpoint_of(owner, pk), so another owner's endpoint is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners.models import Partner
from portal.access import portal_view
from prm import events
from prm.accounts.access import console_view
from webhooks import selectors, services
from webhooks.forms import EndpointForm, LogFilterForm
from webhooks.models import Endpoint


@dataclass(frozen=True)
class _Site:
    base: str
    prefix: str

    def name(self, view: str) -> str:
        return f"{self.prefix}{view}"

    def context(self) -> dict:
        return {"base_template": self.base, "names": {view: self.name(view) for view in (
            "webhook_list", "webhook_create", "webhook_detail", "webhook_edit", "webhook_action", "webhook_delivery",
            "webhook_resend")}}


CONSOLE = _Site("console/base.html", "")
PORTAL = _Site("portal/base.html", "portal_")


def _owner(request: HttpRequest) -> Partner | None:
    return getattr(request, "partner", None)


def _endpoint(request: HttpRequest, pk: int) -> Endpoint:
    endpoint = selectors.endpoint_of(_owner(request), pk)
    if endpoint is None:
        raise Http404
    return endpoint


def _list(request: HttpRequest, site: _Site) -> HttpResponse:
    return render(request, "webhooks/list.html", {
        **site.context(), "endpoints": list(selectors.endpoints_of(_owner(request))),
        "max_endpoints": services.MAX_ENDPOINTS})


def _create(request: HttpRequest, site: _Site) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.endpoint_create(actor=request.user, partner=_owner(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return render(request, "webhooks/secret.html", {**site.context(), "endpoint": created.endpoint,
                                                            "secret": created.secret, "created": True})
    return render(request, "webhooks/form.html", {**site.context(), "form": form, "endpoint": None})


def _edit(request: HttpRequest, site: _Site, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect(site.name("webhook_detail"), pk=endpoint.pk)
    return render(request, "webhooks/form.html", {**site.context(), "form": form, "endpoint": endpoint})


def _detail(request: HttpRequest, site: _Site, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    log_filter = LogFilterForm(request.GET or None)
    state = log_filter.cleaned_data["state"] if log_filter.is_valid() else ""
    return render(request, "webhooks/detail.html", {
        **site.context(), "endpoint": endpoint, "deliveries": selectors.deliveries_of(endpoint, state=state),
        "log_filter": log_filter, "event_labels": [events.label(code) for code in endpoint.event_types],
        "rows": selectors.LOG_ROWS})


ACTIONS = ("test", "rotate", "enable", "disable", "delete")


def _action(request: HttpRequest, site: _Site, pk: int, action: str) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if action not in ACTIONS:
        raise Http404
    actor = request.user
    if action == "rotate":
        secret = services.endpoint_rotate_secret(actor=actor, endpoint=endpoint)
        return render(request, "webhooks/secret.html", {**site.context(), "endpoint": endpoint, "secret": secret,
                                                        "created": False})
    if action == "delete":
        services.endpoint_delete(actor=actor, endpoint=endpoint)
        messages.success(request, _("Endpoint removed."))
        return redirect(site.name("webhook_list"))
    if action == "test":
        services.endpoint_send_test(actor=actor, endpoint=endpoint)
        messages.success(request, _("A test event is on its way; its delivery appears in the log below."))
    else:
        services.endpoint_set_enabled(actor=actor, endpoint=endpoint, enabled=action == "enable")
        messages.success(request, _("Endpoint enabled; waiting events are being sent.") if action == "enable"
                         else _("Endpoint disabled; events are no longer sent to it."))
    return redirect(site.name("webhook_detail"), pk=endpoint.pk)


def _delivery(request: HttpRequest, site: _Site, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    delivery = selectors.delivery_of(endpoint, delivery_pk)
    if delivery is None:
        raise Http404
    return render(request, "webhooks/delivery.html", {
        **site.context(), "endpoint": endpoint, "delivery": delivery, "attempts": selectors.attempts_of(delivery),
        "body": services.body_of(delivery.event).decode()})


def _resend(request: HttpRequest, site: _Site, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    delivery = selectors.delivery_of(endpoint, delivery_pk)
    if delivery is None:
        raise Http404
    try:
        services.delivery_resend(actor=request.user, delivery=delivery)
    except PermissionDenied:
        raise
    messages.success(request, _("The delivery will be sent again."))
    return redirect(site.name("webhook_detail"), pk=endpoint.pk)


# --------------------------------------------------------------------------- console (vendor admins)


@console_view(admin_only=True)
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    return _list(request, CONSOLE)


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    return _create(request, CONSOLE)


@console_view(admin_only=True)
@require_GET
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, CONSOLE, pk)


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, CONSOLE, pk)


@console_view(admin_only=True)
@require_POST
def webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _action(request, CONSOLE, pk, action)


@console_view(admin_only=True)
@require_GET
def webhook_delivery(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    return _delivery(request, CONSOLE, pk, delivery_pk)


@console_view(admin_only=True)
@require_POST
def webhook_resend(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    return _resend(request, CONSOLE, pk, delivery_pk)


# --------------------------------------------------------------------------- portal (partner admins, own events)


@portal_view(admin_only=True)
@require_GET
def portal_webhook_list(request: HttpRequest) -> HttpResponse:
    return _list(request, PORTAL)


@portal_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def portal_webhook_create(request: HttpRequest) -> HttpResponse:
    return _create(request, PORTAL)


@portal_view(admin_only=True)
@require_GET
def portal_webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, PORTAL, pk)


@portal_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def portal_webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, PORTAL, pk)


@portal_view(admin_only=True)
@require_POST
def portal_webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _action(request, PORTAL, pk, action)


@portal_view(admin_only=True)
@require_GET
def portal_webhook_delivery(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    return _delivery(request, PORTAL, pk, delivery_pk)


@portal_view(admin_only=True)
@require_POST
def portal_webhook_resend(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    return _resend(request, PORTAL, pk, delivery_pk)
