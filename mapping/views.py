"""Console: account mapping across partners, winning-customer conditions, the vendor's target list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mapping import csv_lists, selectors, services
from mapping.forms import ListUploadForm, SharingForm
from mapping.models import ListUpload, PartnerPopulation, VendorPopulation  # noqa: F401
from mapping.web import apply_from_request, names_csv, preview_context, upload_from_request
from partners import selectors as partner_selectors
from partners.models import Partner
from prm.accounts.access import console_view

BASE = "console/base.html"


def _partner(pk: int) -> Partner:
    partner = partner_selectors.partner_by_id(pk)
    if partner is None:
        raise Http404
    return partner


def _upload(pk: int) -> ListUpload:
    upload = selectors.staff_upload(pk)
    if upload is None:
        raise Http404
    return upload


@console_view
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "mapping/console_overview.html", {
        "rows": selectors.partners_overview(), "lists": selectors.lists_of(None), "can_manage": True,
        "levels": selectors.sharing_levels(None), "vendor_populations": VendorPopulation.choices})


@console_view
@require_GET
def partner_matrix(request: HttpRequest, partner_pk: int) -> HttpResponse:
    partner = _partner(partner_pk)
    matrix = selectors.overlap_matrix(partner=partner, viewer=selectors.VENDOR)
    return render(request, "mapping/console_partner.html", {
        "partner": partner, "matrix": matrix, "trend": selectors.trend_series(matrix),
        "vendor_populations": VendorPopulation.choices, "lists": selectors.lists_of(partner),
        "can_manage": services.may_manage_lists(actor=request.user, partner=partner)})


@console_view
@require_POST
def partner_recompute(request: HttpRequest, partner_pk: int) -> HttpResponse:
    partner = _partner(partner_pk)
    snapshot = services.overlap_recompute(partner=partner)
    messages.success(request, _("Overlap recomputed in %(seconds)s s.") % {"seconds": snapshot.seconds})
    return redirect("mapping_partner", partner_pk=partner.pk)


@console_view
@require_GET
def overlap_cell(request: HttpRequest, partner_pk: int, vendor: str, own: str) -> HttpResponse:
    partner = _partner(partner_pk)
    records = selectors.overlap_names(partner=partner, viewer=selectors.VENDOR,
                                      vendor_population=vendor, partner_population=own)
    if records is None:
        raise Http404
    if request.GET.get("format") == "csv":
        return names_csv(records, filename=f"overlap-{partner.pk}-{vendor}-{own}")
    return render(request, "mapping/cell.html", {
        "base": BASE, "partner": partner, "page": Paginator(records, 50).get_page(request.GET.get("page")),
        "vendor_label": VendorPopulation(vendor).label, "own_label": PartnerPopulation(own).label,
        "back": reverse("mapping_partner", args=[partner.pk]), "csv_url": f"{request.path}?format=csv"})


@console_view
@require_POST
def sharing(request: HttpRequest) -> HttpResponse:
    form = SharingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a list and a sharing level."))
        services.sharing_set(actor=request.user, partner=None, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Sharing saved."))
    return redirect("mapping_overview")


@console_view
@require_http_methods(["GET", "POST"])
def list_upload(request: HttpRequest) -> HttpResponse:
    """The vendor's target accounts; with ?partner=<pk>, a list a (prospect) partner handed over."""
    partner_pk = request.GET.get("partner", "")
    partner = _partner(int(partner_pk)) if partner_pk.isdigit() else None
    if not services.may_manage_lists(actor=request.user, partner=partner):
        raise PermissionDenied
    form = ListUploadForm(request.POST or None, request.FILES or None, vendor=partner is None)
    if request.method == "POST":
        upload = upload_from_request(request, form, partner)
        if upload is not None:
            return redirect("mapping_preview", pk=upload.pk)
    back = reverse("mapping_partner", args=[partner.pk]) if partner else reverse("mapping_overview")
    return render(request, "mapping/upload.html", {"form": form, "base": BASE, "columns": csv_lists.COLUMNS,
                                                   "max_rows": csv_lists.MAX_ROWS, "back": back, "partner": partner})


@console_view
@require_GET
def list_preview(request: HttpRequest, pk: int) -> HttpResponse:
    context = preview_context(_upload(pk), only_errors=request.GET.get("show") == "errors")
    return render(request, "mapping/preview.html", {
        **context, "base": BASE, "apply_url": reverse("mapping_apply", args=[pk]),
        "discard_url": reverse("mapping_discard", args=[pk]), "upload_url": reverse("mapping_upload")})


def _after(upload: ListUpload):
    return redirect("mapping_partner", partner_pk=upload.partner_id) if upload.partner_id else redirect("mapping_overview")


@console_view
@require_POST
def list_apply(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload(pk)
    if apply_from_request(request, upload):
        return _after(upload)
    return redirect("mapping_preview", pk=pk)


@console_view
@require_POST
def list_discard(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload(pk)
    services.list_upload_discard(upload=upload, actor=request.user)
    messages.info(request, _("The upload was discarded; nothing was imported."))
    return _after(upload)


@console_view
@require_POST
def list_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer_list = selectors.any_list(pk)
    if customer_list is None:
        raise Http404
    services.list_delete(customer_list=customer_list, actor=request.user)  # a recruited partner's list: 403
    messages.success(request, _("The list %(file)s and every record in it were deleted.") % {"file": customer_list.filename})
    if customer_list.partner_id:
        return redirect("mapping_partner", partner_pk=customer_list.partner_id)
    return redirect("mapping_overview")


@console_view
@require_GET
def conditions(request: HttpRequest) -> HttpResponse:
    found = selectors.winning_conditions()
    dimensions = [(dimension, label, [(segment, selectors.segment_label(dimension, segment.value),
                                       segment.value in found.winning[dimension]) for segment in found.by_dimension[dimension]])
                  for dimension, label in (("industry", _("Industry (JSIC major group)")),
                                           ("employee_band", _("Employees")), ("prefecture", _("Prefecture")),
                                           ("product", _("Product")))]
    return render(request, "mapping/conditions.html", {"total": found.total, "dimensions": dimensions,
                                                       "min_sample": selectors.MIN_SAMPLE})
