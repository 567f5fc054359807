"""Console: the content library — items, versions, who viewed and downloaded what, and the access log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from enablement import exports, selectors, services
from enablement.forms_resources import (
    PARTNER_TYPE_LABELS,
    AccessFilterForm,
    ContentCreateForm,
    ContentItemForm,
    ContentVersionForm,
    LibraryFilterForm,
)
from enablement.models import ContentAccess, ContentItem, ContentVersion
from enablement.services import resources_admin
from partners.views.common import paginate, querystring_without_page
from prm import csv_export
from prm.accounts.access import console_view
from prm.downloads import file_response
from prm.exports import offer
from prm.htmx import htmx_partial

PER_PAGE = 50


def get_item(pk: int) -> ContentItem:
    return get_object_or_404(ContentItem, pk=pk)


@console_view
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    form = LibraryFilterForm(request.GET or None, tags=resources_admin.library_all_tags())
    page = paginate(request, resources_admin.library_console(**form.filters()), PER_PAGE)
    context = {"form": form, "page": page, "query": querystring_without_page(request),
               "tiers": resources_admin.tier_labels(), "type_labels": PARTNER_TYPE_LABELS}
    if htmx_partial(request):
        return render(request, "enablement/resources/_library_table.html", context)
    return render(request, "enablement/resources/library.html", context)


@console_view
@require_http_methods(["GET", "POST"])
def content_create(request: HttpRequest) -> HttpResponse:
    form = ContentCreateForm(request.POST or None, request.FILES or None, tiers=resources_admin.tier_labels())
    if request.method == "POST" and form.is_valid():
        try:
            item = services.content_create(actor=request.user, file=form.cleaned_data["file"],
                                           notes=form.cleaned_data["notes"], **form.item_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(title)s was added to the library.") % {"title": item.title})
            return redirect("enablement_content", pk=item.pk)
    return render(request, "enablement/resources/content_form.html", {"form": form, "item": None})


@console_view
@require_http_methods(["GET", "POST"])
def content_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_item(pk)
    form = ContentItemForm(request.POST or None, item=item, tiers=resources_admin.tier_labels())
    if request.method == "POST" and form.is_valid():
        try:
            services.content_update(item=item, actor=request.user, **form.item_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(title)s saved.") % {"title": item.title})
            return redirect("enablement_content", pk=item.pk)
    return render(request, "enablement/resources/content_form.html", {"form": form, "item": item})


def _content_page(request: HttpRequest, item: ContentItem, version_form: ContentVersionForm) -> HttpResponse:
    context = {
        "item": item,
        "versions": item.versions.select_related("uploaded_by"),
        "top": selectors.top_downloaders(item),
        "page": paginate(request, selectors.accesses(item=item), PER_PAGE),
        "query": querystring_without_page(request),
        "version_form": version_form,
        "tiers": resources_admin.tier_labels(),
        "type_labels": PARTNER_TYPE_LABELS,
    }
    return render(request, "enablement/resources/content_detail.html", context)


@console_view
@require_GET
def content_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _content_page(request, get_item(pk), ContentVersionForm())


@console_view
@require_POST
def content_version(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_item(pk)
    form = ContentVersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.content_version_add(item=item, actor=request.user, file=form.cleaned_data["file"],
                                                   notes=form.cleaned_data["notes"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Version %(number)s uploaded.") % {"number": version.number})
            return redirect("enablement_content", pk=item.pk)
    return _content_page(request, item, form)


@console_view
@require_safe
def content_file(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """A version's file for vendor staff; library files are never linked by their media URL."""
    version = get_object_or_404(ContentVersion, item_id=pk, number=number)
    return file_response(request, version.file)


# --------------------------------------------------------------------------- access log


def _csv_stream(rows) -> HttpResponseBase:
    """The rows as CSV, written while the database is read (in the request's zone, pinned with its language)."""
    zone = timezone.get_current_timezone()
    return csv_export.stream_in_request(exports.filename(), exports.headers(), lambda: exports.cells(rows, zone))


@console_view
@require_GET
def accesses(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    wants_csv = params.pop("format", [""])[0] == "csv"
    form = AccessFilterForm(params)
    if not form.is_valid():
        rows = ContentAccess.objects.none()
    else:
        rows = resources_admin.access_log(**form.filters())
    if wants_csv and form.is_valid():
        return offer(request, exports.KIND, exports.params(form.filters()), rows=rows.count(),
                     inline=lambda: _csv_stream(rows))
    context = {"form": form, "page": paginate(request, rows, PER_PAGE), "query": querystring_without_page(request),
               "export_query": params.urlencode()}
    if htmx_partial(request):
        return render(request, "enablement/resources/_access_table.html", context)
    return render(request, "enablement/resources/accesses.html", context)
