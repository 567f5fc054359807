"""Console: commission runs, plans, payouts with statements and transfer files, MDF, invoice payments, audit."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from deals import selectors as deal_selectors
from incentives import audit, engine, explain, invoices, mdf, payouts, runs, selectors, statements, vendor_settings, zengin
from incentives import plan_builder as plan_builder_form
from incentives.models import (
    CommissionRun,
    IncentiveSettings,
    InvoiceImport,
    MdfRequest,
    Payout,
    Plan,
    PlanVersion,
)
from partners import csv_io
from partners.forms import ImportForm
from partners.selectors import partner_choices, partner_names
from prm import csv_export
from prm.accounts.access import console_view
from prm.bounds import AsciiIntegerField, BusinessDateField, MonthField, yen_field
from prm.htmx import htmx_partial
from prm.params import MAX_ID, BadParameter, int_param, month_param


class PeriodForm(forms.Form):
    period = MonthField(label=gettext_lazy("Month"))


class MdfDecisionForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Decision"), choices=[("approve", "approve"), ("reject", "reject")])
    amount = yen_field(gettext_lazy("Approved amount (¥)"), required=False, allow_zero=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)


class DisputeReplyForm(forms.Form):
    reply = forms.CharField(label=gettext_lazy("Reply to the partner"), max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(forms.Form):
    document = forms.CharField(label=gettext_lazy("Plan (JSON)"), required=False, max_length=1_000_000,
                               widget=forms.Textarea(attrs={"rows": 22, "class": "font-monospace"}))
    upload = forms.FileField(label=gettext_lazy("…or import a JSON file"), required=False)

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("document") or ""
        if cleaned.get("upload"):
            text = cleaned["upload"].read(1_000_001).decode("utf-8-sig", errors="replace")
        if not text.strip():
            raise forms.ValidationError(_("Paste the plan's JSON or choose a JSON file."))
        try:
            data = json.loads(text)
            engine.parse_plan(data)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(_("The plan is not valid JSON (line %(line)s, column %(column)s).")
                                        % {"line": error.lineno, "column": error.colno}) from None
        except engine.PlanError as error:
            raise forms.ValidationError(str(error)) from None
        cleaned["data"] = data
        return cleaned


def _flash_errors(request: HttpRequest, form: forms.Form) -> None:
    """A form posted from a list page: each error becomes a message naming its field."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


def _period(request: HttpRequest) -> date:
    """?period=YYYY-MM; absent means last month, a bad value is a 400 (never another month's figures)."""
    today = timezone.localdate()
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return month_param(request, "period", default=last_month)


@console_view
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    runs.runs_fail_stale()
    return render(request, "incentives/overview.html", {
        "runs": CommissionRun.objects.all()[:10], "form": PeriodForm(initial={"period": _period(request).strftime("%Y-%m")}),
        "plans": Plan.objects.prefetch_related("versions"),
    })


