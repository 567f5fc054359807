"""Console: onboarding checklists and their templates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from partners import services
from partners.models import ChecklistItem, OnboardingTemplate
from partners.views.common import get_partner
from prm.accounts.access import console_view
from prm.htmx import htmx_partial


@console_view
@require_POST
def checklist_toggle(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    partner = get_partner(pk)
    item = get_object_or_404(ChecklistItem, pk=item_pk, partner=partner)
    try:
        services.checklist_item_set(item=item, done=request.POST.get("done") == "1", actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if htmx_partial(request):
        return render(request, "partners/_checklist.html",
                      {"partner": partner, "checklist": list(partner.checklist.select_related("completed_by"))})
    return redirect("partner_detail", pk=partner.pk)


@console_view
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    templates = OnboardingTemplate.objects.prefetch_related("items")
    return render(request, "partners/onboarding_templates.html", {"templates": templates})
