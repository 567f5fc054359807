"""Console: a queued export's page (progress while the worker writes, then the file)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_safe

from prm import csv_export
from prm.accounts.access import console_view
from prm.downloads import file_response
from prm.exports import services
from prm.exports.models import ExportJob
from prm.htmx import htmx_partial


def _own(request: HttpRequest, pk: int) -> ExportJob:
    """Only the person who asked for the export sees it; anyone else gets 404, not 403."""
    job = services.job_for(request.user, pk)
    if job is None:
        raise Http404
    return job


@console_view
@require_GET
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own(request, pk)
    template = "exports/_job.html" if htmx_partial(request) else "exports/job.html"
    response = render(request, template, {"job": job, "keep_days": settings.KYOSO_RETENTION_EXPORT_DAYS})
    if htmx_partial(request) and not job.in_progress:
        response["HX-Refresh"] = "true"  # show the finished page once
    return response


@console_view
@require_safe
def export_job_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _own(request, pk)
    if job.status != ExportJob.Status.DONE:
        raise Http404
    return file_response(request, job.file, filename=job.filename or "export.csv",
                         content_type=csv_export.content_type(job.encoding))