@console_view
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect("incentives_overview")
    try:
        run = runs.run_start(period=form.cleaned_data["period"], actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("incentives_overview")
    warning = runs.open_month_warning(run.period)
    if warning:
        messages.warning(request, warning)
    runs.run_queue(run)
    return redirect("incentives_run", pk=run.pk)


@console_view
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    runs.runs_fail_stale()  # a run whose worker died is shown as interrupted, not as running forever
    run = get_object_or_404(CommissionRun, pk=pk)
    template = "incentives/_run_progress.html" if htmx_partial(request) else "incentives/run.html"
    response = render(request, template, {"run": run, "stale_minutes": settings.KYOSO_RUN_STALE_MINUTES})
    if htmx_partial(request) and run.status in (CommissionRun.Status.DONE, CommissionRun.Status.FAILED):
        response["HX-Refresh"] = "true"  # show the finished page once
    return response


@console_view
@require_POST
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(CommissionRun, pk=pk)
    try:
        runs.run_resume(run=run, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The run was resumed: only the ledger lines still missing are added."))
    return redirect("incentives_run", pk=run.pk)


@console_view
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The plan as JSON, for power users: paste or import a file, simulate, save as a draft or publish."""
    plan = get_object_or_404(Plan, pk=pk) if pk else None
    shown = _plan_document(plan)
    initial = json.dumps(shown, ensure_ascii=False, indent=2)
    form = PlanForm(request.POST or None, request.FILES or None, initial={"document": initial})
    context = {"plan": plan, "form": form, "versions": plan.versions.all() if plan else []}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["data"]
        if request.POST.get("action") == "simulate":
            return render(request, "incentives/plan_form.html", {
                **context, "comparison": _compare(plan.current_version if plan else None, data)})
        saved = _save_plan(request, form, plan, data, publish=request.POST.get("action") == "publish")
        if saved is not None:
            return saved
    return render(request, "incentives/plan_form.html", context)


def _plan_document(plan: Plan | None) -> dict:
    """What the editors open: the plan's draft, else its published version, else the example plan."""
    version = plan.versions.order_by("-number").exclude(status=PlanVersion.Status.RETIRED).first() if plan else None
    return version.document if version else _example_plan()


def _save_plan(request: HttpRequest, form: forms.Form, plan: Plan | None, data: dict, *,
               publish: bool) -> HttpResponse | None:
    """Save the checked document as a draft or publish it; a refusal (the code) goes onto the form."""
    try:
        with transaction.atomic():
            version = runs.plan_save_draft(plan=plan, document=data, actor=request.user)
            if publish:
                version = runs.plan_publish(plan=version.plan, document=data, actor=request.user)
    except ValidationError as error:
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
        return None
    if publish:
        messages.success(request, _("Plan %(code)s version %(number)s published.") % {
            "code": version.plan.code, "number": version.number})
    else:
        messages.success(request, _("Plan %(code)s version %(number)s saved as a draft.") % {
            "code": version.plan.code, "number": version.number})
    return redirect("incentives_plan", pk=version.plan.pk)


def _applies_choices(document: dict | None) -> tuple[list, list]:
    """Partner types and tiers as checkboxes: the vendor's own, plus any the document names that are gone."""
    from partners.models import PartnerType
    from programs.selectors import tier_choices

    types, tiers = list(PartnerType.choices), tier_choices()
    applies = document.get("applies_to") if isinstance(document, dict) else None
    applies = applies if isinstance(applies, dict) else {}
    for values, choices in ((applies.get("partner_types"), types), (applies.get("tiers"), tiers)):
        known = {code for code, _label in choices}
        choices += [(code, code) for code in (values if isinstance(values, list) else [])
                    if isinstance(code, str) and code not in known]
    return types, tiers


@console_view
@require_http_methods(["GET", "POST"])
def plan_builder(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The plan as a form: its fields and one row per rule, each with what it pays on an example deal."""
    plan = get_object_or_404(Plan, pk=pk) if pk else None
    if request.method == "GET":
        document = _plan_document(plan)
        if plan is None:
            document = {**document, "code": "", "name": ""} if request.GET.get("blank") else document
        data = plan_builder_form.QueryDictLike(plan_builder_form.initial_data(document))
        example = plan_builder_form.ExampleForm(initial=plan_builder_form.default_example())
        operation, action = "", ""
    else:
        data, document = request.POST, None
        example = plan_builder_form.ExampleForm(request.POST)
        operation = request.POST.get("op", "")[:20]
        action = request.POST.get("action", "")
    types, tiers = _applies_choices(document)
    if request.method == "POST":  # codes an imported plan named that are no longer the vendor's stay ticked
        for name, choices in (("partner_types", types), ("tiers", tiers)):
            known = {code for code, _label in choices}
            choices += [(code, code) for code in dict.fromkeys(data.getlist(name)[:50])
                        if code not in known and plan_builder_form.CODE.fullmatch(code)]
    builder = plan_builder_form.build(data, type_choices=types, tier_choices=tiers,
                                      code_locked_to=plan.code if plan else None, operation=operation)
    example_ok = not example.is_bound or example.is_valid()
    if builder.ok and example_ok and not operation and action in ("save", "publish"):
        saved = _save_plan(request, builder.plan_form, plan, builder.document, publish=action == "publish")
        if saved is not None:
            return saved
    if example.is_bound and example_ok:
        plan_builder_form.attach_preview(builder, example.cleaned_data["example_amount"],
                                         example.cleaned_data["example_day"])
    elif not example.is_bound:
        defaults = plan_builder_form.default_example()
        plan_builder_form.attach_preview(builder, defaults["example_amount"], defaults["example_day"])
    context = {"plan": plan, "builder": builder, "example": example,
               "versions": plan.versions.all() if plan else [], "kinds": plan_builder_form.KIND_LABELS}
    refused = action and not (builder.ok and example_ok and not builder.plan_form.errors)
    return render(request, "incentives/plan_builder.html", context, status=400 if refused else 200)


@console_view
@require_POST
def plan_builder_row(request: HttpRequest) -> HttpResponse:
    """One rule row again, with the fields of the kind just chosen (htmx, when the kind changes)."""
    keys = plan_builder_form.row_keys(request.POST)
    if not keys:
        return HttpResponse(status=400)
    row = plan_builder_form.row_of(request.POST, keys[0])
    return render(request, "incentives/_plan_rule_row.html", {"row": row, "position": None})


def _example_plan() -> dict:
    from django.conf import settings

    return json.loads((settings.BASE_DIR / "incentives" / "examples" / "reseller-fy2026.json").read_text())


def _compare(current: PlanVersion | None, draft: dict) -> list[dict]:
    """What the draft would have paid each partner on the recorded events, beside the current plan."""
    events = runs.recorded_events(timezone.localdate())
    infos = runs.partner_infos()
    draft_result = engine.compute(engine.parse_plan(draft), events, infos)
    current_result = engine.compute(engine.parse_plan(current.document), events, infos) if current else None
    codes = set(draft_result.partners) | set(current_result.partners if current_result else {})
    names = partner_names(int(c) for c in codes)
    rows = []
    for code in sorted(codes, key=int):
        now_total = current_result.partners[code].total if current_result and code in current_result.partners else 0
        draft_total = draft_result.partners[code].total if code in draft_result.partners else 0
        rows.append({"partner": names.get(int(code), code), "current": now_total, "draft": draft_total,
                     "difference": draft_total - now_total})
    rows.sort(key=lambda row: -abs(row["difference"]))
    return rows


@console_view
@require_GET
def plan_export(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    version = get_object_or_404(PlanVersion, plan_id=pk, number=number)
    response = HttpResponse(json.dumps(version.document, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{version.plan.code}-v{number}.json"'
    return response


@console_view
@require_http_methods(["GET"])
def payout_list(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    return render(request, "incentives/payouts.html", {
        "period": period, "page": selectors.payout_page(period=period),
        "form": PeriodForm(initial={"period": period.strftime("%Y-%m")}),
        "settings_missing": vendor_settings.missing_for_transfer(),
    })


@console_view
@require_POST
def payouts_build(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.POST)
    try:
        vendor_settings.require_complete()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("incentives_payouts")
    if form.is_valid():
        built = payouts.payouts_build(period=form.cleaned_data["period"], actor=request.user)
        messages.success(request, _("%(count)s payouts prepared for review.") % {"count": len(built)})
        return redirect(f"/incentives/payouts/?period={form.cleaned_data['period']:%Y-%m}")
    _flash_errors(request, form)
    return redirect("incentives_payouts")


ACTIONS = {
    "approve": payouts.payout_approve,
    "reapprove": payouts.payout_reapprove,
    "hold": payouts.payout_hold,
    "release": payouts.payout_release,
    "pay": payouts.payout_mark_paid,
}


@console_view
@require_POST
def payout_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    payout = get_object_or_404(Payout, pk=pk)
    if action not in ACTIONS:
        raise PermissionDenied
    try:
        ACTIONS[action](payout=payout, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Payout for %(partner)s updated.") % {"partner": payout.partner.name})
    return redirect(f"/incentives/payouts/?period={payout.period:%Y-%m}")


@console_view
@require_GET
def payout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One payout opened into its lines, by plan: date, event (linked to its deal), rule name, amount."""
    payout = get_object_or_404(Payout.objects.select_related("partner", "confirmed_by"), pk=pk)
    return render(request, "incentives/payout_detail.html", {
        "payout": payout, "groups": selectors.payout_lines(payout),
        "disputes": payout.disputes.select_related("raised_by", "resolved_by"),
        "open_dispute": payouts.open_dispute(payout), "reply_form": DisputeReplyForm(),
    })


@console_view
@require_POST
def payout_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    payout = get_object_or_404(Payout, pk=pk)
    form = DisputeReplyForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect("incentives_payout", pk=pk)
    try:
        payouts.dispute_resolve(payout=payout, actor=request.user, reply=form.cleaned_data["reply"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Reply sent; the payout is back in review."))
    return redirect("incentives_payout", pk=pk)


@console_view
@require_GET
def deal_earnings(request: HttpRequest, pk: int) -> HttpResponse:
    """What a deal earned and why: every published plan's rules on its events, paid or not and why."""
    deal = deal_selectors.deal_with_partner(pk)
    if deal is None:
        raise Http404
    return render(request, "incentives/deal_earnings.html", {"deal": deal, "plans": explain.deal_explanation(deal)})


def statement_response(payout: Payout, language: str) -> HttpResponse:
    language = language if language in statements.LANGUAGES else "ja"
    pdf = statements.render_pdf(payout, language=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, statements.file_name(payout, language))
    return response


@console_view
@require_GET
def payout_statement(request: HttpRequest, pk: int) -> HttpResponse:
    return statement_response(get_object_or_404(Payout.objects.select_related("partner"), pk=pk), request.GET.get("lang", "ja"))


@console_view
@require_GET
def transfer_file(request: HttpRequest) -> HttpResponse:
    """全銀 file (or CSV) of the period's approved payouts, to the accounts they were approved with;
    refused when such an account is invalid, and the 全銀 file until the issuer and sender are set.
    Payouts whose account changed since approval are left out."""
    period = _period(request)
    if request.GET.get("format") != "csv":
        try:
            vendor_settings.require_complete()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(f"/incentives/payouts/?period={period:%Y-%m}")
    try:
        batch = selectors.transfer_batch(period=period)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(f"/incentives/payouts/?period={period:%Y-%m}")
    for _payout, reason in batch.excluded:
        messages.warning(request, reason)
    approved, transfers = batch.payouts, batch.transfers
    rules = IncentiveSettings.current()
    if request.GET.get("format") == "csv":
        return csv_export.download(zengin.transfer_csv(transfers), f"transfers-{period:%Y%m}.csv")
    else:
        due = approved[0].due_date if approved else timezone.localdate()
        body = zengin.transfer_file(client_code=rules.transfer_client_code, client_name=rules.transfer_client_name,
                                    transfer_date=due, bank_code=rules.transfer_bank_code,
                                    bank_name=rules.transfer_bank_name, branch_code=rules.transfer_branch_code,
                                    branch_name=rules.transfer_branch_name, account_type=rules.transfer_account_type,
                                    account_number=rules.transfer_account_number, transfers=transfers)
        content_type, name = "application/octet-stream", f"zengin-{period:%Y%m}.txt"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@console_view
@require_GET
def mdf_queue(request: HttpRequest) -> HttpResponse:
    requests = MdfRequest.objects.select_related("partner", "claim").order_by("-created_at")[:100]
    return render(request, "incentives/mdf.html", {"requests": requests, "roi": mdf.roi(
        [r for r in requests if r.status in ("claimed", "reimbursed")])})


@console_view
@require_safe
def mdf_proof(request: HttpRequest, pk: int) -> HttpResponse:
    """The proof of the claim on MDF request `pk`, for the channel manager to check before paying it."""
    claim = get_object_or_404(mdf.claims_visible_to(request.user), request_id=pk)
    return mdf.proof_response(request, claim)


@console_view
@require_POST
def mdf_decide(request: HttpRequest, pk: int) -> HttpResponse:
    request_obj = get_object_or_404(MdfRequest, pk=pk)
    form = MdfDecisionForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect("incentives_mdf")
    try:
        mdf.request_decide(request=request_obj, actor=request.user, approve=form.cleaned_data["action"] == "approve",
                           amount=form.cleaned_data["amount"], note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("MDF request decided."))
    return redirect("incentives_mdf")


def _audit_filters(request: HttpRequest) -> tuple[selectors.AuditFilters, list[str]]:
    """The audit log's filters from the query string; a bad value is a 400 naming the parameter."""
    actions = selectors.audit_actions()
    action = request.GET.get("kind", "").strip()
    if action and action not in actions:
        raise BadParameter("kind", _("choose one of the listed kinds."))
    start, end = month_param(request, "start"), month_param(request, "end")
    if start and end and end < start:
        raise BadParameter("end", _("the last month comes before the first."))
    return selectors.AuditFilters(start=start, end=end, actor=int_param(request, "actor"), action=action,
                                  partner=int_param(request, "partner")), actions


@console_view
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    filters, actions = _audit_filters(request)
    entries = selectors.audit_entries(filters)
    if request.GET.get("format") == "csv":
        return audit_export(entries)
    page = Paginator(entries, 50).get_page(int_param(request, "page", default=1, max_value=10**6))
    query = urlencode([(key, value) for key, value in (
        ("start", f"{filters.start:%Y-%m}" if filters.start else ""), ("end", f"{filters.end:%Y-%m}" if filters.end else ""),
        ("actor", filters.actor or ""), ("kind", filters.action), ("partner", filters.partner or "")) if value])
    return render(request, "incentives/audit.html", {
        "page": page, "lines": audit.lines(page.object_list), "filters": filters, "query": query,
        "kinds": sorted(((code, audit.action_label(code)) for code in actions), key=lambda kind: kind[1]),
        "actors": selectors.audit_actors(), "partners": selectors.audit_partners(),
    })


def audit_export(entries) -> HttpResponse:
    """The filtered log as a CSV: when, who, what, the partner — the same sentences as the page."""
    rows = []
    for start in range(0, 100_000, 1000):  # a ledger export of up to 100,000 entries, looked up a page at a time
        chunk = list(entries[start:start + 1000])
        rows += [[timezone.localtime(line.when), line.actor, line.action, line.partner, line.sentence] for line in audit.lines(chunk)]
        if len(chunk) < 1000:
            break
    return csv_export.csv_response(f"audit-{timezone.localdate():%Y%m%d}.csv",
                                   [_("When"), _("Who"), _("Kind"), _("Partner"), _("What")], rows)


# --------------------------------------------------------------------------- invoice payments (invoice_paid)


class InvoicePaymentForm(forms.Form):
    deal_number = AsciiIntegerField(label=gettext_lazy("Deal number"), min_value=1, max_value=MAX_ID,
                                    help_text=gettext_lazy("The number on the deal's page (案件番号)."))
    paid_on = BusinessDateField(label=gettext_lazy("Paid on"))
    amount = yen_field(gettext_lazy("Amount (¥)"), allow_zero=False)
    reference = forms.CharField(label=gettext_lazy("Customer invoice number"), max_length=invoices.REFERENCE_LENGTH,
                                help_text=gettext_lazy("Identifies the invoice within its deal; the same invoice is "
                                                       "counted once."))


def _invoice_filters(request: HttpRequest) -> selectors.InvoicePaymentFilter:
    return selectors.InvoicePaymentFilter(partner_id=int_param(request, "partner"), month=month_param(request, "month"))


@console_view
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    filters = _invoice_filters(request)
    payments = selectors.invoice_payments(filters)
    count, total = selectors.invoice_payments_total(payments)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "incentives/invoices.html", {
        "page": Paginator(payments, 50).get_page(request.GET.get("page")), "count": count, "total": total,
        "filters": filters, "partners": partner_choices(),
        "month": f"{filters.month:%Y-%m}" if filters.month else "", "query": query.urlencode(),
    })


@console_view
@require_http_methods(["GET", "POST"])
def invoice_new(request: HttpRequest) -> HttpResponse:
    form = InvoicePaymentForm(request.POST or None, initial={"deal_number": int_param(request, "deal")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        deal = deal_selectors.deals_by_number([data["deal_number"]]).get(data["deal_number"])
        if deal is None:
            form.add_error("deal_number", _("There is no deal %(number)s.") % {"number": data["deal_number"]})
        else:
            try:
                payment = invoices.invoice_payment_record(deal=deal, paid_on=data["paid_on"], amount=data["amount"],
                                                          reference=data["reference"], actor=request.user)
            except ValidationError as error:
                for key, errors in error.message_dict.items():
                    form.add_error("deal_number" if key == "deal" else key if key in form.fields else None, errors)
            else:
                messages.success(request, _("Payment of invoice %(reference)s for deal %(number)s (%(customer)s) "
                                            "recorded.") % {"reference": payment.reference, "number": deal.pk,
                                                            "customer": deal.customer_name})
                return redirect("incentives_invoices")
    return render(request, "incentives/invoice_form.html", {"form": form})


@console_view
@require_http_methods(["GET", "POST"])
def invoice_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text, encoding = csv_io.decode(upload.read(), form.cleaned_data["encoding"])
            batch = invoices.import_upload(actor=request.user, filename=upload.name, text=text, encoding=encoding)
        except ValidationError as error:
            form.add_error("file", error.message_dict.get("file", error.messages) if hasattr(error, "error_dict")
                           else error.messages)
        else:
            return redirect("incentives_invoice_preview", pk=batch.pk)
    return render(request, "incentives/invoice_import.html", {
        "form": form, "columns": invoices.COLUMNS, "max_rows": invoices.MAX_ROWS,
        "recent": selectors.invoice_imports_recent()})


def _invoice_import(pk: int) -> InvoiceImport:
    """The upload `pk`; a number beyond any id (20 digits in the address) is simply not found."""
    if pk > MAX_ID:
        raise Http404
    return get_object_or_404(InvoiceImport, pk=pk)


@console_view
@require_GET
def invoice_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _invoice_import(pk)
    context: dict = {"batch": batch}
    if batch.status == InvoiceImport.Status.PREVIEW:
        check = invoices.file_check(batch.content)
        only_errors = request.GET.get("show") == "errors"
        rows = check.error_rows if only_errors else check.rows
        context |= {"check": check, "only_errors": only_errors, "headers": [check.header(key) for key in check.columns],
                    "table": [(row, [(row.values.get(key, ""), bool([e for e in row.errors if e.column == key]))
                                     for key in check.columns]) for row in rows[:invoices.PREVIEW_ROWS]],
                    "rows_hidden": max(len(rows) - invoices.PREVIEW_ROWS, 0)}
    return render(request, "incentives/invoice_preview.html", context)


@console_view
@require_POST
def invoice_import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _invoice_import(pk)
    try:
        created = invoices.import_apply(batch=batch, actor=request.user)
    except ValidationError as error:
        for message in error.messages[:10]:
            messages.error(request, message)
        return redirect("incentives_invoice_preview", pk=batch.pk)
    messages.success(request, _("%(count)s invoice payments imported from %(file)s (¥%(total)s).") % {
        "count": f"{created.count:,}", "file": batch.filename, "total": f"{created.total:,}"})
    return redirect("incentives_invoices")


@console_view
@require_POST
def invoice_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _invoice_import(pk)
    try:
        invoices.import_discard(batch=batch, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("incentives_invoice_preview", pk=batch.pk)
    messages.info(request, _("The import of %(file)s was discarded; nothing was recorded.") % {"file": batch.filename})
    return redirect("incentives_invoice_import")


@console_view
@require_GET
def invoice_template(request: HttpRequest) -> HttpResponse:
    """An empty file to fill in: the Japanese headers and two example lines (by deal number, by customer)."""
    header, rows = invoices.template_rows()
    encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8"
    rows = [[csv_export.Code(cell) if index == 2 and cell else cell for index, cell in enumerate(row)] for row in rows]
    return csv_export.csv_response("invoice-payments-template.csv", header, rows, encoding=encoding)
