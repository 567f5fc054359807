"""The notification list, on both sites: every signed-in user sees only their own."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm.notifications import kinds, services
from prm.notifications.models import Notification, NotificationPreference


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


class PreferencesForm(forms.Form):
    """One choice per kind of notification the person can receive."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        current = services.preferences_of(user)
        for code, kind in kinds.kinds_for(user):
            self.fields[code] = forms.ChoiceField(label=kind.label, choices=NotificationPreference.Channel.choices,
                                                  initial=current[code], widget=forms.RadioSelect)

    def rows(self):
        return [self[name] for name in self.fields]


@_signed_in
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.preferences_set(user=request.user, channels=form.cleaned_data)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"form": form}, status=400 if form.errors else 200)
