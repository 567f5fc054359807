"""The partner portal. Views call the same services and selectors as the console."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enablement import selectors as enablement_selectors
from enablement import services as enablement_services
from enablement.audience import Viewer
from partners import selectors as partner_selectors
from partners import services as partner_services
from partners.forms import ApplicationForm, ProfileForm
from partners.models import PartnerType
from partners.selectors.portal import portal_home as partner_portal_home
from portal.access import portal_view
from prm.accounts.models import User
from prm.invitations import selectors as invitation_selectors
from prm.invitations.forms import ColleagueInvitationForm
from prm.postgres import prepared_statements
from prm.ratelimits import RateLimited, client_ip
from programs.recognition import badges_for


@portal_view
@require_GET
@prepared_statements(generic=True)  # the partner's rows by key, nothing the user typed
def home(request: HttpRequest) -> HttpResponse:
    partner = request.partner
    own = partner_portal_home(partner, open_items=5)
    context = {
        "partner": partner,
        "colleague_count": own.colleagues,
        "checklist_open": own.checklist_open,
        "checklist_total": own.checklist_total,
        "checklist_done": own.checklist_done,
        "contact_stages": own.contact_stages,
        "enablement": enablement_selectors.portal_home(
            request.user, partner, Viewer.of(partner),
            manager=enablement_services.is_partner_manager(request.user, partner)),
        "badges": badges_for(partner),
    }
    return render(request, "portal/home.html", context)


@portal_view
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    context = {
        "colleagues": invitation_selectors.colleague_list(request.partner),
        "invitations": invitation_selectors.invitation_list(partner=request.partner)[:50],
    }
    return render(request, "portal/team.html", context)


@portal_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    form = ColleagueInvitationForm(request.POST or None)
    if (request.method == "POST" and form.is_valid()
            and (invitation := form.send(inviter=request.user, partner=request.partner, refused_on=None)) is not None):
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("portal_team")
    return render(request, "portal/invite.html", {"form": form})


@portal_view(admin_only=True)
@require_POST
def deactivate(request: HttpRequest, user_pk: int) -> HttpResponse:
    colleague = get_object_or_404(User, pk=user_pk, partner_membership__partner=request.partner)
    try:
        partner_services.partner_user_deactivate(actor=request.user, user=colleague)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("%(name)s can no longer sign in.") % {"name": colleague.get_short_name()})
    return redirect("portal_team")


@portal_view
@require_http_methods(["GET", "POST"])
def company(request: HttpRequest) -> HttpResponse:
    partner = request.partner
    editable = request.user.is_partner_admin
    initial = {name: getattr(partner, name) for name in ProfileForm.base_fields}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            try:
                partner_services.partner_profile_update(partner=partner, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Company profile saved."))
                return redirect("portal_company")
    return render(request, "portal/company.html", {"partner": partner, "form": form, "editable": editable})


@portal_view
@require_GET
def onboarding(request: HttpRequest) -> HttpResponse:
    checklist = partner_selectors.checklist_of(request.partner)
    return render(request, "portal/onboarding.html", {
        "partner": request.partner, "checklist": checklist,
        "checklist_done": sum(1 for item in checklist if item.is_done),
        "agreements": partner_selectors.agreement_rows(request.partner),
    })


@portal_view
@require_GET
def plan(request: HttpRequest) -> HttpResponse:
    current = partner_selectors.current_plan(request.partner)
    return render(request, "portal/plan.html", {
        "partner": request.partner, "plan": current,
        "progress": partner_selectors.plan_progress(current) if current else [],
    })


@portal_view(admin_only=True)
@require_GET
def network(request: HttpRequest) -> HttpResponse:
    """A distributor's summary of its sub-resellers (二次店)."""
    if request.partner.partner_type != PartnerType.DISTRIBUTOR:
        raise Http404
    children = partner_selectors.children_summary(request.partner)
    return render(request, "portal/network.html", {"partner": request.partner, "children": children})


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """The public パートナー募集 form: anyone may apply."""
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner_services.application_submit(client_ip=client_ip(request), **form.application_fields())
        except RateLimited as error:
            form.add_error(None, str(error))
            return render(request, "portal/apply.html", {"form": form}, status=429)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("portal_apply_thanks")
    return render(request, "portal/apply.html", {"form": form})


@require_GET
def apply_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/apply_thanks.html")




@portal_view
@require_GET
def program(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    from programs.selectors import partner_program

    return render(request, "portal/program/tier.html", {"view": partner_program(request.partner, timezone.localdate())})


@portal_view
@require_GET
def figures_help(request: HttpRequest) -> HttpResponse:
    """The figures a partner sees, with their definitions and windows (the vendor's own assessments left out)."""
    from prm import figures

    return render(request, "figures/portal.html", {"rows": figures.help_rows("portal")})

