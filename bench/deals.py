"""Benchmarks of deal registration: conflict matching and registering in a large vendor."""

from __future__ import annotations

import statistics
import time

from bench.common import _percentiles, _Rollback, _tenant, seed_registrations, size


def bench_matching(runs: int) -> None:
    """Customer matcher: precision and recall on the labelled set, and grouping at scale."""
    from deals.matching import customer_keys, group_records
    from deals.matching_eval import evaluate, synthetic_records

    result = evaluate()
    print(f"matching: {result.records} labelled records, {result.true_pairs} true pairs, "
          f"{result.predicted_pairs} predicted pairs, precision {result.precision:.4f}, recall {result.recall:.4f}")
    started = time.perf_counter()
    for n in range(size(10_000)):
        customer_keys(f"株式会社ベンチ{n}", "", f"info@bench{n}.co.jp")
    print(f"matching: keys of 10,000 records in {(time.perf_counter() - started) * 1000:.0f} ms")
    for count in (size(10_000), size(100_000)):
        records = synthetic_records(count)
        timings = []
        for _ in range(max(1, runs)):
            started = time.perf_counter()
            groups = group_records(records)
            timings.append(time.perf_counter() - started)
        print(f"matching: group {count:,} synthetic records into {len(groups):,} groups, "
              f"median {statistics.median(timings) * 1000:.0f} ms over {max(1, runs)} runs "
              f"(all pairs would be {count * (count - 1) // 2:,} comparisons)")


def bench_deals(runs: int) -> None:
    """One conflict check and one whole registration in a vendor with 1,000,000 registrations."""
    import random
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from deals import services
    from deals.models import DealRegistration
    from partners.models import Partner

    total = size(1_000_000)
    vendor = _tenant("benchdeals", "ベンチ案件株式会社")
    with tenant_context(vendor):
        if Partner.objects.count() < size(200, 5):
            Partner.objects.bulk_create(Partner(name=f"ベンチ販売店{n:03d}", partner_type="resale", stage="activation")
                                        for n in range(size(200, 5)))
        partner_ids = list(Partner.objects.values_list("pk", flat=True))
        seed_registrations(partner_ids, total)
        partners = list(Partner.objects.all()[:50])
        rng = random.Random(7)
        checks, registrations = [], []
        for n in range(size(max(runs * 20, 200), 2)):
            customer = rng.randrange(total) if n % 2 else total + n  # half existing, half new customers
            started = time.perf_counter()
            services.customer_status(partner=partners[n % len(partners)], customer_name=f"ベンチ顧客{customer}株式会社",
                                     web_domain=f"https://www.bench{customer}.co.jp/")
            checks.append(time.perf_counter() - started)
        for n in range(size(max(runs * 10, 100), 2)):
            customer = rng.randrange(total) if n % 2 else total + 10_000 + n
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    services.deal_register(partner=partners[n % len(partners)], user=None,
                                           customer_name=f"(株)ベンチ顧客{customer}", corporate_number="",
                                           web_domain=f"info@bench{customer}.co.jp", amount=500_000,
                                           expected_close=timezone.localdate() + timedelta(days=30))
                    raise _Rollback
            except _Rollback:
                pass
            registrations.append(time.perf_counter() - started)
        count = DealRegistration.objects.count()
    print(f"deals: {count:,} registrations in the tenant")
    print(f"deals: conflict check ({len(checks)} samples): {_percentiles(checks)}")
    print(f"deals: whole registration incl. notifications, rolled back ({len(registrations)} samples): {_percentiles(registrations)}")
