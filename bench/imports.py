"""Benchmarks of partner CSV files: importing (with the QBR pack of an imported partner) and exporting."""

from __future__ import annotations

import statistics
import time
import uuid

from bench import common
from bench.common import channel_manager, size, solo_worker, time_today


def bench_import(runs: int) -> None:
    """A 10,000-row partner CSV applied by a real Celery worker, followed the way the progress bar is; a QBR pack."""

    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from insights import qbr
    from partners import csv_io
    from partners.japan import corporate_number_check_digit
    from partners.models import ImportBatch, Partner
    from partners.tasks import import_apply
    from prm.tenancy.services import vendor_create

    call_command("setup_platform", verbosity=0)
    slug = f"benchimport-{uuid.uuid4().hex[:6]}"
    vendor = vendor_create(slug=slug, name="ベンチ取込株式会社", admin_email=f"admin@{slug}.example",
                           admin_password="bench-password-123").vendor
    try:
        with solo_worker("import") as queue:
            lines = ["name,name_kana,partner_type,stage,corporate_number,prefectures,phone"]
            for i in range(size(10_000, 10)):
                digits = f"{500_000 + i:012d}"
                lines.append(f"取込ベンチ{i}株式会社,トリコミベンチ{i},{'distributor' if i % 10 == 0 else 'resale'},prospect,"
                             f"{corporate_number_check_digit(digits)}{digits},東京都|大阪府,03-1234-{i % 10000:04d}")
            text = "\r\n".join(lines) + "\r\n"
            with tenant_context(vendor):
                started = time.perf_counter()
                preview = csv_io.preview("partners", text)
                print(f"import: preview of {len(preview.rows):,} rows ({len(text.encode()) / 1e6:.1f} MB) in "
                      f"{time.perf_counter() - started:.1f} s, {preview.error_count} errors")
                batch = ImportBatch.objects.create(kind="partners", filename="bench.csv", encoding="utf-8", content=text)
                csv_io.apply_queue(batch, None)
                started = time.perf_counter()
                import_apply.apply_async(kwargs={"schema_name": vendor.schema_name, "batch_id": batch.pk},
                                         headers={"_schema_name": vendor.schema_name}, queue=queue)
                samples = []
                while True:
                    batch.refresh_from_db()
                    if not batch.in_progress:
                        break
                    samples.append(csv_io.import_progress(batch))
                    time.sleep(1)  # the page polls every second
                elapsed = time.perf_counter() - started
                moving = sorted({done for done, total in samples if total})
                print(f"import: 10,000 rows applied by the worker in {elapsed:.1f} s ({batch.status}, "
                      f"{batch.result.get('create', 0):,} created); the progress bar showed {len(moving)} distinct "
                      f"figures, e.g. {moving[:1] + moving[len(moving) // 2:len(moving) // 2 + 1] + moving[-1:]} of "
                      f"{samples[-1][1] if samples else 0:,}")
                partner = Partner.objects.order_by("pk").first()
                period = qbr.default_period(time_today())
                timings = []
                for _ in range(size(max(runs // 2, 3), 1)):
                    started = time.perf_counter()
                    qbr.render_pdf(partner, period=period)
                    timings.append(time.perf_counter() - started)
                print(f"import: QBR pack PDF of one partner median {statistics.median(timings) * 1000:.0f} ms "
                      f"over {len(timings)} renders")
                started = time.perf_counter()
                exported = csv_io.export_partners(Partner.objects.order_by("pk"))
                print(f"import: export of the {Partner.objects.count():,} partners as CSV ({len(exported) / 1e6:.1f} MB) "
                      f"in {time.perf_counter() - started:.1f} s")
    finally:
        connection.set_schema_to_public()
        vendor.delete(force_drop=True)


def bench_export(runs: int) -> None:
    """The partner CSV export of 10,000 partners: in the request, and queued to a real Celery worker (prm.exports)
    with the job page followed until the file is ready; both files must be the same bytes."""

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from partners.japan import corporate_number_check_digit
    from partners.models import Partner
    from prm.exports.models import ExportJob
    from prm.tenancy.services import vendor_create

    call_command("setup_platform", verbosity=0)
    slug = f"benchexport-{uuid.uuid4().hex[:6]}"
    vendor = vendor_create(slug=slug, name="ベンチ書出株式会社", admin_email=f"admin@{slug}.example",
                           admin_password="bench-password-123").vendor
    try:
        with solo_worker("export") as queue:
            settings.KYOSO_EXPORT_QUEUE = queue
            with tenant_context(vendor):
                staff = channel_manager(f"admin@{slug}.example")
                Partner.objects.bulk_create(
                    Partner(name=f"株式会社書出ベンチ{n:05d}", name_kana=f"カキダシベンチ{n:05d}", owner=staff,
                            partner_type="distributor" if n % 10 == 0 else "resale", stage="activation",
                            corporate_number=f"{corporate_number_check_digit(f'{700_000 + n:012d}')}{700_000 + n:012d}",
                            prefectures=["13", "27"][: 1 + n % 2], phone=f"03-1234-{n % 10000:04d}")
                    for n in range(size(10_000)))
            client = Client(HTTP_HOST=vendor.domain_for("console").domain)
            with tenant_context(vendor):
                client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
            connection.set_schema_to_public()

            settings.KYOSO_EXPORT_INLINE_ROWS = 1_000_000
            inline_times, inline = [], b""
            for _ in range(max(runs // 2, 3)):
                started = time.perf_counter()
                response = client.get("/partners/export.csv")
                inline = response.content
                inline_times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code

            settings.KYOSO_EXPORT_INLINE_ROWS = 0 if common.SMOKE else 2_000
            request_times, job_times = [], []
            body = b""
            for _ in range(max(runs // 2, 3)):
                started = time.perf_counter()
                response = client.get("/partners/export.csv")
                request_times.append(time.perf_counter() - started)
                assert response.status_code == 302, response.status_code
                page = response["Location"]
                while client.get(page, HTTP_HX_REQUEST="true").get("HX-Refresh") != "true":
                    time.sleep(0.05)
                job_times.append(time.perf_counter() - started)
                download = client.get(f"{page}file/")
                body = b"".join(download.streaming_content)
            with tenant_context(vendor):
                statuses = sorted(set(ExportJob.objects.values_list("status", flat=True)))
                for job in ExportJob.objects.all():
                    job.file.delete(save=False)
            connection.set_schema_to_public()
            print(f"export: 10,000 partners as CSV ({len(inline) / 1e6:.1f} MB) in the request median "
                  f"{statistics.median(inline_times) * 1000:.0f} ms over {len(inline_times)} requests")
            print(f"export: queued instead, the request answers in median {statistics.median(request_times) * 1000:.0f} ms; "
                  f"the worker's file is ready (seen on the job page) in median {statistics.median(job_times) * 1000:.0f} ms "
                  f"over {len(job_times)} jobs ({statuses}); the same bytes as inline: {body == inline}")
    finally:
        connection.set_schema_to_public()
        vendor.delete(force_drop=True)
