"""The QBR pack is rendered by the worker; the console follows it and then hands out the file."""

from __future__ import annotations

import io

from django.urls import reverse
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from insights import qbr
from insights.models import QbrJob


def test_the_pack_is_queued_followed_and_downloaded(people_a):
    client = people_a.console(people_a.channel_manager)
    detail = client.get(reverse("partner_detail", args=[people_a.partner.pk])).content.decode()
    assert reverse("insights:partner_qbr_start", args=[people_a.partner.pk]) in detail

    response = client.post(reverse("insights:partner_qbr_start", args=[people_a.partner.pk]), {"lang": "en"})
    with tenant_context(people_a.tenant):
        job = QbrJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("insights:partner_qbr_job", args=[job.pk])
    assert (job.status, job.language, job.requested_by_id) == ("queued", "en", people_a.channel_manager.pk)

    page = client.get(response["Location"]).content.decode()
    assert f'hx-get="{reverse("insights:partner_qbr_job", args=[job.pk])}"' in page and "kyoso-progress" in page
    assert client.get(reverse("insights:partner_qbr_job_file", args=[job.pk])).status_code == 404  # not rendered yet

    with tenant_context(people_a.tenant):
        done = qbr.job_run(job.pk)  # what the worker's task runs
        assert done.status == "done" and done.file.name.endswith("-en.pdf")
        assert qbr.job_run(job.pk).file.name == done.file.name  # a second delivery renders nothing again
    finished = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"
    assert reverse("insights:partner_qbr_job_file", args=[job.pk]) in client.get(response["Location"]).content.decode()

    pdf = client.get(reverse("insights:partner_qbr_job_file", args=[job.pk]))
    body = b"".join(pdf.streaming_content)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    assert "Quarterly business review" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    head = client.get(reverse("insights:partner_qbr_job_file", args=[job.pk]), HTTP_RANGE="bytes=0-3")
    assert head.status_code == 206 and b"".join(head.streaming_content) == b"%PDF"


def test_a_bad_period_is_refused_and_others_cannot_see_the_job(people_a, people_b):
    client = people_a.console(people_a.channel_manager)
    url = reverse("insights:partner_qbr_start", args=[people_a.partner.pk])
    for period in ("quarter:2099-1", "\x00", "²", "9" * 20, "x" * 10_000):
        assert client.post(url, {"period": period}).status_code == 400
    assert client.get(url).status_code == 405
    with tenant_context(people_a.tenant):
        assert not QbrJob.objects.exists()
    client.post(url, {"lang": "ja"})
    with tenant_context(people_a.tenant):
        job = QbrJob.objects.get()
        qbr.job_run(job.pk)
    file_url = reverse("insights:partner_qbr_job_file", args=[job.pk])
    assert people_a.console(people_a.partner_admin).get(file_url).status_code in (302, 403)
    assert people_b.console(people_b.channel_manager).get(file_url).status_code == 404
    assert people_b.console(people_b.channel_manager).get(reverse("insights:partner_qbr_job", args=[job.pk])).status_code == 404
