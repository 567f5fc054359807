"""Console: the vendor's team and the invitations it has sent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm.accounts.access import console_view
from prm.invitations import selectors, services
from prm.invitations.forms import StaffInvitationForm
from prm.invitations.models import Invitation


@console_view
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    context = {
        "staff": selectors.staff_list(),
        "invitations": selectors.invitation_list()[:50],
        "form": StaffInvitationForm(inviter=request.user),
    }
    return render(request, "invitations/team.html", context)


@console_view
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    form = StaffInvitationForm(request.POST or None, inviter=request.user)
    if (request.method == "POST" and form.is_valid()
            and (invitation := form.send(inviter=request.user, partner=form.cleaned_data["partner"])) is not None):
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("team")
    return render(request, "invitations/invite.html", {"form": form})


@console_view
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("team")
