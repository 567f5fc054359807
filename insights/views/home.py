"""Console: the home page, the vendor's channel at a glance (figures read through each app's selectors)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from deals import selectors as deal_selectors
from insights import inbox
from partners import selectors as partner_selectors
from prm.accounts.access import console_view


@console_view
@require_GET
def console_home(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "")
    if scope not in inbox.SCOPES:
        scope = inbox.default_scope(request.user)
    cards = inbox.work_inbox(owner_id=request.user.pk if scope == "mine" else None)
    stats = {
        "partners": partner_selectors.signed_partner_count(),
        "program_participation": partner_selectors.program_participation_count(),
        "active_contacts": partner_selectors.contact_stage_counts()["active"],
        "pending_applications": partner_selectors.pending_application_count(),
        "wins_to_confirm": deal_selectors.wins_awaiting_count(),
    }
    return render(request, "console/home.html", {
        "stats": stats,
        "scope": scope,
        "inbox": cards,
        "inbox_total": inbox.waiting_total(cards),
        "today": timezone.localdate(),
        "stage_rows": partner_selectors.stage_rows(),
        "contact_rows": partner_selectors.contact_stage_rows(),
    })
