"""Portal: a partner's deal registrations and the vendor leads offered to it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import leads, selectors, services
from deals.forms import ExtensionForm, MoveForm, RegistrationForm
from deals.models import DealRegistration
from deals.web import move_from_request
from enablement import selectors as enablement_selectors
from enablement.services.sessions import lead_window
from partners.selectors.lifecycle import deals_allowed
from portal.access import or_404, portal_view
from prm import ratelimits
from prm.forms import error_messages
from prm.params import int_param


def _own_deal(request: HttpRequest, pk: int) -> DealRegistration:
    """A deal of the signed-in user's own company, or 404: other partners' deals do not exist here."""
    return or_404(selectors.deal_for_partner(pk, partner=request.partner))


@portal_view
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    deals = selectors.deals_for_partner(request.partner).order_by("-registered_at", "-pk")
    page = Paginator(deals, 30).get_page(request.GET.get("page"))
    return render(request, "portal/deals/list.html", {
        "page": page, "summary": selectors.pipeline_summary(partner=request.partner)})


@portal_view
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    # A target list's "register" link arrives with the customer filled in (?customer_name=…).
    initial = {name: request.GET[name][:254] for name in (*RegistrationForm.CUSTOMER, *RegistrationForm.SEGMENT)
               if request.GET.get(name)}
    form = RegistrationForm(request.POST or None, initial=initial)
    session = _session_in_progress(request)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_register(partner=request.partner, user=request.user,
                                          products=form.cleaned_data["products"], **form.fields_for_service())
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, ValidationError):
                form.add_service_errors(error)
            else:
                form.add_error(None, str(error))
        else:
            messages.success(request, services.outcome_text(deal))
            if session is not None:  # at a study session: straight on to the next lead
                return redirect(f"{reverse('portal_deal_create')}?session={session.pk}")
            return redirect("portal_deal_detail", pk=deal.pk)
    return render(request, "portal/deals/form.html", {
        "form": form, "session": session, "lead_until": lead_window(session)[1] if session else None,
        # said before the rep types a whole registration in, not only after they send it
        "not_signed": "" if deals_allowed(request.partner) else str(services.NotYetSigned())})


def _session_in_progress(request: HttpRequest):
    """The study session the rep came from (?session=), if they hold a seat in it; counting is by time window."""
    session_id = int_param(request, "session")
    if session_id is None:
        return None
    return enablement_selectors.session_with_seat(session_id, user=request.user)


DEAL_CHECKS_PER_HOUR = 60  # a rep typing in several deals an hour stays far below this


@portal_view
@require_GET
def deal_check(request: HttpRequest) -> HttpResponse:
    """While the rep types: is this customer already registered? Never says by whom.

    Limited per user, so the check cannot be used to list another partner's customers.
    """
    if not ratelimits.hit("deal-check", str(request.user.pk), limit=DEAL_CHECKS_PER_HOUR, window=60 * 60):
        return render(request, "portal/deals/_check.html", {"status": "limited"}, status=429)
    status = services.customer_status(
        partner=request.partner,
        customer_name=request.GET.get("customer_name", ""),
        corporate_number=request.GET.get("corporate_number", ""),
        web_domain=request.GET.get("web_domain", ""),
    )
    return render(request, "portal/deals/_check.html", {"status": status})


@portal_view
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _own_deal(request, pk))


def _detail(request: HttpRequest, deal: DealRegistration, move_form: MoveForm | None = None) -> HttpResponse:
    return render(request, "portal/deals/detail.html", {
        "deal": deal, "move_form": move_form or MoveForm(reporting=True), "extension_form": ExtensionForm(),
        "extensions": deal.extensions.all(), "outcome": services.outcome_text(deal),
        # what it loses to and what happens to it, without whose registration that is
        "conflict": selectors.deal_conflict(deal).for_partner(),
    })


@portal_view
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    refused = move_from_request(request, _own_deal(request, pk))
    if refused is not None:
        return _detail(request, _own_deal(request, pk), refused)
    return redirect("portal_deal_detail", pk=pk)


@portal_view
@require_POST
def deal_extend(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _own_deal(request, pk)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            services.extension_request(deal=deal, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Extension requested. Your channel manager will decide."))
    else:
        messages.error(request, " ".join(error_messages(form)))
    return redirect("portal_deal_detail", pk=pk)


@portal_view
@require_GET
def lead_offers(request: HttpRequest) -> HttpResponse:
    offers = leads.partner_offers(request.partner)
    return render(request, "portal/deals/leads.html", {"offers": offers})


@portal_view
@require_POST
def lead_answer(request: HttpRequest, pk: int) -> HttpResponse:
    offer = or_404(selectors.lead_offer_for_partner(pk, partner_id=request.partner.pk))
    accept = request.POST.get("action") == "accept"
    try:
        deal = leads.lead_respond(offer=offer, actor=request.user, accept=accept, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal_leads")
    if deal is not None:
        messages.success(request, _("Lead accepted and registered as a deal."))
        return redirect("portal_deal_detail", pk=deal.pk)
    messages.success(request, _("Lead declined."))
    return redirect("portal_leads")
