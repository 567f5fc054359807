"""Console: leaderboards, the awards the data proposes and publishing them, and the CSV of a board."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from prm import csv_export
from prm.accounts.access import console_view
from prm.exports import offer
from prm.forms import error_messages
from prm.htmx import htmx_partial
from programs.recognition import exports, selectors, services
from programs.recognition.forms import AwardPublishForm, LeaderboardForm
from programs.recognition_models import Award

CONSOLE_LIMIT = 50


def _filter(request: HttpRequest) -> LeaderboardForm:
    return LeaderboardForm(request.GET, today=timezone.localdate(), start_month=selectors.start_month())


@console_view
@require_GET
def recognition(request: HttpRequest) -> HttpResponse:
    form = _filter(request)
    selection = form.selection()
    context = {"form": form, "board": None, "badges": {}, "query": request.GET.urlencode()}
    if selection is not None:
        board = selectors.leaderboard(selection[1], selection[0], limit=CONSOLE_LIMIT)
        context.update(board=board, badges=selectors.badges_by_partner([row.partner_id for row in board.rows]))
    status = 200 if selection is not None else 400
    if htmx_partial(request):
        return render(request, "programs/recognition_board.html", context)  # htmx swaps 200s only
    context.update(proposals=selectors.award_proposals(), history=selectors.published_awards())
    return render(request, "programs/recognition.html", context, status=status)


@console_view
@require_GET
def recognition_export(request: HttpRequest) -> HttpResponse:
    form = _filter(request)
    selection = form.selection()
    if selection is None:
        return HttpResponse(" ".join(error_messages(form)), status=400,
                            content_type="text/plain; charset=utf-8")
    period, metric = selection

    def inline() -> HttpResponse:
        return csv_export.csv_response(exports.filename(metric, period), *exports.table(metric, period))

    return offer(request, exports.KIND, exports.params(metric, period), rows=selectors.ranked_partner_count(),
                 inline=inline)


@console_view
@require_POST
def award_publish(request: HttpRequest) -> HttpResponse:
    form = AwardPublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an award to publish."))
        return redirect("program_recognition")
    try:
        award = services.award_publish(kind=form.cleaned_data["kind"], actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(award)s published: %(partner)s. Partners see it in the portal now.")
                         % {"award": award.get_kind_display(), "partner": award.partner.name})
    return redirect("program_recognition")


@console_view
@require_POST
def award_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    award = get_object_or_404(Award.objects.select_related("partner"), pk=pk)
    try:
        services.award_withdraw(award=award, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(award)s for %(partner)s withdrawn.")
                         % {"award": award.get_kind_display(), "partner": award.partner.name})
    return redirect("program_recognition")
