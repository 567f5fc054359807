"""Console: Planning (ranked prospects) and Recruiting (applications, the four agreements)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners import selectors, services
from partners.forms import AgreementForm, RejectForm
from partners.models import AffinitySource, AgreementKind, PartnerApplication, PartnerSettings
from partners.planning import Weights
from partners.views.common import get_partner, paginate
from prm.accounts.access import console_view


@console_view
@require_GET
def prospect_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.prospect_ranking())
    settings_row = PartnerSettings.current()
    return render(request, "partners/prospect_list.html", {
        "page": page, "weights": Weights.from_settings(settings_row),
        "affinity_computed": settings_row.customer_affinity_source == AffinitySource.COMPUTED})


@console_view
@require_POST
def prospect_convert(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner(pk)
    try:
        services.prospect_convert(partner=partner, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s moved to recruiting. Record the four agreements next.") % {"name": partner.name})
    return redirect("partner_detail", pk=partner.pk)


@console_view
@require_GET
def application_queue(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.application_queue())
    recent = PartnerApplication.objects.exclude(status="pending").select_related("reviewed_by", "partner").order_by("-reviewed_at")[:10]
    return render(request, "partners/application_queue.html", {"page": page, "recent": recent})


def _application(pk: int) -> PartnerApplication:
    return get_object_or_404(PartnerApplication.objects.select_related("reviewed_by", "partner"), pk=pk)


@console_view
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(pk)
    known = None
    if application.corporate_number:
        known = selectors.Partner.objects.filter(corporate_number=application.corporate_number).first()
    return render(request, "partners/application_detail.html",
                  {"application": application, "reject_form": RejectForm(), "known_partner": known})


@console_view
@require_POST
def application_approve(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(pk)
    try:
        partner = services.application_approve(application=application, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("application_detail", pk=pk)
    messages.success(request, _("%(name)s approved; an invitation was sent to %(email)s.")
                     % {"name": partner.name, "email": application.contact_email})
    return redirect("partner_detail", pk=partner.pk)


@console_view
@require_POST
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.application_reject(application=application, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Application from %(name)s rejected.") % {"name": application.company_name})
            return redirect("application_queue")
    return render(request, "partners/application_detail.html", {"application": application, "reject_form": form}, status=400)


@console_view
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    partner = get_partner(pk)
    if kind not in AgreementKind.values:
        raise Http404
    existing = selectors.agreements_of(partner).get(kind)
    form = AgreementForm(request.POST or None, partner=partner, kind=kind, initial=AgreementForm.initial_from(existing))
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_record(
                partner=partner, kind=kind, agreed_on=form.cleaned_data["agreed_on"], actor=request.user,
                signatory=form.cleaned_data.get("partner_signatory"), summary=form.cleaned_data.get("summary", ""),
                details=form.details(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Agreement recorded: %(kind)s.") % {"kind": AgreementKind(kind).label})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/agreement_form.html",
                  {"partner": partner, "form": form, "kind_label": AgreementKind(kind).label, "existing": existing})
