"""Console: the approval queue, deals, pipeline, direct-sales accounts, leads and rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import csv_import, exports, leads, selectors, services
from deals.forms import (
    CsvUploadForm,
    DecisionForm,
    DirectAccountForm,
    LeadForm,
    MeetingForm,
    MoveForm,
    PipelineFilterForm,
    SettingsForm,
    WinCancelForm,
    WinConfirmForm,
    WinCorrectForm,
    WinRejectForm,
    WinReopenForm,
)
from deals.models import DealRegistration, DealSettings, DirectAccount, DirectOpportunity, ExtensionRequest, Lead, Stage
from deals.web import move_from_request
from prm import csv_export
from prm.accounts.access import console_view
from prm.exports import offer
from prm.forms import errors_naming_fields, parameter_errors
from prm.htmx import htmx_partial
from prm.params import int_param, int_values, next_url


def _back(request: HttpRequest, default: str) -> HttpResponse:
    return HttpResponseRedirect(next_url(request, request.POST.get("next", ""), default))


def _deal(pk: int) -> DealRegistration:
    return get_object_or_404(DealRegistration.objects.select_related("partner", "registered_by", "decided_by"), pk=pk)


@console_view
@require_GET
def deal_queue(request: HttpRequest) -> HttpResponse:
    page = selectors.approval_queue(int_param(request, "page", default=1) or 1)
    return render(request, "deals/queue.html", {
        "page": page,
        "rows": page.rows,
        "extensions": selectors.pending_extensions(),
        "decision_form": DecisionForm(),
        "wins_waiting": selectors.wins_awaiting_count(),
    })


@console_view
@require_GET
def win_queue(request: HttpRequest) -> HttpResponse:
    """Wins partners reported, waiting for a channel manager to confirm or reject them."""
    page = Paginator(selectors.wins_awaiting_confirmation(), 50).get_page(request.GET.get("page"))
    return render(request, "deals/wins.html", {"page": page})


@console_view
@require_POST
def deal_bulk(request: HttpRequest) -> HttpResponse:
    ids = int_values(request.POST, "deal")
    approve = request.POST.get("action") == "approve"
    deals = DealRegistration.objects.filter(pk__in=ids).order_by("registered_at")
    if not ids:
        messages.error(request, _("Select at least one registration."))
        return redirect("deal_queue")
    try:
        done, errors = services.deals_bulk_decide(actor=request.user, deals=deals, approve=approve,
                                                  reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("deal_queue")
    if done:
        messages.success(request, (_("%(count)s registrations approved.") if approve else _("%(count)s registrations rejected."))
                         % {"count": done})
    for error in errors:
        messages.error(request, error)
    return redirect("deal_queue")


def _detail(request: HttpRequest, deal: DealRegistration, **forms) -> HttpResponse:
    return render(request, "deals/detail.html", {
        "deal": deal,
        "conflict": selectors.deal_conflict(deal),
        "direct": selectors.direct_conflicts([deal])[deal.pk],
        "events": deal.events.select_related("actor"),
        "meetings": deal.meetings.prefetch_related("staff"),
        "extensions": deal.extensions.select_related("requested_by", "decided_by"),
        "decision_form": DecisionForm(),
        "move_form": MoveForm(),
        "meeting_form": MeetingForm(),
        "confirm_form": WinConfirmForm(),
        "reject_form": WinRejectForm(),
        "win_corrections": deal.win_corrections.select_related("actor"),
        "cancel_form": WinCancelForm(),
        "correct_form": WinCorrectForm(initial={"won_amount": deal.won_amount, "won_on": deal.won_on}),
        "reopen_form": WinReopenForm(),
        **forms,
    })


@console_view
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _deal(pk))


@console_view
@require_POST
def deal_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("approve", "reject"):
        raise Http404
    deal = _deal(pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        if action == "approve":
            services.deal_approve(deal=deal, actor=request.user, reason=form.cleaned_data.get("reason", ""))
            messages.success(request, _("Registration approved: %(customer)s.") % {"customer": deal.customer_name})
        else:
            services.deal_reject(deal=deal, actor=request.user, reason=form.cleaned_data.get("reason", ""))
            messages.success(request, _("Registration rejected: %(customer)s.") % {"customer": deal.customer_name})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(request, reverse("deal_detail", args=[pk]))


@console_view
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    refused = move_from_request(request, _deal(pk))
    if refused is not None:
        return _detail(request, _deal(pk), move_form=refused)
    return redirect("deal_detail", pk=pk)


@console_view
@require_POST
def win_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(pk)
    form = WinConfirmForm(request.POST)
    if form.is_valid():
        try:
            deal = services.deal_win_confirm(deal=deal, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Win confirmed: %(customer)s.") % {"customer": deal.customer_name})
            if deal.credit_warning:
                messages.warning(request, _("This deal takes the partner's open amount to ¥%(after)s, past its credit limit of ¥%(limit)s.")
                                 % {"after": f"{deal.credit_warning.after:,}", "limit": f"{deal.credit_warning.limit:,}"})
            return _back(request, reverse("deal_detail", args=[pk]))
    messages.error(request, errors_naming_fields(form))
    return _detail(request, _deal(pk), confirm_form=form)


@console_view
@require_POST
def win_reject(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(pk)
    form = WinRejectForm(request.POST)
    if form.is_valid():
        try:
            deal = services.deal_win_reject(deal=deal, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Win not confirmed: %(customer)s is back in %(stage)s.") % {
                "customer": deal.customer_name, "stage": deal.get_stage_display()})
            return _back(request, reverse("deal_detail", args=[pk]))
    messages.error(request, errors_naming_fields(form))
    return _detail(request, _deal(pk), reject_form=form)


WIN_CHANGES = {
    # action: (form, service, success message, form's name on the detail page)
    "cancel": (WinCancelForm, services.deal_cancel_won, gettext_lazy("Won deal cancelled: %(customer)s."), "cancel_form"),
    "correct": (WinCorrectForm, services.deal_correct_win, gettext_lazy("Win corrected: %(customer)s. The next commission run "
                                                                 "writes the difference."), "correct_form"),
    "reopen": (WinReopenForm, services.deal_reopen_won, gettext_lazy("Win reopened: %(customer)s is back in negotiation."),
               "reopen_form"),
}


@console_view
@require_POST
def win_change(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Cancel, correct or reopen a confirmed win; a refused form comes back with its errors on its fields."""
    if action not in WIN_CHANGES:
        raise Http404
    form_class, service, done, name = WIN_CHANGES[action]
    deal = _deal(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            deal = service(deal=deal, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done % {"customer": deal.customer_name})
            return redirect("deal_detail", pk=pk)
    messages.error(request, errors_naming_fields(form))
    return _detail(request, _deal(pk), **{name: form})


@console_view
@require_POST
def deal_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(pk)
    form = MeetingForm(request.POST)
    if form.is_valid():
        services.meeting_record(deal=deal, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Joint meeting recorded."))
    else:
        messages.error(request, _("Enter the date and who joined."))
    return redirect("deal_detail", pk=pk)


@console_view
@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    extension = get_object_or_404(ExtensionRequest, pk=pk)
    try:
        services.extension_decide(request=extension, actor=request.user, approve=request.POST.get("action") == "approve")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Extension request decided."))
    return _back(request, reverse("deal_queue"))


PIPELINE_PER_PAGE = 50
PIPELINE_PARTNER_ROWS = 15


def _pipeline_context(request: HttpRequest, form: PipelineFilterForm) -> dict:
    """What the pipeline page shows under the form's filters; nothing but the form's errors when it refuses them."""
    if not form.is_valid():
        return {"form": form, "errors": parameter_errors(form), "page": Paginator([], PIPELINE_PER_PAGE).get_page(1),
                "query": None, "summary": [], "by_partner": []}
    filters = form.filters()
    chosen = set(filters.stages)
    summary = selectors.pipeline_summary(filters=filters)
    paginator = Paginator(selectors.pipeline_deals(filters), PIPELINE_PER_PAGE)
    # The stage totals already counted the rows under the filters: the paginator needs no COUNT of its own.
    paginator.count = sum(row.count for row in summary if not chosen or row.stage in chosen)
    cards = [{"row": row, "selected": row.stage in chosen, "muted": bool(chosen) and row.stage not in chosen,
              "query": form.query_string(stage=[] if chosen == {row.stage} else [row.stage])} for row in summary]
    by_partner = [] if filters.partner_id is not None else [
        {**row, "query": form.query_string(partner=row["partner_id"], partner_name=None)}
        for row in selectors.pipeline_by_partner(filters)[:PIPELINE_PARTNER_ROWS]]
    return {
        "form": form, "errors": [], "filters": filters, "page": paginator.get_page(request.GET.get("page")),
        "query": form.query_string(), "summary": summary, "cards": cards, "by_partner": by_partner,
        "total_amount": sum(row.amount for row in summary if not chosen or row.stage in chosen),
        "partner": form.cleaned_data["partner"], "without_partner": form.query_string(partner=None),
        "stage_names": [str(label) for value, label in Stage.choices if value in chosen],
    }


@console_view
@require_GET
def pipeline(request: HttpRequest) -> HttpResponse:
    """The page, or the results alone for htmx's refresh; refused filters are a 400 naming each parameter (the
    fragment stays a 200, which htmx swaps in, with the same messages)."""
    context = _pipeline_context(request, PipelineFilterForm(request.GET))
    if htmx_partial(request):
        response = render(request, "deals/_pipeline_results.html", {**context, "oob": True})
        if context["query"] is not None:  # the address bar shows the filters as the links write them
            page = context["page"].number
            query = "&".join(part for part in (context["query"], f"page={page}" if page > 1 else "") if part)
            response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
        return response
    return render(request, "deals/pipeline.html", context, status=400 if context["errors"] else 200)


@console_view
@require_GET
def pipeline_export(request: HttpRequest) -> HttpResponseBase:
    """The pipeline under the page's filters as CSV: streamed up to KYOSO_EXPORT_INLINE_ROWS rows, written by the
    worker beyond (prm.exports), never read whole into memory."""
    form = PipelineFilterForm(request.GET)
    if not form.is_valid():  # the page says what is wrong with each filter
        return HttpResponseRedirect(f"{reverse('deal_pipeline')}?{request.GET.urlencode()}")
    filters = form.filters()
    deals = selectors.pipeline_deals(filters)
    zone = timezone.get_current_timezone()
    return offer(request, exports.KIND, exports.params(filters), rows=deals.count(),
                 inline=lambda: csv_export.stream_in_request(exports.filename(), exports.headers(),
                                                             lambda: exports.cells(deals, zone)))


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, instance=DealSettings.current())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Deal registration rules saved."))
        return redirect("deal_rules")
    return render(request, "deals/rules.html", {"form": form})


@console_view
@require_http_methods(["GET", "POST"])
def direct_accounts(request: HttpRequest) -> HttpResponse:
    form = DirectAccountForm(request.POST or None)
    upload = CsvUploadForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        keys = services.customer_keys_for(data["customer_name"], data["corporate_number"], data["web_domain"])
        account = DirectAccount(customer_name=data["customer_name"], corporate_number=keys.corporate_number or "",
                                web_domain=data["web_domain"], owner=data["owner"], industry=data["industry"],
                                employee_band=data["employee_band"], prefecture=data["prefecture"])
        services.apply_keys(account, keys)
        account.save()
        if data["opportunity"]:
            DirectOpportunity.objects.create(account=account, name=data["opportunity"], amount=data["amount"] or 0)
        messages.success(request, _("Direct-sales account %(name)s added.") % {"name": account.customer_name})
        return redirect("direct_accounts")
    accounts = Paginator(selectors.direct_account_list(), 50).get_page(request.GET.get("page"))
    return render(request, "deals/direct.html", {"form": form, "upload": upload, "page": accounts})


@console_view
@require_POST
def direct_import(request: HttpRequest) -> HttpResponse:
    upload = CsvUploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        messages.error(request, " ".join(e for errors in upload.errors.values() for e in errors))
        return redirect("direct_accounts")
    try:
        count = csv_import.import_direct_accounts(upload.cleaned_data["file"].read())
    except ValidationError as error:
        for message in error.messages[:20]:
            messages.error(request, message)
        messages.error(request, _("Nothing was imported."))
    else:
        messages.success(request, _("%(count)s direct-sales accounts imported.") % {"count": count})
    return redirect("direct_accounts")


@console_view
@require_http_methods(["GET", "POST"])
def lead_list(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        products = data.pop("products")
        try:
            lead = leads.lead_create(actor=request.user, products=products, **data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            offer = leads.lead_offer_next(lead=lead)
            if offer:
                messages.success(request, _("Lead offered to %(partner)s.") % {"partner": offer.partner.name})
            else:
                messages.warning(request, _("No partner can receive this lead. Add lead recipients in the admin."))
            return redirect("lead_list")
    page = Paginator(selectors.lead_list(), 50).get_page(request.GET.get("page"))
    return render(request, "deals/leads.html", {"form": form, "upload": CsvUploadForm(), "page": page,
                                                "counts": leads.lead_counts()})


@console_view
@require_POST
def lead_import(request: HttpRequest) -> HttpResponse:
    upload = CsvUploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        messages.error(request, " ".join(e for errors in upload.errors.values() for e in errors))
        return redirect("lead_list")
    try:
        created = csv_import.import_leads(upload.cleaned_data["file"].read(), actor=request.user)
    except ValidationError as error:
        for message in error.messages[:20]:
            messages.error(request, message)
        messages.error(request, _("Nothing was imported."))
        return redirect("lead_list")
    offered = sum(1 for lead in created if leads.lead_offer_next(lead=lead))
    messages.success(request, _("%(count)s leads imported, %(offered)s offered to partners.")
                     % {"count": len(created), "offered": offered})
    return redirect("lead_list")


@console_view
@require_POST
def lead_distribute(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    offer = leads.lead_offer_next(lead=lead)
    if offer:
        messages.success(request, _("Lead offered to %(partner)s.") % {"partner": offer.partner.name})
    else:
        messages.warning(request, _("No partner can receive this lead now."))
    return redirect("lead_list")
