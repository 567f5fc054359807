"""Console: the vendor's health settings (weights and bands) and an on-demand recalculation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from insights.health.models import HealthRun, HealthSettings
from insights.health.services import settings_update
from prm.accounts.access import console_view
from prm.invitations.forms import ServiceErrorsMixin

WEIGHTS = ["weight_logins", "weight_deals", "weight_certified", "weight_pass_rate", "weight_active_contacts",
           "weight_conversion", "weight_recency", "weight_first_deal"]


class HealthSettingsForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = HealthSettings
        exclude: list[str] = []


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def health_settings(request: HttpRequest) -> HttpResponse:
    form = HealthSettingsForm(request.POST or None, instance=HealthSettings.current())
    if request.method == "POST" and form.is_valid():
        try:
            settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Health settings saved. They apply from the next recalculation."))
            return redirect("insights:health_settings")
    return render(request, "insights/health_settings.html", {
        "form": form, "weight_fields": [form[name] for name in WEIGHTS],
        "other_fields": [form[name] for name in form.fields if name not in WEIGHTS],
        "last_run": HealthRun.objects.filter(finished_at__isnull=False).first(),
    })


@console_view(admin_only=True)
@require_POST
def health_recalculate(request: HttpRequest) -> HttpResponse:
    from insights.tasks import health_recalculate as task

    schema = connection.schema_name
    transaction.on_commit(lambda: task.apply_async(kwargs={"schema_name": schema}))
    messages.success(request, _("Recalculation started; scores update in a minute or two."))
    return redirect("insights:health_settings")
