"""The pieces the console and portal pages share: upload → preview → apply, and the CSV of a cell.
Each takes the side (partner or None for the vendor) the caller has already authorised."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from mapping import csv_lists, services
from mapping.forms import ListUploadForm
from mapping.models import ListUpload, PartnerPopulation, VendorPopulation
from prm.csv_export import Code, csv_response


def upload_from_request(request: HttpRequest, form: ListUploadForm, partner) -> ListUpload | None:
    if not form.is_valid():
        return None
    upload = form.cleaned_data["file"]
    try:
        return services.list_upload_create(actor=request.user, partner=partner,
                                           population=form.cleaned_data["population"], filename=upload.name,
                                           raw=upload.read(), encoding=form.cleaned_data["encoding"])
    except ValidationError as error:
        for key, errors in error.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    return None


def preview_context(upload: ListUpload, *, only_errors: bool) -> dict:
    table = csv_lists.read(upload.content)
    rows = table.error_rows if only_errors else table.rows
    label = (VendorPopulation if upload.partner_id is None else PartnerPopulation)(upload.population).label
    return {"upload": upload, "table": table, "population_label": label, "only_errors": only_errors,
            "headers": [table.headers[column] for column in table.columns], "columns": table.columns,
            "rows": rows[:csv_lists.PREVIEW_ROWS], "rows_hidden": max(len(rows) - csv_lists.PREVIEW_ROWS, 0)}


def apply_from_request(request: HttpRequest, upload: ListUpload) -> bool:
    try:
        customer_list = services.list_apply(upload=upload, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(request, _("%(count)s records of %(file)s are in; the overlap was recomputed.")
                     % {"count": f"{customer_list.row_count:,}", "file": customer_list.filename})
    return True


def names_csv(records, *, filename: str) -> HttpResponseBase:
    """Overlapping company names as a download, through the one CSV writer (no formulas into Excel)."""
    rows = ([record.customer_name, Code(record.corporate_number) if record.corporate_number else "",
             record.web_domain] for record in records.iterator())
    return csv_response(f"{filename}-{timezone.localdate():%Y%m%d}.csv",
                        [_("Company name"), _("Corporate number (法人番号)"), _("Web domain or e-mail")], rows)
