"""Request handling shared by the console's and the portal's deal pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from deals import services
from deals.forms import MoveForm
from deals.models import DealRegistration


def move_from_request(request: HttpRequest, deal: DealRegistration) -> None:
    """Apply a pipeline move posted by either site; the outcome goes to the messages."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid stage."))
        return
    try:
        deal = services.deal_move(deal=deal, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Deal updated."))
        if getattr(deal, "credit_warning", None):
            messages.warning(request, _("This deal takes the partner's open amount to ¥%(after)s, past its credit limit of ¥%(limit)s.")
                             % {"after": f"{deal.credit_warning.after:,}", "limit": f"{deal.credit_warning.limit:,}"})
