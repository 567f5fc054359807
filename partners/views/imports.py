"""Console: CSV import (upload → preview → apply) and export of partners and contacts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners import csv_io, exports
from partners.forms import ImportForm, PartnerFilterForm
from partners.models import ImportBatch
from prm import csv_export
from prm.accounts.access import console_view
from prm.exports import offer
from prm.htmx import htmx_partial

PREVIEW_ROWS_SHOWN = 500


class ImportUploadForm(ImportForm):
    kind = forms.ChoiceField(label=gettext_lazy("The file contains"), choices=ImportBatch.Kind.choices,
                             initial=ImportBatch.Kind.PARTNERS, widget=forms.RadioSelect)

    field_order = ["kind", "file", "encoding"]


def get_batch(pk: int) -> ImportBatch:
    """Any member of the vendor's staff may continue an import; the schema keeps other vendors out."""
    return get_object_or_404(ImportBatch, pk=pk)


@console_view
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in ImportBatch.Kind.values else {}
    form = ImportUploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        try:
            text, encoding = csv_io.decode(upload.read(), form.cleaned_data["encoding"])
        except ValidationError as error:
            form.add_error("file", error)
        else:
            problems = csv_io.check_file(kind, text)
            if problems:
                form.add_error("file", problems)
            else:
                batch = ImportBatch.objects.create(kind=kind, filename=upload.name[:255], encoding=encoding,
                                                   content=text, uploaded_by=request.user)
                return redirect("partner_import_preview", pk=batch.pk)
    context = {"form": form, "partner_columns": csv_io.PARTNER_COLUMNS, "contact_columns": csv_io.CONTACT_COLUMNS,
               "max_rows": csv_io.MAX_ROWS, "recent": ImportBatch.objects.select_related("uploaded_by")[:5]}
    return render(request, "partners/import_upload.html", context)


def _progress_context(batch: ImportBatch) -> dict:
    done, total = csv_io.import_progress(batch) if batch.in_progress else (0, 0)
    if batch.status == ImportBatch.Status.APPLIED:
        done = total = batch.result.get("create", 0) + batch.result.get("update", 0)
    return {"done": done, "total": total,
            "percent": 100 if batch.status == ImportBatch.Status.APPLIED else (done * 100 // total if total else 0)}


@console_view
@require_GET
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch(pk)
    context: dict = {"batch": batch, **_progress_context(batch)}
    if htmx_partial(request):
        response = render(request, "partners/_import_progress.html", context)
        if not batch.in_progress:
            response["HX-Refresh"] = "true"  # show the finished page once
        return response
    if batch.status == ImportBatch.Status.PREVIEW:
        result = csv_io.preview(batch.kind, batch.content)
        only_errors = request.GET.get("show") == "errors"
        rows = result.error_rows if only_errors else result.rows
        keys = [column.key for column in csv_io.COLUMNS[batch.kind] if column.key in result.headers]
        context |= {
            "preview": result,
            "only_errors": only_errors,
            "rows_hidden": max(len(rows) - PREVIEW_ROWS_SHOWN, 0),
            "headers": [result.headers[key] for key in keys],
            "table": [(row, row.cells(keys)) for row in rows[:PREVIEW_ROWS_SHOWN]],
            "counts": result.counts,
        }
    return render(request, "partners/import_preview.html", context)


@console_view
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch(pk)
    try:
        csv_io.apply_queue(batch, request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("partner_import_preview", pk=batch.pk)
    from partners.tasks import import_apply

    schema = connection.schema_name
    transaction.on_commit(lambda: import_apply.apply_async(kwargs={"schema_name": schema, "batch_id": batch.pk},
                                                           headers={"_schema_name": schema}))
    return redirect("partner_import_preview", pk=batch.pk)


@console_view
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch(pk)
    try:
        csv_io.discard(batch, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("partner_import_preview", pk=batch.pk)
    messages.info(request, _("The import of %(file)s was discarded; nothing was changed.") % {"file": batch.filename})
    return redirect("partner_import")


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    """Up to KYOSO_EXPORT_INLINE_ROWS rows in the request; more are written by the worker (prm.exports)."""
    encoding = "cp932" if request.GET.get("encoding", "").lower() in ("cp932", "shift_jis", "sjis") else "utf-8"
    filters = PartnerFilterForm(request.GET).filters()
    queryset = exports.rows_for(kind, filters)

    def inline() -> HttpResponse:
        try:
            body = csv_export.csv_bytes(*exports.table(kind, queryset), encoding=encoding)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            query = request.GET.copy()
            query.pop("encoding", None)
            return redirect(f"{reverse('partner_list')}?{query.urlencode()}" if query else reverse("partner_list"))
        return csv_export.download(body, exports.filename(kind, encoding), encoding=encoding)

    return offer(request, f"partners.{kind}", exports.params(kind, filters, encoding), rows=queryset.count(),
                 inline=inline)


@console_view
@require_GET
def partners_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "partners")


@console_view
@require_GET
def contacts_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "contacts")
