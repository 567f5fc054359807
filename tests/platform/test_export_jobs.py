"""Large CSV exports go to the worker: counted first, queued above KYOSO_EXPORT_INLINE_ROWS, followed on a page
with the progress bar, then downloaded by the person who asked for them (and nobody else)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from datetime import time as clock

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from deals.models import DealRegistration
from enablement import services as enablement_services
from enablement.models import ContentAccess
from partners.models import Partner
from prm import csv_export, exports
from prm.exports import services
from prm.exports.models import ExportJob
from programs.recognition import periods
from tests.conftest import TenantClient
from tests.enablement.factories import ContentItemFactory
from tests.factories import UserFactory
from tests.partners.factories import PartnerFactory

PARTNERS = "/partners/export.csv"


def _body(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def _job_id(response) -> int:
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    assert location.startswith("/exports/") and location.endswith("/"), location
    return int(location.split("/")[2])


def _file(job: ExportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def test_below_the_limit_the_export_is_answered_in_the_request(people_a, settings):
    settings.KYOSO_EXPORT_INLINE_ROWS = 2000
    client = people_a.console(people_a.channel_manager)
    response = client.get(PARTNERS)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert _body(response).startswith(csv_export.BOM.encode())
    with tenant_context(people_a.tenant):
        assert not ExportJob.objects.exists()


def test_a_large_export_is_queued_followed_and_offered_to_its_requester_only(people_a, people_b, settings):
    with tenant_context(people_a.tenant):
        for n in range(5):
            PartnerFactory(name=f"=輸出{n}", stage="activation")
        PartnerFactory(name="対象外", stage="prospect")
        expected_rows = Partner.objects.filter(stage="activation").count()
    url = f"{PARTNERS}?stage=activation&encoding=cp932"
    client = people_a.console(people_a.channel_manager)
    settings.KYOSO_EXPORT_INLINE_ROWS = 2000
    inline = _body(client.get(url))

    settings.KYOSO_EXPORT_INLINE_ROWS = 3
    job_id = _job_id(client.get(url))
    page_url, file_url = f"/exports/{job_id}/", f"/exports/{job_id}/file/"
    with tenant_context(people_a.tenant):
        job = ExportJob.objects.get(pk=job_id)
        assert (job.kind, job.status, job.total, job.requested_by) == (
            "partners.partners", ExportJob.Status.QUEUED, expected_rows, people_a.channel_manager)
        assert job.params["filters"]["stage"] == "activation" and job.params["encoding"] == "cp932"

    page = client.get(page_url).content.decode()
    assert f'hx-get="{page_url}"' in page and "kyoso-progress" in page and file_url not in page
    partial = client.get(page_url, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in partial and "<html" not in partial.content.decode()
    assert client.get(file_url).status_code == 404  # not written yet

    with tenant_context(people_a.tenant):
        done = services.job_run(job_id)  # what the worker's task runs
        assert (done.status, done.progress, done.total) == (ExportJob.Status.DONE, expected_rows, expected_rows)
        assert services.job_run(job_id).file.name == done.file.name  # a second delivery writes nothing new

    assert client.get(page_url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    page = client.get(page_url).content.decode()
    assert 'hx-trigger="every' not in page and file_url in page
    download = client.get(file_url)
    assert download["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert download["Content-Disposition"] == f'attachment; filename="partners-{timezone.localdate():%Y%m%d}-sjis.csv"'
    assert b"".join(download.streaming_content) == inline
    assert client.get(file_url, HTTP_RANGE="bytes=0-3").status_code == 206

    with tenant_context(people_a.tenant):
        second_manager = UserFactory(role="channel_manager")
    for other in (people_a.console(people_a.vendor_admin), people_a.console(second_manager)):
        assert other.get(page_url).status_code == 404
        assert other.get(file_url).status_code == 404
    for partner_user in (people_a.partner_admin, people_a.partner_rep):
        assert people_a.console(partner_user).get(page_url).status_code == 403
        assert people_a.console(partner_user).get(file_url).status_code == 403
    assert people_b.console(people_b.channel_manager).get(page_url).status_code == 404
    for hostile in (2**63, 10**20, 0):
        assert client.get(f"/exports/{hostile}/").status_code == 404
        assert client.get(f"/exports/{hostile}/file/").status_code == 404


def test_shift_jis_that_cannot_be_written_fails_the_job_with_the_reason(people_a, settings):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="𠮷野商店", stage="activation")
        PartnerFactory(name="普通商店", stage="activation")
    settings.KYOSO_EXPORT_INLINE_ROWS = 0
    client = people_a.console(people_a.channel_manager)
    job_id = _job_id(client.get(f"{PARTNERS}?encoding=cp932"))
    with tenant_context(people_a.tenant):
        job = services.job_run(job_id)
        assert job.status == ExportJob.Status.FAILED and "𠮷" in job.error and not job.file
    page = client.get(f"/exports/{job_id}/").content.decode()
    assert "alert-danger" in page and 'hx-trigger="every' not in page
    assert client.get(f"/exports/{job_id}/file/").status_code == 404


@pytest.fixture
def the_other_exports(people_a):
    """A won deal, a download and a ranked partner: each large export has a row."""
    month = periods.period_containing(periods.MONTH, timezone.localdate())
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="+順位", stage="activation")
        DealRegistration.objects.create(
            partner=partner, customer_name="顧客", name_key=f"export-{partner.pk}", amount=300_000,
            expected_close=month.start, stage="won", won_amount=300_000, won_on=month.start,
            registered_at=timezone.make_aware(datetime.combine(month.start, clock(10))))
        enablement_services.content_access_record(item=ContentItemFactory(title="=資料"), user=people_a.partner_rep,
                                                  action=ContentAccess.Action.DOWNLOAD)
    return month


@pytest.mark.parametrize("url", [
    "/enablement/library/accesses/?format=csv&action=download",
    "/programs/recognition/export.csv?period={month}",
    "/insights/?start={start}&end={end}&format=csv&table=revenue_by_partner",
    "/deals/pipeline/export/?stage=won&customer=%E9%A1%A7%E5%AE%A2",
])
def test_the_other_large_exports_write_the_same_file_on_the_worker(people_a, the_other_exports, settings, url):
    month = the_other_exports
    url = url.format(month=month.key, start=f"{month.start:%Y-%m}", end=f"{month.start:%Y-%m}")
    client = people_a.console(people_a.channel_manager)
    settings.KYOSO_EXPORT_INLINE_ROWS = 2000
    inline = client.get(url)
    body = _body(inline)
    settings.KYOSO_EXPORT_INLINE_ROWS = 0
    job_id = _job_id(client.get(url))
    with tenant_context(people_a.tenant):
        job = services.job_run(job_id)
        assert job.status == ExportJob.Status.DONE, job.error
        assert _file(job) == body
        assert job.filename in inline["Content-Disposition"]


def test_every_registered_export_is_one_of_the_console_exports():
    assert exports.registered() == ["deals.pipeline", "enablement.content_access", "partners.contacts",
                                    "partners.insights", "partners.partners", "programs.leaderboard"]


# --------------------------------------------------------------------------- a real worker, over HTTP


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Partners and a channel manager committed in the second vendor, so that the worker sees them."""
    from prm.tenancy.models import Vendor

    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="bravo")
        with tenant_context(vendor):
            partners = Partner.objects.bulk_create(
                Partner(name=f"{'=' if n % 7 == 0 else ''}書出{tag}-{n:03d}", name_kana=f"カキダシ{n:03d}",
                        partner_type="resale", stage="retention" if n % 3 else "activation")
                for n in range(1200))
            manager = UserFactory(role="channel_manager", email=f"export-{tag}@bravo.example")
        try:
            yield vendor, manager, tag
        finally:
            with tenant_context(vendor):
                for job in ExportJob.objects.filter(requested_by=manager):
                    job.file.delete(save=False)
                ExportJob.objects.filter(requested_by=manager).delete()
                Partner.objects.filter(pk__in=[p.pk for p in partners]).delete()
                manager.delete()
            connection.set_schema_to_public()


