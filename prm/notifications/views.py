"""The notification list, on both sites: every signed-in user sees only their own."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from prm.notifications import services
from prm.notifications.models import Notification


def _signed_in(view):
    wrapped = login_required(view)
    wrapped.kyoso_access = "own"
    return wrapped


@_signed_in
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@_signed_in
@require_POST
def notification_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    services.mark_read(user=request.user, notification_id=pk)
    notification = Notification.objects.filter(user=request.user, pk=pk).first() if pk else None
    if notification is not None and notification.url.startswith("/"):
        return redirect(notification.url)
    return redirect("notification_list")
