"""Console: meetings, calls and e-mails with a partner, and its joint business plan."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from partners import selectors, services
from partners.forms import ActivityForm, PlanForm
from partners.models import BusinessPlan
from partners.views.common import get_partner
from prm.accounts.access import console_view


@console_view
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner(pk)
    form = ActivityForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.activity_log(partner=partner, actor=request.user, contacts=list(data.pop("contacts")),
                                  staff=list(data.pop("staff")), **data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Activity logged."))
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/activity_form.html", {"partner": partner, "form": form})


@console_view
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int, year: int | None = None) -> HttpResponse:
    partner = get_partner(pk)
    plan = get_object_or_404(BusinessPlan, partner=partner, fiscal_year=year) if year else None
    if plan:
        initial = {name: getattr(plan, name) for name in PlanForm.base_fields}
    else:
        initial = {"fiscal_year": services.fiscal_year_of(timezone.localdate())}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.plan_save(partner=partner, actor=request.user, **data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Business plan FY%(year)s saved.") % {"year": data["fiscal_year"]})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/plan_form.html", {"partner": partner, "form": form, "plan": plan,
                                                       "progress": selectors.plan_progress(plan) if plan else []})
