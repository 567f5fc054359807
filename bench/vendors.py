"""Benchmarks of a vendor's life: creating one from the template, exporting and importing its archive."""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path

from bench import common
from bench.common import _tenant


def bench_create_vendor(runs: int) -> None:
    """vendor_create as the platform admin's worker runs it: the schema copied from the template, the
    domains, the first admin's invitation (rendered, not queued)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_create
    from prm.tenancy.template import template_script

    call_command("setup_platform", verbosity=0)
    assert template_script() is not None, "setup_platform did not build the template schema"
    saved = settings.KYOSO_EMAIL_DELIVERY, settings.EMAIL_BACKEND
    settings.KYOSO_EMAIL_DELIVERY, settings.EMAIL_BACKEND = "inline", "django.core.mail.backends.locmem.EmailBackend"
    timings = []
    created = []
    try:
        for n in range(runs):
            slug = f"{'smoke' if common.SMOKE else 'bench'}{n}-{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            result = vendor_create(slug=slug, name=f"ベンチ{n}株式会社", admin_email=f"admin@{slug}.example")
            timings.append(time.perf_counter() - started)
            created.append(result.vendor)
    finally:
        settings.KYOSO_EMAIL_DELIVERY, settings.EMAIL_BACKEND = saved
        for vendor in created:
            connection.set_schema_to_public()
            vendor.delete(force_drop=True)
    print(f"create_vendor (template copy): {runs} runs, median {statistics.median(timings) * 1000:.0f} ms, "
          f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
    # Only its own: the page benchmarks keep their vendors ("benchweb", "benchpartners", …) between runs.
    assert not Vendor.objects.filter(slug__in=[vendor.slug for vendor in created]).exists()


def bench_vendor_archive(runs: int) -> None:
    """export_vendor of the demo vendor, import_vendor under a new slug, every table's row count compared."""
    import tempfile

    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from demo import data as demo
    from prm.tenancy.archive import export_vendor, import_vendor, row_counts
    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_delete

    with schema_context("public"):
        if common.SMOKE:  # an empty vendor of its own instead of seeding the whole demo
            source = _tenant("archive", "ベンチ移行株式会社")
        else:
            if not Vendor.objects.filter(slug=demo.DEMO_SLUG).exists():
                call_command("seed_demo", verbosity=0)
            source = Vendor.objects.get(slug=demo.DEMO_SLUG)
    copy = f"{'smoke' if common.SMOKE else ''}democopy-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "demo.tar.gz"
        started = time.perf_counter()
        manifest = export_vendor(source.slug, archive)
        exported = time.perf_counter() - started
        rows = sum(spec["rows"] for spec in manifest["tables"].values())
        print(f"vendor_archive: export of {source.slug}: {len(manifest['tables'])} tables, {rows:,} rows, "
              f"{len(manifest['media'])} files, archive {archive.stat().st_size / 1e6:.2f} MB in {exported:.1f} s")
        try:
            restored = import_vendor(archive, slug=copy)
            source_counts, copy_counts = row_counts(source.schema_name), row_counts(restored.vendor.schema_name)
            equal = sum(source_counts[table] == copy_counts.get(table) for table in source_counts)
            print(f"vendor_archive: import as {copy} in {restored.seconds:.1f} s (schema creation and migrations "
                  f"included); row counts equal in {equal} of {len(source_counts)} tables"
                  + (f"; DIFFERENT: {restored.mismatched}" if restored.mismatched else ""))
        finally:
            connection.set_schema_to_public()
            with schema_context("public"):
                leftover = Vendor.objects.filter(slug=copy).first()
            if leftover is not None:
                vendor_delete(leftover)
