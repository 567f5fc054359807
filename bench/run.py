"""Platform benchmarks: ./kyoso bench [create_vendor] [partners] [matching] [--runs N]

Prints figures; asserts nothing. Later modules add their own benchmarks here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")


def bench_create_vendor(runs: int) -> None:
    from django.db import connection

    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_create

    from django.core.management import call_command

    call_command("setup_platform", verbosity=0)
    timings = []
    created = []
    try:
        for n in range(runs):
            slug = f"bench{n}-{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            result = vendor_create(slug=slug, name=f"ベンチ{n}株式会社", admin_email=f"admin@{slug}.example",
                                   admin_password="bench-password-123")
            timings.append(time.perf_counter() - started)
            created.append(result.vendor)
    finally:
        for vendor in created:
            connection.set_schema_to_public()
            vendor.delete(force_drop=True)
    print(f"create_vendor: {runs} runs, median {statistics.median(timings) * 1000:.0f} ms, "
          f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
    assert not Vendor.objects.filter(slug__startswith="bench").exists()


def _tenant(slug: str, name: str):
    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_create

    vendor = Vendor.objects.filter(slug=slug).first()
    if vendor is None:
        vendor = vendor_create(slug=slug, name=name, admin_email=f"admin@{slug}.example",
                               admin_password="bench-password-123").vendor
    return vendor


def _timed_get(client, url: str, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return statistics.median(timings) * 1000, queries


def bench_partners(runs: int) -> None:
    """List and detail pages of a vendor with 10,000 partners (30,000 contacts, 100,000 events)."""
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from partners.models import Contact, Partner, PartnerEvent, Stage
    from prm.accounts.models import User

    vendor = _tenant("benchpartners", "ベンチパートナーズ株式会社")
    with tenant_context(vendor):
        staff = User.objects.get(email="admin@benchpartners.example")
        staff.role = "channel_manager"
        staff.save(update_fields=["role"])
        if Partner.objects.count() < 10_000:
            started = time.perf_counter()
            stages = list(Stage.values)
            Partner.objects.bulk_create(
                Partner(name=f"株式会社ベンチ{n:05d}", name_kana=f"ベンチ{n:05d}", partner_type="resale",
                        stage=stages[n % len(stages)], owner=staff, prefectures=["13", "27"][: 1 + n % 2])
                for n in range(10_000)
            )
            ids = list(Partner.objects.values_list("pk", flat=True))
            Contact.objects.bulk_create(
                Contact(partner_id=pk, full_name=f"担当 {n}", email=f"c{n}@bench.example", stage=["potential", "active"][n % 2])
                for n, pk in enumerate(ids * 3)
            )
            PartnerEvent.objects.bulk_create(
                PartnerEvent(partner_id=pk, kind="updated", actor=staff, data={"fields": ["phone"]}) for pk in ids * 10
            )
            print(f"partners: seeded 10,000 partners, 30,000 contacts, 100,000 events in {time.perf_counter() - started:.1f} s")
        busiest = Partner.objects.order_by("pk").first()
    host = vendor.domain_for("console").domain
    client = Client(HTTP_HOST=host)
    with tenant_context(vendor):
        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    for label, url in (("partner list", "/partners/"), ("partner list, filtered and searched", "/partners/?stage=activation&q=ベンチ01&sort=-created"),
                       ("partner list, page 150", "/partners/?page=150"), ("partner detail", f"/partners/{busiest.pk}/")):
        median_ms, queries = _timed_get(client, url, runs)
        print(f"{label}: median {median_ms:.0f} ms over {runs} requests, {queries} SQL queries")


def bench_matching(runs: int) -> None:
    """Customer matcher: precision and recall on the labelled set, and grouping at scale."""
    from deals.matching import customer_keys, group_records
    from deals.matching_eval import evaluate, synthetic_records

    result = evaluate()
    print(f"matching: {result.records} labelled records, {result.true_pairs} true pairs, "
          f"{result.predicted_pairs} predicted pairs, precision {result.precision:.4f}, recall {result.recall:.4f}")
    started = time.perf_counter()
    for n in range(10_000):
        customer_keys(f"株式会社ベンチ{n}", "", f"info@bench{n}.co.jp")
    print(f"matching: keys of 10,000 records in {(time.perf_counter() - started) * 1000:.0f} ms")
    for count in (10_000, 100_000):
        records = synthetic_records(count)
        timings = []
        for _ in range(max(1, runs)):
            started = time.perf_counter()
            groups = group_records(records)
            timings.append(time.perf_counter() - started)
        print(f"matching: group {count:,} synthetic records into {len(groups):,} groups, "
              f"median {statistics.median(timings) * 1000:.0f} ms over {max(1, runs)} runs "
              f"(all pairs would be {count * (count - 1) // 2:,} comparisons)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="*", default=["create_vendor", "partners", "matching"])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    import django

    django.setup()
    for name in args.which:
        {"create_vendor": bench_create_vendor, "partners": bench_partners, "matching": bench_matching}[name](args.runs)


if __name__ == "__main__":
    main()
