"""The partner portal. Views call the same services as the console."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.access import portal_view
from prm.invitations import selectors as invitation_selectors
from prm.invitations import services as invitation_services
from prm.invitations.forms import ColleagueInvitationForm


@portal_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    colleagues = invitation_selectors.colleague_list(request.partner).filter(is_active=True)
    return render(request, "portal/home.html", {"partner": request.partner, "colleague_count": colleagues.count()})


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
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = invitation_services.invitation_create(
                inviter=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                partner=request.partner,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("portal_team")
    return render(request, "portal/invite.html", {"form": form})