@pytest.mark.worker
def test_a_real_worker_writes_the_export_the_page_follows_it_and_the_file_is_the_inline_one(
        committed, celery_worker, django_db_blocker, settings):
    vendor, manager, tag = committed
    settings.KYOSO_EXPORT_QUEUE = celery_worker
    url = f"{PARTNERS}?q=書出{tag}&stage=retention"
    console = TenantClient(vendor, "console")
    with django_db_blocker.unblock():
        console.force_login(manager)
        settings.KYOSO_EXPORT_INLINE_ROWS = 2000
        inline = _body(console.get(url))

        settings.KYOSO_EXPORT_INLINE_ROWS = 100
        job_id = _job_id(console.get(url))
        page_url = f"/exports/{job_id}/"
        deadline = time.monotonic() + 120
        while True:
            partial = console.get(page_url, HTTP_HX_REQUEST="true")
            assert partial.status_code == 200 and "kyoso-progress" in partial.content.decode()
            if partial.get("HX-Refresh") == "true":
                break
            assert time.monotonic() < deadline, "the worker did not finish the export"
            time.sleep(0.1)
        with tenant_context(vendor):
            job = ExportJob.objects.get(pk=job_id)
            assert (job.status, job.progress, job.total) == (ExportJob.Status.DONE, 800, 800), job.error
        page = console.get(page_url).content.decode()
        assert "800 / 800" in page and f"/exports/{job_id}/file/" in page
        download = console.get(f"/exports/{job_id}/file/")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == inline
        assert inline.decode("utf-8-sig").count("\r\n") == 801

        stranger = TenantClient(vendor, "console")
        with tenant_context(vendor):
            other = UserFactory(role="channel_manager", email=f"other-{tag}@bravo.example")
        try:
            stranger.force_login(other)
            assert stranger.get(f"/exports/{job_id}/file/").status_code == 404
        finally:
            with tenant_context(vendor):
                other.delete()
