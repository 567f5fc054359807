"""Portal: the partner's payouts and statements, and its MDF requests and claims."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from incentives import explain, mdf, selectors
from incentives import payouts as payout_services
from incentives.models import Payout
from incentives.views import statement_response
from partners.services import fiscal_year_of
from portal.access import or_404, portal_view
from prm.bounds import BusinessDateField, count_field, yen_field
from prm.forms import error_messages
from prm.invitations.forms import ServiceErrorsMixin

VISIBLE = [Payout.Status.APPROVED, Payout.Status.PAID, Payout.Status.CARRIED, Payout.Status.HELD, Payout.Status.REVIEW]
STATEMENT_ISSUED = [Payout.Status.APPROVED, Payout.Status.PAID, Payout.Status.CARRIED]


class MdfRequestForm(ServiceErrorsMixin, forms.Form):
    activity = forms.CharField(label=gettext_lazy("Activity"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = BusinessDateField(label=gettext_lazy("From"))
    ends_on = BusinessDateField(label=gettext_lazy("To"))
    budget = yen_field(gettext_lazy("Budget (¥)"), allow_zero=False)
    expected_leads = count_field(gettext_lazy("Expected leads"), initial=0)


class DisputeForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("What is wrong with this statement?"), max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class MdfClaimForm(ServiceErrorsMixin, forms.Form):
    amount = yen_field(gettext_lazy("Amount spent (¥)"), allow_zero=False)
    leads = count_field(gettext_lazy("Leads generated"), initial=0)
    proof = forms.FileField(label=gettext_lazy("Proof (PDF, PNG or JPEG, up to 10 MB)"))


@portal_view(admin_only=True)
@require_GET
def payouts(request: HttpRequest) -> HttpResponse:
    rows = selectors.payout_rows_for_partner(partner=request.partner, statuses=VISIBLE)
    return render(request, "portal/money/payouts.html", {
        "rows": rows, "dispute_form": DisputeForm(), "confirmable": payout_services.CONFIRMABLE,
        "disputable": payout_services.DISPUTABLE,
        "disputes": selectors.disputes_for_partner(partner=request.partner)})


@portal_view
@require_GET
def earnings(request: HttpRequest) -> HttpResponse:
    """「報酬」: the plans that apply to the partner, SPIFs running now, what each deal earned or would
    earn if won, and this month's running total. Admins see the whole company's deals, reps their own."""
    deals = explain.deals_for_earnings(partner=request.partner, user=request.user)
    data = explain.partner_earnings(partner=request.partner, deals=deals, whole_partner=request.user.is_partner_admin)
    return render(request, "portal/money/earnings.html", {"earnings": data})


def _own_payout(request: HttpRequest, pk: int) -> Payout:
    return or_404(selectors.payout_for_partner(pk, partner=request.partner))


@portal_view(admin_only=True)
@require_POST
def statement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        payout_services.statement_confirm(payout=_own_payout(request, pk), actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Statement confirmed. Thank you."))
    return redirect("portal_payouts")


@portal_view(admin_only=True)
@require_POST
def statement_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    payout = _own_payout(request, pk)
    form = DisputeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error_messages(form)))
        return redirect("portal_payouts")
    try:
        payout_services.statement_dispute(payout=payout, actor=request.user, comment=form.cleaned_data["comment"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your channel manager has been told. The payout is on hold until they reply."))
    return redirect("portal_payouts")


@portal_view(admin_only=True)
@require_GET
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    payout = or_404(selectors.payout_for_partner(pk, partner=request.partner, statuses=STATEMENT_ISSUED))
    return statement_response(payout, request.GET.get("lang", request.user.language or "ja"))


@portal_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def mdf_requests(request: HttpRequest) -> HttpResponse:
    form = MdfRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mdf.request_create(partner=request.partner, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("MDF request sent to your channel manager."))
            return redirect("portal_mdf")
    year = fiscal_year_of(timezone.localdate())
    allocation = mdf.allocation_for(request.partner, year)
    used = mdf.committed(request.partner, year)
    return render(request, "portal/money/mdf.html", {
        "form": form, "requests": selectors.mdf_requests_of(request.partner),
        "allocation": allocation, "used": used, "remaining": max(allocation - used, 0), "year": year,
        "claim_form": MdfClaimForm(),
    })


@portal_view(admin_only=True)
@require_safe
def mdf_proof(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(mdf.claims_visible_to(request.user), request_id=pk)
    return mdf.proof_response(request, claim)


@portal_view(admin_only=True)
@require_POST
def mdf_claim(request: HttpRequest, pk: int) -> HttpResponse:
    request_obj = or_404(selectors.mdf_request_for_partner(pk, partner=request.partner))
    form = MdfClaimForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            mdf.claim_submit(request=request_obj, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Claim submitted. It will be added to your next payout."))
    else:
        messages.error(request, " ".join(error_messages(form)))
    return redirect("portal_mdf")
