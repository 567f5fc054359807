"""Portal: the leaderboard (top 10 and the company's own rank), published awards and the company's badges.

Other partners appear by rank and name only; figures are shown for the viewer's own company.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.access import portal_view
from prm.htmx import htmx_partial
from programs.recognition import rules, selectors
from programs.recognition.forms import LeaderboardForm

PORTAL_LIMIT = 10


@portal_view
@require_GET
def recognition(request: HttpRequest) -> HttpResponse:
    form = LeaderboardForm(request.GET, today=timezone.localdate(), start_month=selectors.start_month(),
                           metrics=rules.PORTAL_METRICS)
    selection = form.selection()
    board = None
    if selection is not None:
        period, metric = selection
        board = selectors.leaderboard_for_partner(metric, period, request.partner, limit=PORTAL_LIMIT)
    context = {"partner": request.partner, "form": form, "board": board}
    if htmx_partial(request):
        return render(request, "portal/recognition/_board.html", context)  # htmx swaps 200s only
    context.update(awards=selectors.published_awards_for_partner(request.partner),
                   badges=selectors.badges_for(request.partner, include_locked=True))
    return render(request, "portal/recognition/index.html", context, status=200 if selection is not None else 400)
