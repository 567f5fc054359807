"""Console: the one search box's results, as a page or (typing in the box) as the fragment under it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from insights.forms import SearchForm
from insights.search import LIVE_LIMIT, PAGE_LIMIT, console_search
from prm.accounts.access import console_view
from prm.htmx import htmx_partial


@console_view
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    partial = htmx_partial(request)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = console_search(form.cleaned_data["q"], limit=LIVE_LIMIT if partial else PAGE_LIMIT)
    context = {"form": form, "results": results, "live": partial}
    return render(request, "insights/_search_results.html" if partial else "insights/search.html", context)
