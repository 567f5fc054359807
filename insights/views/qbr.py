"""Console: a partner's QBR pack as a PDF, straight away or rendered by the worker."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from insights import qbr
from insights.models import QbrJob
from partners.views.common import get_partner
from prm.accounts.access import console_view
from prm.downloads import file_response
from prm.htmx import htmx_partial

LANGUAGES = ("ja", "en")


@console_view
@require_GET
def partner_qbr(request: HttpRequest, pk: int) -> HttpResponse:
    """`?lang=ja|en` (Japanese otherwise); `?period=quarter:2026-2` or any past period, the last quarter by default."""
    partner = get_partner(pk)
    language = request.GET.get("lang") if request.GET.get("lang") in LANGUAGES else "ja"
    try:
        period = qbr.period_for(request.GET.get("period"), timezone.localdate())
    except ValueError:
        return HttpResponseBadRequest(_("Choose a period that has started, such as quarter:2026-1, month:2026-05 "
                                        "or year:2026."), content_type="text/plain; charset=utf-8")
    response = HttpResponse(qbr.render_pdf(partner, period=period, language=language), content_type="application/pdf")
    filename = f"qbr-{partner.pk}-{period.key.replace(':', '-')}-{language}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@console_view
@require_POST
def partner_qbr_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the pack for the worker and follow it on its own page (`lang` and `period` as for the PDF)."""
    partner = get_partner(pk)
    language = request.POST.get("lang") if request.POST.get("lang") in LANGUAGES else "ja"
    try:
        period = qbr.period_for(request.POST.get("period"), timezone.localdate())
    except ValueError:
        return HttpResponseBadRequest(_("Choose a period that has started, such as quarter:2026-1, month:2026-05 "
                                        "or year:2026."), content_type="text/plain; charset=utf-8")
    job = qbr.job_start(partner=partner, period=period, language=language, actor=request.user)
    from insights.tasks import qbr_render

    schema = connection.schema_name
    transaction.on_commit(lambda: qbr_render.apply_async(kwargs={"schema_name": schema, "job_id": job.pk},
                                                         headers={"_schema_name": schema}))
    return redirect("insights:partner_qbr_job", pk=job.pk)


@console_view
@require_GET
def qbr_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(QbrJob.objects.select_related("partner"), pk=pk)
    template = "insights/_qbr_job.html" if htmx_partial(request) else "insights/qbr_job.html"
    response = render(request, template, {"job": job, "percent": 100 if job.status == QbrJob.Status.DONE else 0})
    if htmx_partial(request) and not job.in_progress:
        response["HX-Refresh"] = "true"  # show the finished page once
    return response


@console_view
@require_safe
def qbr_job_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = get_object_or_404(QbrJob, pk=pk, status=QbrJob.Status.DONE)
    return file_response(request, job.file, content_type="application/pdf")
