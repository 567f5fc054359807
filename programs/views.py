"""Console: programmes and tiers, the next evaluation's changes, approvals and history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm.accounts.access import console_view
from programs import selectors, services
from programs.forms import DecisionForm, ProgramSettingsForm, RequirementFormSet, TierForm
from programs.models import ProgramSettings, Tier, TierChange
from programs.validation import validate_program


@console_view
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    from incentives.selectors import tier_plan_rates

    programs = selectors.programs_with_tiers()
    tiers = [tier for program in programs for tier in program.tiers.all()]
    rates = tier_plan_rates(tiers)
    for tier in tiers:
        tier.plan_rates = rates.get(tier.pk, [])
    return render(request, "programs/overview.html", {
        "programs": programs,
        "pending": selectors.pending_changes()[:5],
        "pending_count": selectors.pending_changes().count(),
    })


@console_view
@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    """What the next evaluation would change, computed now without changing anything."""
    result = services.evaluate(dry_run=True)
    ups = [p for p in result.proposals if p.direction == "up" and p.action in ("apply", "approval")]
    downs = [p for p in result.proposals if p.direction == "down"]
    return render(request, "programs/preview.html", {"result": result, "ups": ups, "downs": downs,
                                                     "cancels": [p for p in result.proposals if p.action == "cancel"]})


@console_view
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    evaluation = services.evaluate(actor=request.user).run  # writes in one transaction: all or nothing
    messages.success(request, _("Evaluation done: %(up)s upgraded, %(approval)s waiting for approval, %(grace)s in grace.")
                     % {"up": evaluation.result.get("apply", 0), "approval": evaluation.result.get("approval", 0)
                        + evaluation.result.get("downgrade_due", 0), "grace": evaluation.result.get("grace", 0)})
    return redirect("program_changes")


@console_view
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    return render(request, "programs/changes.html", {
        "pending": selectors.pending_changes(), "history": selectors.change_history(), "form": DecisionForm()})


@console_view
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(TierChange, pk=pk)
    try:
        services.change_decide(change=change, actor=request.user, approve=request.POST.get("action") == "approve",
                               reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Tier change decided for %(partner)s.") % {"partner": change.partner.name})
    return redirect("program_changes")


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def tier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tier = get_object_or_404(Tier.objects.select_related("program"), pk=pk)
    form = TierForm(request.POST or None, instance=tier)
    formset = RequirementFormSet(request.POST or None, instance=tier)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                form.save()
                formset.save()
                validate_program(tier.program, services.fiscal_year(timezone.localdate()))
        except ValidationError as error:
            problems = error.messages  # the transaction rolled back: nothing was saved
        else:
            messages.success(request, _("Tier %(name)s saved.") % {"name": tier.name})
            return redirect("program_overview")
    return render(request, "programs/tier_form.html", {"tier": tier, "form": form, "formset": formset, "problems": problems})


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    form = ProgramSettingsForm(request.POST or None, instance=ProgramSettings.current())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Programme settings saved."))
        return redirect("program_overview")
    return render(request, "programs/settings.html", {"form": form})
