"""Request handling shared by the console's and the portal's deal pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from deals import services
from deals.forms import MoveForm
from deals.models import DealRegistration, Stage
from prm.forms import errors_naming_fields


def move_from_request(request: HttpRequest, deal: DealRegistration) -> MoveForm | None:
    """Apply a pipeline move posted by either site; the outcome goes to the messages.

    Returns the refused form (bound, with its errors on their fields) to show again, or None.
    """
    form = MoveForm(request.POST, reporting=request.user.is_partner_user)
    if form.is_valid():
        try:
            deal = services.deal_move(deal=deal, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if deal.stage == Stage.WON_PENDING:
                messages.success(request, _("Win reported. It counts once your channel manager confirms it."))
            else:
                messages.success(request, _("Deal updated."))
            if getattr(deal, "credit_warning", None):
                messages.warning(request, _("This deal takes the partner's open amount to ¥%(after)s, past its credit limit of ¥%(limit)s.")
                                 % {"after": f"{deal.credit_warning.after:,}", "limit": f"{deal.credit_warning.limit:,}"})
            return None
    messages.error(request, errors_naming_fields(form))
    return form
