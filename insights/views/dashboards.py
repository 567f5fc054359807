"""Console: the insights dashboard (funnel, KPIs, revenue, MDF, health) and its CSV exports."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from insights import dashboards
from insights.dashboards import exports, presentation
from prm import csv_export
from prm.accounts.access import console_view
from prm.exports import offer
from prm.forms import error_messages
from prm.htmx import htmx_partial


@console_view
@require_GET
def insights_overview(request: HttpRequest) -> HttpResponse:
    """An invalid period shows the form's error and computes nothing (a CSV request gets 400)."""
    form = dashboards.DashboardForm(request.GET)
    wants_csv = request.GET.get("format") == "csv"
    if not form.is_valid():
        if wants_csv:
            return HttpResponse("\n".join(error_messages(form)), status=400, content_type="text/plain; charset=utf-8")
        return _render(request, {"form": form, "page": None})
    filters = form.filters()
    if wants_csv:
        name = request.GET.get("table", "")
        if name not in presentation.TABLES:
            raise Http404(_("No such table."))
        return offer(request, exports.KIND, exports.params(name, filters), rows=exports.rows(name, filters),
                     inline=lambda: _csv(name, filters))
    page = presentation.page(dashboards.overview(filters))
    return _render(request, {"form": form, "page": page, "filters": filters,
                             "period_window": presentation.period_window(filters),
                             "query": request.GET.urlencode() if request.GET else ""})


def _render(request: HttpRequest, context: dict) -> HttpResponse:
    template = ("insights/_body.html" if htmx_partial(request)
                else "insights/overview.html")
    return render(request, template, context)


def _csv(name: str, filters: dashboards.Filters) -> HttpResponse:
    try:
        table = presentation.export_table(name, filters)
    except KeyError:
        raise Http404(_("No such table.")) from None
    return csv_export.download(table.csv_bytes(), presentation.csv_filename(name, filters))
