"""Portal: a partner's customer lists, its overlap with the vendor, and its target list."""

from __future__ import annotations

from urllib.parse import urlencode

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
from mapping.models import ListUpload, PartnerPopulation, VendorPopulation
from mapping.web import apply_from_request, names_csv, preview_context, upload_from_request
from portal.access import portal_view

BASE = "portal/base.html"
TARGETS_PER_PAGE = 50


def _own_upload(request: HttpRequest, pk: int) -> ListUpload:
    upload = selectors.upload_of(request.partner, pk)
    if upload is None:
        raise Http404
    return upload


@portal_view(admin_only=True)
@require_GET
def mapping_home(request: HttpRequest) -> HttpResponse:
    matrix = selectors.overlap_matrix(partner=request.partner, viewer=selectors.PARTNER)
    return render(request, "mapping/portal_home.html", {
        "matrix": matrix, "trend": selectors.trend_series(matrix), "lists": selectors.lists_of(request.partner),
        "levels": selectors.sharing_levels(request.partner), "populations": PartnerPopulation.choices,
        "vendor_populations": VendorPopulation.choices, "can_manage": True})


@portal_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def list_upload(request: HttpRequest) -> HttpResponse:
    form = ListUploadForm(request.POST or None, request.FILES or None, vendor=False)
    if request.method == "POST":
        upload = upload_from_request(request, form, request.partner)
        if upload is not None:
            return redirect("portal_mapping_preview", pk=upload.pk)
    return render(request, "mapping/upload.html", {"form": form, "base": BASE, "columns": csv_lists.COLUMNS,
                                                   "max_rows": csv_lists.MAX_ROWS, "back": reverse("portal_mapping")})


@portal_view(admin_only=True)
@require_GET
def list_preview(request: HttpRequest, pk: int) -> HttpResponse:
    context = preview_context(_own_upload(request, pk), only_errors=request.GET.get("show") == "errors")
    return render(request, "mapping/preview.html", {
        **context, "base": BASE, "apply_url": reverse("portal_mapping_apply", args=[pk]),
        "discard_url": reverse("portal_mapping_discard", args=[pk]), "upload_url": reverse("portal_mapping_upload")})


@portal_view(admin_only=True)
@require_POST
def list_apply(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _own_upload(request, pk)
    if apply_from_request(request, upload):
        return redirect("portal_mapping")
    return redirect("portal_mapping_preview", pk=pk)


@portal_view(admin_only=True)
@require_POST
def list_discard(request: HttpRequest, pk: int) -> HttpResponse:
    services.list_upload_discard(upload=_own_upload(request, pk), actor=request.user)
    messages.info(request, _("The upload was discarded; nothing was imported."))
    return redirect("portal_mapping")


@portal_view(admin_only=True)
@require_POST
def list_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer_list = selectors.list_of(request.partner, pk)
    if customer_list is None:
        raise Http404
    services.list_delete(customer_list=customer_list, actor=request.user)
    messages.success(request, _("The list %(file)s and every record in it were deleted.") % {"file": customer_list.filename})
    return redirect("portal_mapping")


@portal_view(admin_only=True)
@require_POST
def sharing(request: HttpRequest) -> HttpResponse:
    form = SharingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a list and a sharing level."))
        services.sharing_set(actor=request.user, partner=request.partner, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Sharing saved."))
    return redirect("portal_mapping")


@portal_view(admin_only=True)
@require_GET
def overlap_cell(request: HttpRequest, vendor: str, own: str) -> HttpResponse:
    records = selectors.overlap_names(partner=request.partner, viewer=selectors.PARTNER,
                                      vendor_population=vendor, partner_population=own)
    if records is None:
        raise Http404
    if request.GET.get("format") == "csv":
        return names_csv(records, filename=f"overlap-{vendor}-{own}")
    return render(request, "mapping/cell.html", {
        "base": BASE, "page": Paginator(records, 50).get_page(request.GET.get("page")),
        "vendor_label": VendorPopulation(vendor).label, "own_label": PartnerPopulation(own).label,
        "back": reverse("portal_mapping"), "csv_url": f"{request.path}?format=csv"})


def _prefill(record) -> dict[str, str]:
    """What the registration form opens with: the customer as the partner listed it."""
    fields = ("customer_name", "corporate_number", "web_domain", "industry", "employee_band", "prefecture")
    return {name: getattr(record, name) for name in fields if getattr(record, name)}


@portal_view
@require_GET
def targets(request: HttpRequest) -> HttpResponse:
    """Every member of the partner: whom to sell to, best first, with the reason."""
    page_number = max(1, int(request.GET.get("page", "1"))) if request.GET.get("page", "1").isdigit() else 1
    found, total = selectors.target_list(partner=request.partner, limit=TARGETS_PER_PAGE,
                                         offset=(page_number - 1) * TARGETS_PER_PAGE)
    create = reverse("portal_deal_create")
    rows = [(target, f"{create}?{urlencode(_prefill(target.record))}") for target in found]
    pages = max(1, -(-total // TARGETS_PER_PAGE))
    return render(request, "mapping/portal_targets.html", {
        "rows": rows, "total": total, "page_number": page_number, "pages": pages,
        "has_lists": selectors.lists_of(request.partner).exists()})
