"""Console: the vendor's money settings (issuer, tax, payment terms, 全銀 sender, separation of
duties) and the partners' credit limits. Vendor admins only."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from incentives import credit, payouts, terms, vendor_settings
from incentives.forms import CreditLimitForm, DutiesForm, IssuerForm, SenderForm, TaxForm, TermsForm
from incentives.models import IncentiveSettings
from partners import japan
from prm.accounts.access import console_view
from prm.params import int_param


def _initial(rules: IncentiveSettings) -> dict[str, dict]:
    return {
        "issuer": {name: getattr(rules, name) for name in vendor_settings.ISSUER_FIELDS},
        "tax": {"tax_rate_percent": rules.tax_rate_percent},
        "terms": {**{name: getattr(rules, name) for name in vendor_settings.TERMS_FIELDS},
                  "acknowledge_late": bool(rules.late_terms_acknowledged_at)},
        "sender": {name: getattr(rules, name) for name in vendor_settings.SENDER_FIELDS},
        "duties": {"separate_approval_and_payment": rules.separate_approval_and_payment},
    }


FORMS = {"issuer": IssuerForm, "tax": TaxForm, "terms": TermsForm, "sender": SenderForm, "duties": DutiesForm}


def _save(section: str, form: forms.Form, actor) -> None:
    data = form.cleaned_data
    if section == "issuer":
        vendor_settings.issuer_update(actor=actor, **data)
    elif section == "tax":
        vendor_settings.tax_update(actor=actor, **data)
    elif section == "terms":
        vendor_settings.terms_update(actor=actor, **data)
    elif section == "sender":
        vendor_settings.sender_update(
            actor=actor, client_code=data["transfer_client_code"], client_name=data["transfer_client_name"],
            bank_code=data["transfer_bank_code"], branch_code=data["transfer_branch_code"],
            account_type=data["transfer_account_type"], account_number=data["transfer_account_number"])
    else:
        payouts.payout_settings_update(actor=actor, **data)


def error_lines(form: forms.Form) -> list[str]:
    """Each error of a form as 「label: message」, so the summary names the field."""
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        lines += [f"{label}: {error}" if label else str(error) for error in errors]
    return lines


SAVED = {
    "issuer": lambda: _("Issuer saved."),
    "tax": lambda: _("Consumption tax rate saved."),
    "terms": lambda: _("Payment terms saved."),
    "sender": lambda: _("Zengin sender saved."),
    "duties": lambda: _("Payout settings saved."),
}


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def payout_settings(request: HttpRequest) -> HttpResponse:
    rules = IncentiveSettings.current()
    initial = _initial(rules)
    bound = {name: form_class(initial=initial[name], auto_id=f"id_{name}_%s") for name, form_class in FORMS.items()}
    errors: list[str] = []
    if request.method == "POST":
        section = request.POST.get("section", "")
        if section not in FORMS:
            return HttpResponseBadRequest(_("Unknown settings section."))
        form = FORMS[section](request.POST, initial=initial[section], auto_id=f"id_{section}_%s")
        bound[section] = form
        if form.is_valid():
            try:
                _save(section, form, request.user)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, SAVED[section]())
                return redirect(f"{request.path}#{section}")
        errors = error_lines(form)
    longest = terms.longest_days_to_payment(close_day=rules.close_day, pay_month_offset=rules.pay_month_offset,
                                            pay_day=rules.pay_day)
    return render(request, "incentives/settings.html", {
        "forms": bound, "rules": rules, "errors": errors, "missing": vendor_settings.missing_for_transfer(rules),
        "lookup": _lookup(rules.transfer_bank_code, rules.transfer_branch_code),
        "longest_days": longest, "late_terms": longest > terms.SUBCONTRACT_ACT_DAYS,
    })


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def credit_limits(request: HttpRequest) -> HttpResponse:
    form = CreditLimitForm(initial={"settlement_days": 60})
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action not in ("save", "remove"):
            return HttpResponseBadRequest(_("Unknown action."))
        form = CreditLimitForm(request.POST)
        if action == "remove":
            # Removing needs only the partner.
            form.fields["limit"].required = form.fields["settlement_days"].required = False
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "remove":
                    credit.credit_limit_remove(actor=request.user, partner=data["partner"])
                    messages.success(request, _("Credit limit of %(partner)s removed.") % {"partner": data["partner"].name})
                else:
                    credit.credit_limit_set(actor=request.user, partner=data["partner"], limit=data["limit"],
                                            settlement_days=data["settlement_days"])
                    messages.success(request, _("Credit limit of %(partner)s saved.") % {"partner": data["partner"].name})
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("incentives_credit_limits")
        errors = error_lines(form)
    return render(request, "incentives/credit_limits.html", {"form": form, "limits": credit.limits(), "errors": errors})


def _lookup(bank_code: str, branch_code: str) -> dict:
    bank = japan.bank_entry(bank_code) if len(bank_code) == 4 else None
    branch = japan.branch_entry(bank_code, branch_code) if bank and len(branch_code) == 3 else None
    return {"bank_code": bank_code, "branch_code": branch_code, "bank": bank, "branch": branch}


def _code_param(request: HttpRequest, name: str, width: int) -> str:
    """A bank (4) or branch (3) code from the query string, once all its digits are typed; else ''."""
    if len(request.GET.get(name, "").strip()) != width:
        return ""
    value = int_param(request, name, min_value=0, max_value=10**width - 1)
    return f"{value:0{width}d}"


@console_view(admin_only=True)
@require_GET
def bank_lookup(request: HttpRequest) -> HttpResponse:
    """The registry's names for the bank and branch codes being typed on the sender form."""
    bank_code = _code_param(request, "transfer_bank_code", 4)
    branch_code = _code_param(request, "transfer_branch_code", 3)
    return render(request, "incentives/_bank_lookup.html", {"lookup": _lookup(bank_code, branch_code)})
