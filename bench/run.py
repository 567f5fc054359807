"""Platform benchmarks: ./kyoso bench [create_vendor] [partners] [matching] [incentives] [enablement] [health] [mapping]
[email] [import] [vendor_archive] [invoices] [export] [webhooks] [api] [web] [tenants] [ALL] [--runs N] [--smoke]

Prints figures; asserts nothing. Later modules add their own benchmarks here.

--smoke runs each benchmark at a tiny size (a thousandth of its data, one run) in vendors of its own
(slugs starting "smoke"), which it deletes afterwards: the test suite runs every target this way so a
broken benchmark fails CI. Its figures mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import time
import traceback
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Run as a script, this module is __main__: modules of bench/ that import bench.run get this one,
# with its --smoke flag, not a second copy.
sys.modules.setdefault("bench.run", sys.modules[__name__])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")

SMOKE = False  # --smoke: tiny sizes
SMOKE_DIVISOR = 1000


def size(full: int, smoke: int | None = None) -> int:
    """A data size: `full`, or under --smoke `smoke` (a thousandth of `full`, at least 1, unless given)."""
    if not SMOKE:
        return full
    return smoke if smoke is not None else max(1, full // SMOKE_DIVISOR)


_BIG_NUMBER = re.compile(r"(?<![\w'.-])(\d{4,})(?![\w'.-])")


def _smoke_sql(execute, sql, params, many, context):
    """Under --smoke, the seeding SQL (INSERT … SELECT … generate_series) makes a thousandth of its rows:
    every count, modulus and amount of 1,000 or more in it is divided alike, so the rows stay consistent."""
    if isinstance(sql, str) and "generate_series" in sql:
        sql = _BIG_NUMBER.sub(lambda match: str(max(1, int(match.group(1)) // SMOKE_DIVISOR)), sql)
    return execute(sql, params, many, context)


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
            slug = f"{'smoke' if SMOKE else 'bench'}{n}-{uuid.uuid4().hex[:6]}"
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


def _tenant(slug: str, name: str):
    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_create

    email = f"admin@{slug}.example"  # the benchmarks sign in as this person, whichever the slug
    if SMOKE:
        slug = f"smoke{slug}"
    vendor = Vendor.objects.filter(slug=slug).first()
    if vendor is None:
        vendor = vendor_create(slug=slug, name=name, admin_email=email,
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


def seed_partners(staff) -> None:
    """10,000 partners owned by `staff` (30,000 contacts, 100,000 events) in the current tenant, unless there."""
    from partners.models import Contact, Partner, PartnerEvent, Stage

    if Partner.objects.count() >= size(10_000):
        return
    started = time.perf_counter()
    stages = list(Stage.values)
    Partner.objects.bulk_create(
        (Partner(name=f"株式会社ベンチ{n:05d}", name_kana=f"ベンチ{n:05d}", partner_type="resale",
                 stage=stages[n % len(stages)], owner=staff, prefectures=["13", "27"][: 1 + n % 2])
         for n in range(size(10_000))), batch_size=2000,
    )
    ids = list(Partner.objects.values_list("pk", flat=True))
    Contact.objects.bulk_create(
        (Contact(partner_id=pk, full_name=f"担当 {n}", email=f"c{n}@bench.example", stage=["potential", "active"][n % 2])
         for n, pk in enumerate(ids * 3)), batch_size=2000,
    )
    PartnerEvent.objects.bulk_create(
        (PartnerEvent(partner_id=pk, kind="updated", actor=staff, data={"fields": ["phone"]}) for pk in ids * 10),
        batch_size=2000,
    )
    print(f"partners: seeded 10,000 partners, 30,000 contacts, 100,000 events in {time.perf_counter() - started:.1f} s")


def seed_registrations(partner_ids: list[int], total: int) -> None:
    """`total` deal registrations spread over `partner_ids` in the current tenant: one set-based INSERT … SELECT."""
    from django.db import connection

    from deals.models import DealRegistration

    existing = DealRegistration.objects.count()
    if existing >= total:
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Set-based: one INSERT … SELECT; keys as the matcher would store them.
        cursor.execute(
            """
            INSERT INTO deals_dealregistration
                (customer_name, corporate_number, web_domain, name_key, corporate_key, domain_key,
                 partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                 role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority,
                 registered_at, decision_reason)
            SELECT '株式会社ベンチ顧客' || n, '', 'bench' || n || '.co.jp', 'ベンチ顧客' || n, '', 'bench' || n || '.co.jp',
                   (%s::bigint[])[1 + n %% array_length(%s::bigint[], 1)], '', '', 1000000, CURRENT_DATE + 60, '',
                   'partner', 'partner', 'partner', 'partner', 'partner',
                   (ARRAY['registered','approved','proposal','negotiation','won','lost'])[1 + n %% 6], 'holder',
                   now() - (n || ' seconds')::interval, ''
            FROM generate_series(%s, %s) AS n
            """,
            [partner_ids, partner_ids, existing, total - 1],
        )
        cursor.execute("ANALYZE deals_dealregistration")
    print(f"deals: inserted {total - existing:,} registrations in {time.perf_counter() - started:.1f} s")


def bench_partners(runs: int) -> None:
    """List and detail pages of a vendor with 10,000 partners (30,000 contacts, 100,000 events)."""
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from partners.models import Partner
    from prm.accounts.models import User

    vendor = _tenant("benchpartners", "ベンチパートナーズ株式会社")
    with tenant_context(vendor):
        staff = User.objects.get(email="admin@benchpartners.example")
        staff.role = "channel_manager"
        staff.save(update_fields=["role"])
        seed_partners(staff)
        busiest = Partner.objects.order_by("pk").first()
    host = vendor.domain_for("console").domain
    client = Client(HTTP_HOST=host)
    with tenant_context(vendor):
        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    for label, url in (("partner list", "/partners/"),
                       ("partner list, filtered and searched", "/partners/?stage=activation&q=ベンチ01&sort=-created"),
                       ("partner list, page 150", f"/partners/?page={size(150, 1)}"), ("partner detail", f"/partners/{busiest.pk}/")):
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


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1000
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"


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


def bench_tiers(runs: int) -> None:
    """Tier evaluation of 10,000 partners with 1,000,000 deals and 100,000 contacts."""
    import resource
    import tracemalloc

    from django.db import connection
    from django_tenants.utils import tenant_context

    from partners.models import Partner
    from programs import services

    vendor = _tenant("benchtiers", "ベンチランク株式会社")
    with tenant_context(vendor):
        from deals.models import DealRegistration
        from partners.models import Contact

        if DealRegistration.objects.count() < size(1_000_000) or Contact.objects.count() < size(100_000):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("""
                    INSERT INTO partners_partner (name, name_kana, partner_type, stage, stage_changed_at, prefectures,
                        industries, corporate_number, invoice_number, website, phone, postal_code, address, bank_code,
                        bank_name, branch_code, branch_name, account_type, account_number, account_holder,
                        co_creation_benefit, co_selling_model, score_customer_overlap, score_core_business,
                        score_characteristics, score_sales_capacity, notes, created_at, updated_at, is_individual, parent_id)
                    SELECT '株式会社ランク' || n, 'ランク' || n, 'resale', 'activation', now(), '{}', '{}', '', '', '', '', '',
                           '', '', '', '', '', '', '', '', '', '', 0, 0, 0, 0, '', now(), now(), false, NULL
                    FROM generate_series(%s, 10000) n""", [Partner.objects.count() + 1])
                cursor.execute("SELECT array_agg(id ORDER BY id) FROM partners_partner")
                ids = cursor.fetchone()[0]
                cursor.execute("DELETE FROM deals_dealregistration")
                cursor.execute("DELETE FROM partners_contactsignal")
                cursor.execute("DELETE FROM partners_contact")
                cursor.execute("""
                    INSERT INTO deals_dealregistration (customer_name, corporate_number, web_domain, name_key, corporate_key,
                        domain_key, partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                        role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority, registered_at,
                        decision_reason, won_amount, won_on)
                    SELECT '顧客' || n, '', '', 'k' || (n %% 300000), '', '', (%s::bigint[])[1 + (n::bigint * 7919) %% 10000], '', '',
                           500000 + (n %% 20) * 100000, CURRENT_DATE, '',
                           CASE WHEN n %% 3 = 0 THEN 'vendor' ELSE 'partner' END, 'partner', 'partner', 'partner', 'partner',
                           CASE WHEN n %% 2 = 0 THEN 'won' ELSE 'approved' END, 'holder', now() - ((n %% 500) || ' days')::interval, '',
                           CASE WHEN n %% 2 = 0 THEN 500000 + (n %% 20) * 100000 END,
                           CASE WHEN n %% 2 = 0 THEN CURRENT_DATE - (n %% 500) END
                    FROM generate_series(1, 1000000) n""", [ids])
                cursor.execute("""
                    INSERT INTO partners_contact (partner_id, full_name, full_name_kana, email, phone, department, title, role,
                        is_key_person, stage, notes, created_at)
                    SELECT (%s::bigint[])[1 + n %% 10000], '担当' || n, '', '', '', '', '', 'rep', false,
                           (ARRAY['potential','valid','trained','active'])[1 + n %% 4], '', now()
                    FROM generate_series(1, 100000) n""", [ids])
                cursor.execute("""
                    INSERT INTO partners_contactsignal (partner_id, contact_id, kind, occurred_at, source)
                    SELECT partner_id, id, 'certified', now() - ((id % 400) || ' days')::interval, ''
                    FROM partners_contact WHERE id % 5 = 0""")
                cursor.execute("ANALYZE")
            print(f"tiers: seeded 10,000 partners, 1,000,000 deals, 100,000 contacts in {time.perf_counter() - started:.1f} s")
        for label, dry in (("dry run", True), ("applied", False)):
            tracemalloc.start()
            started = time.perf_counter()
            result = services.evaluate(dry_run=dry)
            elapsed = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"tiers ({label}): {result.partners:,} partners evaluated in {elapsed:.1f} s, "
                  f"{len(result.proposals):,} changes; Python peak {peak / 1e6:.0f} MB, process max RSS {rss:.0f} MB")


def bench_incentives(runs: int) -> None:
    """The incentive engine on 100,000 won deals and 300,000 other events for 2,000 partners."""
    import csv
    import io
    import json
    import random
    import tracemalloc
    from datetime import date, timedelta

    from incentives import engine

    root = Path(__file__).resolve().parent.parent
    data = json.loads((root / "incentives" / "examples" / "reseller-fy2026.json").read_text(encoding="utf-8"))
    plan = engine.parse_plan(data)
    rng = random.Random(2026)
    won_total = size(100_000, 200)
    distributors = [f"D{n:03d}" for n in range(size(200, 2))]
    resellers = [f"P{n:04d}" for n in range(size(1_800, 18))]
    partners = {code: engine.PartnerInfo(code, "distributor", "gold") for code in distributors}
    partners |= {code: engine.PartnerInfo(code, "resale", rng.choice(["silver", "gold", "gold", "bronze"]),
                                          distributors[n % len(distributors)] if n % 2 else None)
                 for n, code in enumerate(resellers)}
    codes = distributors + resellers
    products = ["kyoso-cloud", "kyoso-crm", "kyoso-analytics"]
    start = date(2026, 4, 1)

    def day(offset: int) -> date:  # invoices and cancellations may fall after valid_to, as in real data
        return start + timedelta(days=offset)

    tracemalloc.start()
    events: list[engine.Event] = []
    won_days: list[tuple[str, str, int]] = []
    for n in range(won_total):
        partner, won_on = rng.choice(codes), rng.randrange(365)
        deal, product = f"DL{n:06d}", rng.choice(products)
        events.append(engine.Event(f"w{n}", day(won_on), partner, "deal_won", rng.randrange(100_000, 10_000_000),
                                   deal, product))
        events.append(engine.Event(f"r{n}", day(max(0, won_on - 30)), partner, "deal_registered", None, deal, product))
        won_days.append((deal, partner, won_on))
    for n in range(won_total * 3 // 2):  # 1.5 invoices per won deal
        deal, partner, won_on = won_days[n % won_total]
        events.append(engine.Event(f"i{n}", day(won_on + 30 * (1 + n // won_total) + rng.randrange(20)), partner,
                                   "invoice_paid", rng.randrange(10_000, 500_000), deal, ""))
    for n in range(won_total // 20):  # one deal in twenty is cancelled, most within 90 days
        deal, partner, won_on = won_days[n * 20]
        events.append(engine.Event(f"c{n}", day(won_on + rng.randrange(1, 120)), partner, "deal_cancelled", None, deal, ""))
    for n in range(won_total // 5):
        events.append(engine.Event(f"k{n}", day(rng.randrange(365)), rng.choice(codes), "certification_earned"))
    for n in range(won_total // 4):
        events.append(engine.Event(f"s{n}", day(rng.randrange(365)), rng.choice(codes), "session_attended"))
    events_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    won = sum(event.kind == "deal_won" for event in events)
    print(f"incentives: {won:,} won deals + {len(events) - won:,} other events for {len(partners):,} partners, "
          f"{len(plan.rules)} rules; the events list takes {events_bytes / 1e6:.0f} MB")

    timings = []
    for _ in range(max(1, min(runs, 3))):
        started = time.perf_counter()
        result = engine.compute(plan, events, partners)
        timings.append(time.perf_counter() - started)
    lines = sum(len(partner.lines) for partner in result.partners.values())
    print(f"incentives: compute median {statistics.median(timings):.2f} s over {len(timings)} runs "
          f"({min(timings):.2f}–{max(timings):.2f} s); {lines:,} lines for {len(result.partners):,} partners")
    tracemalloc.start()
    result = engine.compute(plan, events, partners)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"incentives: compute peak {peak / 1e6:.0f} MB above the events list, of which the result keeps "
          f"{current / 1e6:.0f} MB ({lines:,} lines)")

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(engine.EVENTS_HEADER)
    writer.writerows((event.event_id, event.occurred_on.isoformat(), event.partner, event.kind,
                      "" if event.amount is None else event.amount, event.deal, event.product) for event in events)
    text = buffer.getvalue()
    started = time.perf_counter()
    parsed = engine.read_events_csv(text)
    print(f"incentives: read_events_csv of {len(parsed):,} rows ({len(text) / 1e6:.0f} MB of CSV) in "
          f"{time.perf_counter() - started:.2f} s")


# Won deals of history (--smoke: a thousandth); KYOSO_BENCH_COMMISSION_SIZES=50000,100000 picks some.
COMMISSION_SIZES = tuple(int(part) for part in os.environ.get("KYOSO_BENCH_COMMISSION_SIZES",
                                                              "50000,100000,200000").split(","))


def _commission_history(target: int) -> None:
    """Grow the vendor's history (Oct 2024 – Sep 2026, two fiscal years) to `target` won deals: 2,000
    partners (one in ten a distributor with two sub-resellers), an invoice for every other deal, one deal in
    fifty cancelled three weeks after its win, a certification for every other deal."""
    from datetime import datetime

    from django.db import connection

    from deals.models import DealRegistration
    from partners.models import ContactSignal, Partner

    with connection.cursor() as cursor:
        partners = size(2_000)
        if Partner.objects.count() < partners:
            cursor.execute("""
                INSERT INTO partners_partner (name, name_kana, partner_type, stage, stage_changed_at, prefectures,
                    industries, corporate_number, invoice_number, website, phone, postal_code, address, bank_code,
                    bank_name, branch_code, branch_name, account_type, account_number, account_holder,
                    co_creation_benefit, co_selling_model, score_customer_overlap, score_core_business,
                    score_characteristics, score_sales_capacity, notes, created_at, updated_at, is_individual, parent_id)
                SELECT '株式会社報酬' || n, 'ホウシュウ' || n, CASE WHEN n %% 10 = 0 THEN 'distributor' ELSE 'resale' END,
                       'activation', now(), '{}', '{}', '', '', '', '', '', '', '0005', '', '001', '', '1', '1234567',
                       'ﾎｳｼｭｳ', '', '', 0, 0, 0, 0, '', now(), now(), false, NULL
                FROM generate_series(%s, %s) n""", [Partner.objects.count() + 1, partners])
            cursor.execute("""
                UPDATE partners_partner p SET parent_id = d.id FROM partners_partner d
                WHERE d.partner_type = 'distributor' AND p.id IN (d.id + 1, d.id + 2) AND p.partner_type = 'resale'""")
        have = DealRegistration.objects.filter(registered_at__lt=datetime.fromisoformat("2026-10-01T00:00+09:00")).count()
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM partners_partner")
        ids = cursor.fetchone()[0]
        certified = ContactSignal.objects.filter(occurred_at__lt=datetime.fromisoformat("2026-10-01T00:00+09:00")).count()
        cursor.execute("""
            INSERT INTO partners_contactsignal (partner_id, contact_id, kind, occurred_at, source, amount)
            SELECT (%(ids)s::bigint[])[1 + n %% array_length(%(ids)s::bigint[], 1)], NULL, 'certified',
                   TIMESTAMPTZ '2024-10-05 09:00+09' + ((n::bigint * 104729 %% 725)::int || ' days')::interval, '', NULL
            FROM generate_series(%(first)s, %(last)s) n""", {"ids": ids, "first": certified + 1, "last": target // 2})
        if have >= target:
            cursor.execute("ANALYZE")
            return
        cursor.execute("""
            INSERT INTO deals_dealregistration (customer_name, corporate_number, web_domain, name_key, corporate_key,
                domain_key, partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority, registered_at,
                decision_reason, won_amount, won_on, cancelled_on, closed_at)
            SELECT '顧客' || n, '', '', 'm' || n, '', '', (%(ids)s::bigint[])[1 + n %% array_length(%(ids)s::bigint[], 1)], '', '',
                   300000 + (n %% 50) * 20000, DATE '2026-10-01', '', 'partner', 'partner', 'partner', 'partner', 'partner',
                   CASE WHEN n %% 50 = 7 THEN 'cancelled' ELSE 'won' END, 'holder',
                   TIMESTAMPTZ '2024-10-01 10:00+09' + ((n::bigint * 7919 %% 729)::int || ' days')::interval, '',
                   300000 + (n %% 50) * 20000, DATE '2024-10-01' + (n::bigint * 7919 %% 729)::int + (n %% 5),
                   CASE WHEN n %% 50 = 7 THEN DATE '2024-10-01' + (n::bigint * 7919 %% 729)::int + (n %% 5) + 21 END, now()
            FROM generate_series(%(first)s, %(last)s) n""", {"ids": ids, "first": have + 1, "last": target})
        # Nothing after September: cap the days the arithmetic above pushed past it.
        cursor.execute("UPDATE deals_dealregistration SET won_on = DATE '2026-09-30' WHERE won_on > DATE '2026-09-30' "
                       "AND registered_at < TIMESTAMPTZ '2026-10-01 00:00+09'")
        cursor.execute("UPDATE deals_dealregistration SET cancelled_on = DATE '2026-09-30' "
                       "WHERE cancelled_on > DATE '2026-09-30' AND registered_at < TIMESTAMPTZ '2026-10-01 00:00+09'")
        cursor.execute("""
            INSERT INTO incentives_invoicepayment (deal_id, paid_on, amount)
            SELECT id, least(won_on + 30, DATE '2026-09-30'), 50000 FROM deals_dealregistration
            WHERE id %% 2 = 0 AND id > %(after)s AND registered_at < TIMESTAMPTZ '2026-10-01 00:00+09'""",
                       {"after": DealRegistration.objects.order_by("pk").values_list("pk", flat=True)[have - 1] if have else 0})
        cursor.execute("ANALYZE")


def _commission_october(delete: bool = False) -> int:
    """October 2026's 10,000 new events: 3,000 deals registered and won, 3,000 invoices of earlier deals,
    1,000 certifications. With `delete`, remove them (each size measures the same new month)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if delete:
            cursor.execute("DELETE FROM incentives_invoicepayment WHERE paid_on >= DATE '2026-10-01'")
            cursor.execute("DELETE FROM partners_contactsignal WHERE occurred_at >= TIMESTAMPTZ '2026-10-01 00:00+09'")
            cursor.execute("DELETE FROM deals_dealregistration WHERE registered_at >= TIMESTAMPTZ '2026-10-01 00:00+09'")
            return 0
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM partners_partner")
        ids = cursor.fetchone()[0]
        deals, invoices, certifications = size(3_000), size(3_000), size(1_000)
        cursor.execute("""
            INSERT INTO deals_dealregistration (customer_name, corporate_number, web_domain, name_key, corporate_key,
                domain_key, partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority, registered_at,
                decision_reason, won_amount, won_on, closed_at)
            SELECT '十月顧客' || n, '', '', 'oct' || n, '', '', (%(ids)s::bigint[])[1 + n %% array_length(%(ids)s::bigint[], 1)],
                   '', '', 500000, DATE '2026-10-20', '', 'partner', 'partner', 'partner', 'partner', 'partner', 'won', 'holder',
                   TIMESTAMPTZ '2026-10-01 10:00+09' + ((n %% 20) || ' days')::interval, '', 500000,
                   DATE '2026-10-01' + (n %% 20) + (n %% 7), now()
            FROM generate_series(1, %(count)s) n""", {"ids": ids, "count": deals})
        cursor.execute("""
            INSERT INTO incentives_invoicepayment (deal_id, paid_on, amount, reference)
            SELECT id, DATE '2026-10-01' + (id %% 28)::int, 50000, 'OCT-' || id FROM deals_dealregistration
            WHERE won_on IS NOT NULL AND won_on < DATE '2026-10-01' ORDER BY won_on DESC, id LIMIT %(count)s""",
                       {"count": invoices})
        cursor.execute("""
            INSERT INTO partners_contactsignal (partner_id, contact_id, kind, occurred_at, source, amount)
            SELECT (%(ids)s::bigint[])[1 + n %% array_length(%(ids)s::bigint[], 1)], NULL, 'certified',
                   TIMESTAMPTZ '2026-10-02 09:00+09' + ((n %% 28) || ' days')::interval, '', NULL
            FROM generate_series(1, %(count)s) n""", {"ids": ids, "count": certifications})
        cursor.execute("ANALYZE")
    return deals * 2 + invoices + certifications


def _commission_subprocess(slug: str, period: str, mode: str) -> dict:
    """One commission run in a fresh process: its wall time and the process's peak RSS (ru_maxrss, which
    includes Python and Django, ~`baseline`), so the memory figure is the run's own, not the benchmark's."""
    import json
    import subprocess

    result = subprocess.run([sys.executable, __file__, "_commission_run", slug, period, mode], capture_output=True,
                            text=True, env=os.environ.copy())
    if result.returncode != 0:
        raise RuntimeError(f"commission run {mode} failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _commission_run_child(slug: str, period: str, mode: str) -> None:
    """The child of `_commission_subprocess`: prints {"seconds", "rss_mb", "lines", "since"} as JSON."""
    import json
    import resource
    from datetime import date

    import django

    django.setup()
    from django_tenants.utils import tenant_context

    from incentives import runs as commission_runs
    from prm.tenancy.models import Vendor

    vendor = Vendor.objects.get(slug=slug)
    month = date(*(int(part) for part in period.split("-")), 1)
    with tenant_context(vendor):
        started = time.perf_counter()
        if mode == "baseline":
            lines, since = 0, None
        elif mode == "verify":
            lines, since = len(commission_runs.verify(month)), None
        else:
            run = commission_runs.run_execute(commission_runs.run_start(period=month, full=mode == "full").pk)
            assert run.status == "done", run.error
            lines, since = run.lines_added, run.since and run.since.isoformat()
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "lines": lines, "since": since}))


def _commission_anchor(until: str) -> float:
    """The SQL totals anchor: PostgreSQL summing the same history into per-partner, per-month totals of the
    plan's per-event rules (margin, registration bonus, revenue share, override) — reading every event once,
    which any full recomputation must do too. Returns seconds."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH lines AS (
                SELECT partner_id, date_trunc('month', won_on) AS month, floor(won_amount * 0.15) AS amount
                    FROM deals_dealregistration WHERE won_on <= %(until)s
                UNION ALL SELECT d.parent_id, date_trunc('month', won_on), floor(won_amount * 0.05) FROM deals_dealregistration x
                    JOIN partners_partner d ON d.id = x.partner_id WHERE d.parent_id IS NOT NULL AND won_on <= %(until)s
                UNION ALL SELECT partner_id, date_trunc('month', registered_at), 10000 FROM deals_dealregistration
                    WHERE registered_at < %(until)s::date + 1
                UNION ALL SELECT d.partner_id, date_trunc('month', i.paid_on), floor(i.amount * 0.10)
                    FROM incentives_invoicepayment i JOIN deals_dealregistration d ON d.id = i.deal_id
                    WHERE i.paid_on <= %(until)s AND i.paid_on <= d.won_on + interval '12 months'
                UNION ALL SELECT partner_id, date_trunc('month', occurred_at), 30000 FROM partners_contactsignal
                    WHERE occurred_at < %(until)s::date + 1)
            SELECT count(*), sum(total) FROM (SELECT partner_id, month, sum(amount) AS total FROM lines GROUP BY 1, 2) t""",
                       {"until": until})
        cursor.fetchall()
    return time.perf_counter() - started


def bench_commissions(runs: int) -> None:
    """Full and incremental commission runs over 50k/100k/200k won deals of history plus a month of 10,000
    new events, each in a process of its own (time, peak RSS), a finished month run again, and the SQL anchor."""
    import json
    import statistics
    from datetime import date

    from django.conf import settings
    from django.db import connection
    from django_tenants.utils import tenant_context

    from deals.models import DealRegistration
    from incentives import payouts, statements
    from incentives import runs as commission_runs
    from incentives.models import InvoicePayment, Plan
    from partners.models import ContactSignal

    baseline = None
    for target in COMMISSION_SIZES:
        # A vendor per size: a history only grows, and each size is measured on exactly its own.
        vendor = _tenant(f"benchmoney{target // 1000}k", "ベンチ報酬株式会社")
        with tenant_context(vendor):
            if not Plan.objects.filter(code="reseller-fy2026").exists():
                plan = json.loads((settings.BASE_DIR / "incentives" / "examples" / "reseller-fy2026.json").read_text())
                plan.pop("applies_to")
                plan["valid_from"] = "2024-04-01"  # the history's two fiscal years pay too
                commission_runs.plan_publish(plan=Plan.objects.get_or_create(code=plan["code"], name=plan["name"])[0],
                                             document=plan, actor=None)
        if baseline is None:
            baseline = _commission_subprocess(vendor.slug, "2026-09", "baseline")
            print(f"commissions: a process that only loads Django and opens the tenant peaks at {baseline['rss_mb']:.0f} "
                  f"MB RSS (included in every RSS below). The machine is shared: times vary between runs.")
        with tenant_context(vendor):
            started = time.perf_counter()
            _commission_october(delete=True)
            _commission_history(size(target))
            with connection.cursor() as cursor:  # raw: Django's delete() would load every line first
                cursor.execute("DELETE FROM incentives_ledgerline; DELETE FROM incentives_payout; "
                               "DELETE FROM incentives_commissionrun")
            history = (DealRegistration.objects.count() * 2 + InvoicePayment.objects.count()
                       + ContactSignal.objects.count())
            print(f"commissions {size(target):,} won deals: history of ~{history:,} events ready in "
                  f"{time.perf_counter() - started:.1f} s")
        base = _commission_subprocess(vendor.slug, "2026-09", "full")
        print(f"  full run of September (writes the history's ledger, {base['lines']:,} lines): "
              f"{base['seconds']:.1f} s, peak RSS {base['rss_mb']:.0f} MB")
        with tenant_context(vendor):
            new = _commission_october()
        incremental = _commission_subprocess(vendor.slug, "2026-10", "incremental")
        print(f"  incremental run of October (+{new:,} events, reads from {incremental['since']}, "
              f"{incremental['lines']:,} lines): {incremental['seconds']:.2f} s, peak RSS {incremental['rss_mb']:.0f} MB")
        again = _commission_subprocess(vendor.slug, "2026-10", "incremental")
        print(f"  October run again ({again['lines']} lines): {again['seconds']:.2f} s, peak RSS {again['rss_mb']:.0f} MB")
        full = _commission_subprocess(vendor.slug, "2026-10", "verify")
        with tenant_context(vendor):
            anchor = min(_commission_anchor("2026-10-31") for _n in range(3))
        print(f"  full recompute of October (--verify, {full['lines']} differences): {full['seconds']:.1f} s, "
              f"peak RSS {full['rss_mb']:.0f} MB; SQL totals anchor {anchor:.2f} s; full / anchor "
              f"{full['seconds'] / anchor:.1f}x", flush=True)
        if full["lines"]:
            raise AssertionError("the incremental ledger differs from the full recomputation")
    with tenant_context(vendor):
        built = payouts.payouts_build(period=date(2026, 10, 1))
        timings = []
        for payout in built[:size(max(runs * 2, 20), 1)]:
            started = time.perf_counter()
            statements.render_pdf(payout)
            timings.append(time.perf_counter() - started)
        print(f"commissions: {len(built):,} payouts; statement PDF median {statistics.median(timings) * 1000:.0f} ms "
              f"over {len(timings)} renders")


def bench_enablement(runs: int) -> None:
    """Portal home and library, console library and access log, with 5,000 items and 50,000 downloads."""
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django_tenants.utils import tenant_context

    from enablement.models import ContentAccess, ContentItem
    from partners.models import Partner, PartnerMembership
    from partners.services import contact_link_user
    from prm.accounts.models import User
    from prm.tenancy.middleware import URLCONFS
    from programs.models import PartnerTier, Tier

    call_command("setup_platform", verbosity=0)
    vendor = _tenant("benchenablement", "ベンチ研修株式会社")
    tags = ["勤怠", "経費精算", "ワークフロー", "人事労務", "提案書", "導入事例", "競合比較", "価格", "製造業", "小売",
            "建設", "物流", "医療・介護", "士業", "飲食", "中小企業", "大企業", "テレアポ", "初回訪問", "役員向け",
            "電子帳簿保存法", "インボイス制度", "セキュリティ", "パンフレット", "デモ", "年末調整", "SSO", "API", "乗り換え",
            "ROI", "ヒアリング", "切り返し", "事例集", "キャンペーン", "展示会", "ウェビナー", "グループ会社", "テレワーク",
            "シフト", "働き方改革"]
    with tenant_context(vendor):
        staff = User.objects.get(email="admin@benchenablement.example")
        staff.role = "channel_manager"  # a vendor admin would first be sent to set up two-factor authentication
        staff.save(update_fields=["role"])
        if ContentItem.objects.count() < size(5_000):
            started = time.perf_counter()
            Partner.objects.bulk_create(Partner(name=f"株式会社ベンチ販売{n:03d}", partner_type="resale", stage="activation")
                                        for n in range(100))
            partners = list(Partner.objects.order_by("pk")[:100])
            users = User.objects.bulk_create(
                User(email=f"rep{n:03d}@benchenablement.example", full_name=f"営業 {n:03d}", role="partner_rep",
                     password="!") for n in range(100))
            PartnerMembership.objects.bulk_create(PartnerMembership(user=user, partner=partner)
                                                  for user, partner in zip(users, partners, strict=False))
            PartnerTier.objects.bulk_create(PartnerTier(partner=partner, tier=Tier.objects.get(code="gold"))
                                            for partner in partners)
            with connection.cursor() as cursor:
                cursor.execute("""
                    INSERT INTO enablement_contentitem (partner_types, min_tier_rank, title, kind, description, tags, gated,
                        is_published, created_at, updated_at, current_version, view_count, download_count)
                    SELECT '{}', CASE WHEN n %% 50 = 0 THEN 4 ELSE 0 END,
                           (ARRAY['提案書テンプレート','トークスクリプト','導入事例','比較表','パンフレット'])[1 + n %% 5]
                               || ' ' || n || '：' || (%s::text[])[1 + n %% 40],
                           (ARRAY['proposal','talk_script','case_study','comparison','brochure'])[1 + n %% 5],
                           '業種別の提案に使える資料です（' || (%s::text[])[1 + (n * 7) %% 40] || '）。',
                           ARRAY[(%s::text[])[1 + n %% 40], (%s::text[])[1 + (n * 7) %% 40]], n %% 10 = 0, n %% 97 <> 0,
                           now() - ((n %% 700) || ' days')::interval, now() - ((n %% 700) || ' days')::interval + interval '2 hours',
                           1 + n %% 3, 0, 0
                    FROM generate_series(1, 5000) n""", [tags] * 4)
                cursor.execute("""
                    INSERT INTO enablement_contentversion (item_id, number, file, notes, uploaded_by_id, uploaded_at)
                    SELECT i.id, v, 'enablement/library/bench-' || i.id || '-v' || v || '.pdf', '', NULL,
                           i.created_at + (v - 1) * interval '1 hour'
                    FROM enablement_contentitem i CROSS JOIN LATERAL generate_series(1, i.current_version) v""")
                cursor.execute("""
                    SELECT array_agg(item_id ORDER BY item_id), array_agg(id ORDER BY item_id) FROM (
                        SELECT DISTINCT ON (item_id) item_id, id FROM enablement_contentversion
                        ORDER BY item_id, number DESC) latest""")
                item_ids, version_ids = cursor.fetchone()
                cursor.execute("""
                    INSERT INTO enablement_contentaccess (item_id, version_id, user_id, contact_id, partner_id, action, at)
                    SELECT (%s::bigint[])[k], (%s::bigint[])[k], (%s::bigint[])[1 + n %% 100], NULL,
                           (%s::bigint[])[1 + n %% 100], 'download',
                           now() - ((n %% 90) || ' days')::interval - ((n * 37 %% 86400) || ' seconds')::interval
                    FROM generate_series(1, 50000) n,
                         LATERAL (SELECT 1 + (n::bigint * 7919) %% array_length(%s::bigint[], 1) AS k) pick""",
                               [item_ids, version_ids, [u.pk for u in users], [p.pk for p in partners], item_ids])
                cursor.execute("""
                    UPDATE enablement_contentitem i SET download_count = c.n
                    FROM (SELECT item_id, count(*) AS n FROM enablement_contentaccess WHERE action = 'download'
                          GROUP BY item_id) c WHERE c.item_id = i.id""")
                cursor.execute("ANALYZE")
            print(f"enablement: seeded {ContentItem.objects.count():,} content items with versions and "
                  f"{ContentAccess.objects.count():,} downloads by 100 partners in {time.perf_counter() - started:.1f} s")
        rep = User.objects.get(email="rep000@benchenablement.example")
        contact_link_user(user=rep)
        counts = ContentItem.objects.count(), ContentAccess.objects.count()
        portal_urls = {name: reverse(name, urlconf=URLCONFS["portal"]) for name in ("home", "portal_library")}
        console_urls = {name: reverse(name, urlconf=URLCONFS["console"])
                        for name in ("enablement_library", "enablement_accesses")}
    portal = Client(HTTP_HOST=vendor.domain_for("portal").domain)
    console = Client(HTTP_HOST=vendor.domain_for("console").domain)
    with tenant_context(vendor):
        portal.force_login(rep, backend="django.contrib.auth.backends.ModelBackend")
        console.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    print(f"enablement: {counts[0]:,} content items, {counts[1]:,} download records")
    samples = size(max(runs * 2, 20), 1)
    pages = [
        ("portal home", portal, portal_urls["home"]),
        ("portal library, first page", portal, portal_urls["portal_library"]),
        ("portal library, search", portal, portal_urls["portal_library"] + "?q=製造業"),
        ("portal library, tag filter", portal, portal_urls["portal_library"] + f"?tag={tags[6]}"),
        ("portal library, page 180", portal, portal_urls["portal_library"] + "?page=180"),
        ("console library", console, console_urls["enablement_library"]),
        ("console access log", console, console_urls["enablement_accesses"]),
    ]
    for label, client, url in pages:
        client.get(url)  # warm up: templates compiled, connection open
        timings, queries = [], set()
        for _ in range(samples):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
            queries.add(len(captured))
        print(f"enablement: {label}: {_percentiles(timings)} over {samples} requests, "
              f"{'/'.join(str(q) for q in sorted(queries))} SQL queries")


def _health_seed(staff) -> None:
    """10,000 signed partners, 100,000 contacts (60,000 with portal accounts), 5,000,000 signals over 12 months,
    200,000 deals, certifications and quiz attempts, all set-based. A tenth of the partners have gone quiet
    (nothing in the last five months) and a fifth are slowing down (nothing in the last 40 days), so every band
    has partners."""
    from django.db import connection, transaction

    from enablement.models import Certification, Course, Quiz
    from prm.accounts.models import User

    started = time.perf_counter()
    managers = [staff] + [User.objects.get_or_create(email=f"cm{n}@benchhealth.example", defaults={
        "full_name": f"担当 {n}", "role": "channel_manager"})[0] for n in range(1, 4)]
    quiz = Quiz.objects.create(course=Course.objects.create(title="製品基礎"), pass_mark=70)
    certification, _ = Certification.objects.get_or_create(code="bench-basic", defaults={"name": "認定セールス"})
    quiet = "CASE WHEN {i} %% 10 = 0 THEN 150 WHEN {i} %% 10 IN (1, 2) THEN 40 ELSE 0 END"  # days without activity
    statements = [
        # Partner i = 1…10,000; i % 10 = 0 are dormant (and quiet).
        ("""INSERT INTO partners_partner (name, name_kana, partner_type, stage, stage_changed_at, prefectures,
                industries, corporate_number, invoice_number, website, phone, postal_code, address, bank_code,
                bank_name, branch_code, branch_name, account_type, account_number, account_holder,
                co_creation_benefit, co_selling_model, score_customer_overlap, score_core_business,
                score_characteristics, score_sales_capacity, notes, created_at, updated_at, is_individual, parent_id,
                owner_id)
            SELECT '株式会社ヘルス' || i, 'ヘルス' || i,
                   (ARRAY['referral','agency','resale','resale','distributor','solution','oem','alliance'])[1 + i %% 8],
                   CASE WHEN i %% 10 = 0 THEN 'dormant' WHEN i %% 7 = 0 THEN 'onboarding'
                        WHEN i %% 3 = 0 THEN 'activation' ELSE 'retention' END,
                   now() - ((i %% 300) || ' days')::interval, '{13}', '{it}', '', '', '', '', '', '', '', '', '', '',
                   '', '', '', '', '', 3, 3, 3, 3, '', now() - ((30 + i %% 1000) || ' days')::interval, now(), false,
                   NULL, (%s::bigint[])[1 + i %% 4]
            FROM generate_series(1, 10000) i""", [[manager.pk for manager in managers]]),
        ("""CREATE TEMP TABLE bench_partner AS
            SELECT row_number() OVER (ORDER BY id) AS i, id, created_at FROM partners_partner
            WHERE name LIKE '株式会社ヘルス%%'""", []),
        ("""INSERT INTO partners_agreement (kind, agreed_on, recorded_at, summary, details, partner_id)
            SELECT kind, p.created_at::date + 20, p.created_at + interval '20 days', '', '{}', p.id
            FROM bench_partner p
            CROSS JOIN unnest(ARRAY['co_creation', 'business_goal', 'program', 'contract']) kind""", []),
        # Contact k = 1…100,000 works at partner 1 + (k - 1) % 10,000; k ≤ 60,000 have a portal account.
        ("""INSERT INTO partners_contact (full_name, full_name_kana, email, phone, department, title, role,
                is_key_person, stage, notes, created_at, partner_id)
            SELECT '担当 ' || k, '', 'c' || k || '@health.bench.example', '', '', '', 'rep', false, 'potential', '',
                   p.created_at, p.id
            FROM generate_series(1, 100000) k JOIN bench_partner p ON p.i = 1 + (k - 1) %% 10000""", []),
        ("""CREATE TEMP TABLE bench_contact AS
            SELECT row_number() OVER (ORDER BY c.id) AS k, c.id, c.partner_id, p.i AS partner_i
            FROM partners_contact c JOIN bench_partner p ON p.id = c.partner_id""", []),
        ("CREATE UNIQUE INDEX ON bench_contact (k)", []),
        ("""INSERT INTO accounts_user (password, last_login, is_superuser, email, full_name, full_name_kana, role,
                language, is_active, is_staff, date_joined)
            SELECT '!', NULL, false, 'c' || k || '@health.bench.example', '担当 ' || k, '',
                   CASE WHEN k <= 10000 THEN 'partner_admin' ELSE 'partner_rep' END, 'ja', k %% 50 <> 0, false, now()
            FROM bench_contact WHERE k <= 60000""", []),
        ("""UPDATE partners_contact c SET user_id = u.id FROM accounts_user u
            WHERE u.email = c.email AND c.email LIKE '%%@health.bench.example'""", []),
        ("""INSERT INTO partners_partnermembership (created_at, partner_id, user_id)
            SELECT now(), partner_id, user_id FROM partners_contact
            WHERE user_id IS NOT NULL AND email LIKE '%%@health.bench.example'""", []),
        # 5,000,000 signals over the year: three in five are portal sign-ins (by account holders), the rest
        # downloads, registrations, training, study sessions and certifications.
        (f"""INSERT INTO partners_contactsignal (partner_id, contact_id, kind, occurred_at, amount, source)
            SELECT c.partner_id, c.id, s.kind,
                   now() - make_interval(secs => (q.days + ((n::bigint * 48271) %% 31536000) / 31536000.0
                                                  * (365 - q.days)) * 86400),
                   NULL, ''
            FROM generate_series(1, 5000000) n
            CROSS JOIN LATERAL (SELECT CASE WHEN n %% 20 < 12 THEN 'portal_login'
                                            WHEN n %% 20 < 14 THEN 'content_downloaded'
                                            WHEN n %% 20 < 16 THEN 'lead_registered'
                                            WHEN n %% 20 = 16 THEN 'deal_registered'
                                            WHEN n %% 20 = 17 THEN 'training_completed'
                                            WHEN n %% 20 = 18 THEN 'session_attended'
                                            ELSE 'certified' END AS kind,
                                       1 + (n::bigint * 7919) %% 100000 AS k) s
            JOIN bench_contact c ON c.k = CASE WHEN s.kind = 'portal_login' THEN 1 + (s.k - 1) %% 60000 ELSE s.k END
            CROSS JOIN LATERAL (SELECT {quiet.format(i="c.partner_i")} AS days) q""", []),
        # 200,000 deal registrations: a third won, a tenth lost, the rest in progress or closed otherwise.
        (f"""INSERT INTO deals_dealregistration (customer_name, corporate_number, web_domain, name_key, corporate_key,
                domain_key, partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority, registered_at,
                decision_reason, won_amount, won_on)
            SELECT '顧客' || n, '', '', 'h' || n, '', '', p.id, '', '', 500000 + (n %% 20) * 100000,
                   (d.registered + interval '60 days')::date, '', 'partner', 'partner', 'partner', 'partner', 'partner',
                   d.stage, 'holder', d.registered, '',
                   CASE WHEN d.stage = 'won' THEN 500000 + (n %% 20) * 100000 END,
                   CASE WHEN d.stage = 'won' THEN (d.registered + interval '45 days')::date END
            FROM generate_series(1, 200000) n
            JOIN bench_partner p ON p.i = 1 + (n::bigint * 7919) %% 10000
            CROSS JOIN LATERAL (SELECT {quiet.format(i="p.i")} AS days) q
            CROSS JOIN LATERAL (SELECT
                (ARRAY['won','won','won','won','won','lost','lost','registered','approved','approved','proposal',
                       'negotiation','approved','won','approved','rejected','expired','approved','proposal','won'])
                    [1 + n %% 20] AS stage,
                now() - make_interval(days => (q.days + (n * 31) %% 365 * (365 - q.days) / 365)::int)
                    AS registered) d""",
         []),
        # Certifications for a third of the account holders, issued over 18 months, valid for 12.
        ("""INSERT INTO enablement_certificationaward (holder_name, issued_at, expires_at, verification_code,
                certification_id, partner_id, user_id)
            SELECT c.full_name, i.issued, i.issued + interval '12 months', left(md5('bench-health-' || c.id), 12), %s,
                   c.partner_id, c.user_id
            FROM partners_contact c
            CROSS JOIN LATERAL (SELECT now() - ((c.id * 17) %% 540 || ' days')::interval AS issued) i
            WHERE c.user_id IS NOT NULL AND c.id %% 3 = 0""", [certification.pk]),
        # 150,000 quiz attempts by account holders over the year; about half pass.
        ("""INSERT INTO enablement_quizattempt (started_at, deadline, question_ids, choice_order, answers,
                submitted_at, score, passed, timed_out, quiz_id, user_id)
            SELECT a.at, a.at + interval '30 minutes', '[]', '{}', '{}', a.at + interval '20 minutes', a.score,
                   a.score >= 70, false, %s, u.user_id
            FROM generate_series(1, 150000) n
            JOIN (SELECT row_number() OVER (ORDER BY user_id) AS r, user_id FROM partners_contact
                  WHERE user_id IS NOT NULL AND email LIKE '%%@health.bench.example') u
              ON u.r = 1 + (n::bigint * 7919) %% 60000
            CROSS JOIN LATERAL (SELECT now() - ((n %% 365) || ' days')::interval AS at,
                                       40 + (n * 13) %% 61 AS score) a""", [quiz.pk]),
        ("""INSERT INTO programs_partnertier (partner_id, tier_id, since, metrics, evaluated_at)
            SELECT p.id, (SELECT id FROM programs_tier ORDER BY rank OFFSET p.i %% 4 LIMIT 1), p.created_at, '{}', now()
            FROM bench_partner p""", []),
        ("DROP TABLE bench_contact; DROP TABLE bench_partner", []),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
    print(f"health: seeded 10,000 partners, 100,000 contacts (60,000 with portal accounts), 5,000,000 signals, "
          f"200,000 deals, 20,000 certifications and 150,000 quiz attempts in {time.perf_counter() - started:.1f} s",
          flush=True)


def _peak_rss_reset() -> int:
    """Reset the kernel's peak-RSS mark for this process (Linux); returns the current RSS in kB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _rss_kb("VmRSS")
    except OSError:
        return 0


def _rss_kb(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def bench_health(runs: int) -> None:
    """Health recalculation for 10,000 partners, 100,000 contacts and 5,000,000 events; the dashboard on top."""
    import resource
    import tracemalloc

    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from partners.health.models import HealthAlert, HealthRun, HealthScore, HealthSnapshot
    from partners.health.services import recalculate
    from partners.models import ContactSignal, Partner
    from partners.services import contact_stages_recompute
    from prm.accounts.models import User

    # Alert e-mails go out when the recalculation commits; keep them in memory rather than on the console.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KYOSO_EMAIL_DELIVERY = "inline"
    vendor = _tenant("benchhealth", "ベンチヘルス株式会社")
    with tenant_context(vendor):
        staff = User.objects.get(email="admin@benchhealth.example")
        staff.role = "channel_manager"  # a vendor admin would first be sent to set up two-factor authentication
        staff.save(update_fields=["role"])
        if ContactSignal.objects.count() < size(5_000_000):
            _health_seed(staff)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            started = time.perf_counter()
            changed = contact_stages_recompute()
            print(f"health: contact stages recomputed for 100,000 contacts ({changed:,} changed) in "
                  f"{time.perf_counter() - started:.1f} s")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        counts = {label: model.objects.count() for label, model in
                  (("partners", Partner), ("portal users", User), ("events", ContactSignal))}
        print("health: tenant holds " + ", ".join(f"{n:,} {label}" for label, n in counts.items())
              + " (events = contact signals: sign-ins, registrations, training …)")
        with connection.cursor() as cursor:  # raw: Django's delete() would load every row first
            cursor.execute("DELETE FROM partners_healthalert; DELETE FROM partners_healthsnapshot; "
                           "DELETE FROM partners_healthscore; DELETE FROM partners_healthrun")

        def measured(label: str, *, python_peak: bool = False) -> HealthRun:
            rss_before = _peak_rss_reset()
            maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if python_peak:
                tracemalloc.start()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                run = recalculate()
                elapsed = time.perf_counter() - started
            line = (f"health: recalculate ({label}): {run.partners:,} partners, {run.alerts:,} alerts in "
                    f"{elapsed:.1f} s wall, {len(captured)} SQL queries; ")
            if python_peak:
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                line += f"Python peak {peak / 1e6:.0f} MB (tracemalloc slows Python down; wall time not comparable)"
            else:
                peak_rss = _rss_kb("VmHWM")
                maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                line += (f"process RSS {rss_before / 1024:.0f} MB before, peak {peak_rss / 1024:.0f} MB during "
                         f"(+{(peak_rss - rss_before) / 1024:.0f} MB); max RSS of the process "
                         f"{maxrss_before / 1024:.0f} → {maxrss / 1024:.0f} MB")
            print(line)
            slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
            print("  slowest queries: " + "; ".join(f"{float(q['time']):.2f} s {' '.join(q['sql'].split())[:90]}…"
                                                   for q in slowest))
            return run

        measured("first run: inserts every score and snapshot")
        measured("second run, same day: updates every score and snapshot")
        fallen_ids = list(HealthScore.objects.exclude(band="healthy").order_by("partner_id")
                          .values_list("partner_id", flat=True)[:size(1_000, 10)])
        HealthScore.objects.filter(partner_id__in=fallen_ids).update(band="healthy")
        measured(f"third run, {len(fallen_ids):,} partners had been healthy: alerts and notifications")
        measured("under tracemalloc", python_peak=True)
        bands = dict(HealthScore.objects.values_list("band").annotate(n=Count("*")).order_by())
        print(f"health: bands {bands}; {HealthSnapshot.objects.count():,} snapshots, "
              f"{HealthAlert.objects.count():,} alerts")

    client = Client(HTTP_HOST=vendor.domain_for("console").domain)
    with tenant_context(vendor):
        from programs.models import Tier

        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
        filters = f"period=quarter&owner={staff.pk}&partner_type=resale&tier={Tier.objects.get(code='gold').pk}"
    connection.set_schema_to_public()
    client.get("/partners/")  # warm up: templates compiled, URLs resolved, connection open
    samples = size(max(runs * 2, 20), 1)
    for label, url in (("dashboard", "/insights/"),
                       ("dashboard, this quarter, one owner, type and tier", f"/insights/?{filters}")):
        with tenant_context(vendor):
            recalculate()  # a recalculation makes any cached figures stale
        connection.set_schema_to_public()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            first = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        print(f"health: {label}: first request after a recalculation {first * 1000:.0f} ms, "
              f"{len(captured)} SQL queries")
        for state in ("cold", "warm"):
            timings, queries = [], set()
            for _ in range(samples):
                if state == "cold":
                    cache.clear()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append(time.perf_counter() - started)
                assert response.status_code == 200, (url, response.status_code)
                queries.add(len(captured))
            print(f"health: {label}, {state} ({'cache cleared before each request' if state == 'cold' else 'cached'}): "
                  f"{_percentiles(timings)} over {samples} requests, "
                  f"{'/'.join(str(q) for q in sorted(queries))} SQL queries")


class _Rollback(Exception):
    pass


def bench_mapping(runs: int) -> None:
    """Account mapping: a 100,000-record partner list against 1,000,000 vendor records
    (600,000 direct accounts, 300,000 registrations, 100,000 target accounts), end to end:
    read and check the file, store it with its keys, recompute the overlap. Then a changed
    re-upload, which recomputes that partner only."""
    import gc
    import resource
    import tracemalloc

    from django.db import connection
    from django_tenants.utils import tenant_context

    from mapping import services
    from mapping.models import CustomerList, ListUpload, OverlapSnapshot
    from partners.models import Partner
    from prm.accounts.models import User

    vendor = _tenant("benchmapping", "ベンチマッピング株式会社")
    direct, registrations, targets, listed = size(600_000), size(300_000), size(100_000), size(100_000)
    with tenant_context(vendor):
        actor = User.objects.filter(role="vendor_admin").first()
        partners = list(Partner.objects.order_by("pk")[:2])
        if len(partners) < 2:
            Partner.objects.bulk_create(Partner(name=f"ベンチ販売店{n}", partner_type="resale", stage="activation")
                                        for n in range(2))
            partners = list(Partner.objects.order_by("pk")[:2])
        # Prospects: lists the vendor was handed, which the vendor's staff may upload (the service's rule).
        Partner.objects.filter(pk__in=[partner.pk for partner in partners]).update(stage="prospect")
        partners = list(Partner.objects.order_by("pk")[:2])
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM deals_directaccount WHERE domain_key LIKE 'v%%.co.jp'")
            if cursor.fetchone()[0] < direct:
                # Set-based seeding; the keys are what deals.matching gives for these names and domains.
                cursor.execute("TRUNCATE deals_directaccount CASCADE")
                cursor.execute(
                    """INSERT INTO deals_directaccount (customer_name, corporate_number, web_domain, name_key,
                                                        corporate_key, domain_key, created_at)
                       SELECT 'ベンチ顧客' || n || '株式会社', '', 'v' || n || '.co.jp', 'ベンチ顧客' || n, '',
                              'v' || n || '.co.jp', now()
                         FROM generate_series(0, %s) AS n""", [direct - 1])
                cursor.execute(
                    """INSERT INTO deals_dealregistration
                           (customer_name, corporate_number, web_domain, name_key, corporate_key, domain_key,
                            partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                            role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority,
                            registered_at, decision_reason)
                       SELECT 'ベンチ顧客' || n || '株式会社', '', '', 'ベンチ顧客' || n, '', '', %s, '', '', 1000000,
                              CURRENT_DATE + 60, '', 'partner', 'partner', 'partner', 'partner', 'partner',
                              (ARRAY['approved', 'won', 'lost'])[1 + n %% 3], 'holder', now(), ''
                         FROM generate_series(%s, %s) AS n""", [partners[1].pk, direct, direct + registrations - 1])
                for table in ("deals_directaccount", "deals_dealregistration", "mapping_customerrecord"):
                    cursor.execute(f"ANALYZE {table}")
                print(f"mapping: seeded {direct + registrations:,} direct accounts and registrations "
                      f"in {time.perf_counter() - started:.1f} s")
            cursor.execute("SELECT coalesce(sum(row_count), 0) FROM mapping_customerlist WHERE partner_id IS NULL")
            if cursor.fetchone()[0] < targets:
                cursor.execute("DELETE FROM mapping_customerrecord WHERE customer_list_id IN "
                               "(SELECT id FROM mapping_customerlist WHERE partner_id IS NULL)")
                cursor.execute("DELETE FROM mapping_customerlist WHERE partner_id IS NULL")
                cursor.execute("INSERT INTO mapping_customerlist (population, filename, row_count, uploaded_at) "
                               "VALUES ('targets', 'bench-targets.csv', %s, now()) RETURNING id", [targets])
                list_id = cursor.fetchone()[0]
                cursor.execute(
                    """INSERT INTO mapping_customerrecord (customer_list_id, line, customer_name, corporate_number,
                           web_domain, name_key, corporate_key, domain_key, industry, employee_band, prefecture)
                       SELECT %s, n + 2, 'ターゲット' || n, '', '', 'ターゲット' || n, '', '', '', '', ''
                         FROM generate_series(0, %s) AS n""", [list_id, targets - 1])
                cursor.execute("ANALYZE mapping_customerrecord")
                print(f"mapping: seeded {targets:,} target accounts")

        def partner_file(shift: int) -> bytes:
            # Every third record is a vendor customer (by name, by domain, or by a (株) variant), the rest are not.
            lines = ["会社名,法人番号,メールアドレス,業種,従業員数,都道府県"]
            for n in range(listed):
                k = n + shift
                if n % 3 == 0:
                    lines.append(f"(株)ベンチ顧客{k * 7 % (direct + registrations)},,,E,120,東京都")
                elif n % 3 == 1:
                    lines.append(f"販売先{k},,taro@mail.v{k * 5 % direct}.co.jp,G,35,大阪府")
                else:
                    lines.append(f"独自の顧客{k}株式会社,,info@own{k}.jp,,,")
            return ("\n".join(lines) + "\n").encode("utf-8")

        def upload(partner, raw: bytes) -> tuple[float, float, float]:
            """(seconds to accept the upload, seconds end to end, MB the process grew by)."""
            gc.collect()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            pending = services.list_upload_create(actor=actor, partner=partner, population="customers",
                                                  filename="bench.csv", raw=raw)
            accepted = time.perf_counter()
            services.list_apply(upload=ListUpload.objects.get(pk=pending.pk), actor=actor)
            total = time.perf_counter() - started
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
            return accepted - started, total, grown

        for partner in partners:
            for customer_list in CustomerList.objects.filter(partner=partner):
                services.list_delete(customer_list=customer_list, actor=actor)
        upload(partners[1], partner_file(1))  # the other partner, so that the re-upload shows it untouched
        raw = partner_file(0)
        timings = []
        for _ in range(max(1, min(runs, 3))):
            accepted, total, grown = upload(partners[0], raw)
            snapshot = OverlapSnapshot.objects.filter(partner=partners[0]).first()
            timings.append(total)
            print(f"mapping: 100,000-record list vs 1,000,000 vendor records: {total:.2f} s end to end "
                  f"(upload accepted {accepted:.2f} s, overlap SQL {snapshot.seconds:.2f} s), "
                  f"peak RSS grew {grown:.0f} MB; overlap {snapshot.cells}")
        other_before = OverlapSnapshot.objects.filter(partner=partners[1]).count()
        accepted, total, grown = upload(partners[0], partner_file(3))
        other_after = OverlapSnapshot.objects.filter(partner=partners[1]).count()
        print(f"mapping: changed re-upload {total:.2f} s, peak RSS grew {grown:.0f} MB; other partner's snapshots "
              f"{other_before} → {other_after} (not recomputed)")
        tracemalloc.start()
        started = time.perf_counter()
        services.overlap_recompute(partner=partners[0])
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"mapping: recompute alone {seconds:.2f} s with {peak / 1e3:.0f} kB of Python memory at peak; "
              f"median end to end {statistics.median(timings):.2f} s (budget 10 s)")


def bench_import(runs: int) -> None:
    """A 10,000-row partner CSV applied by a real Celery worker, followed the way the progress bar is; a QBR pack."""
    import socket
    import subprocess

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from partners import csv_io, qbr
    from partners.japan import corporate_number_check_digit
    from partners.models import ImportBatch, Partner
    from partners.tasks import import_apply
    from prm.celery import app
    from prm.tenancy.services import vendor_create

    call_command("setup_platform", verbosity=0)
    slug = f"benchimport-{uuid.uuid4().hex[:6]}"
    vendor = vendor_create(slug=slug, name="ベンチ取込株式会社", admin_email=f"admin@{slug}.example",
                           admin_password="bench-password-123").vendor
    queue = f"kyoso-bench-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@{socket.gethostname()}"
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "prm", "worker", "--pool=solo", "-Q", queue,
                               "-n", node, "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
                              env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE})
    try:
        started = time.monotonic()
        while not app.control.ping(destination=[node], timeout=0.5):
            if worker.poll() is not None or time.monotonic() - started > 60:
                raise SystemExit("import: the Celery worker did not start")
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
        worker.terminate()
        worker.wait(timeout=30)
        connection.set_schema_to_public()
        vendor.delete(force_drop=True)


def bench_export(runs: int) -> None:
    """The partner CSV export of 10,000 partners: in the request, and queued to a real Celery worker (prm.exports)
    with the job page followed until the file is ready; both files must be the same bytes."""
    import socket
    import subprocess

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from partners.japan import corporate_number_check_digit
    from partners.models import Partner
    from prm.accounts.models import User
    from prm.celery import app
    from prm.exports.models import ExportJob
    from prm.tenancy.services import vendor_create

    call_command("setup_platform", verbosity=0)
    slug = f"benchexport-{uuid.uuid4().hex[:6]}"
    vendor = vendor_create(slug=slug, name="ベンチ書出株式会社", admin_email=f"admin@{slug}.example",
                           admin_password="bench-password-123").vendor
    queue = f"kyoso-bench-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@{socket.gethostname()}"
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "prm", "worker", "--pool=solo", "-Q", queue,
                               "-n", node, "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
                              env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE})
    settings.KYOSO_EXPORT_QUEUE = queue
    try:
        started = time.monotonic()
        while not app.control.ping(destination=[node], timeout=0.5):
            if worker.poll() is not None or time.monotonic() - started > 60:
                raise SystemExit("export: the Celery worker did not start")
        with tenant_context(vendor):
            staff = User.objects.get(email=f"admin@{slug}.example")
            staff.role = "channel_manager"
            staff.save(update_fields=["role"])
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

        settings.KYOSO_EXPORT_INLINE_ROWS = 0 if SMOKE else 2_000
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
        worker.terminate()
        worker.wait(timeout=30)
        connection.set_schema_to_public()
        vendor.delete(force_drop=True)


def time_today():
    from django.utils import timezone

    return timezone.localdate()


def bench_vendor_archive(runs: int) -> None:
    """export_vendor of the demo vendor, import_vendor under a new slug, every table's row count compared."""
    import tempfile

    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from prm import demo_data as demo
    from prm.tenancy.archive import export_vendor, import_vendor, row_counts
    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_delete

    with schema_context("public"):
        if SMOKE:  # an empty vendor of its own instead of seeding the whole demo
            source = _tenant("archive", "ベンチ移行株式会社")
        else:
            if not Vendor.objects.filter(slug=demo.DEMO_SLUG).exists():
                call_command("seed_demo", verbosity=0)
            source = Vendor.objects.get(slug=demo.DEMO_SLUG)
    copy = f"{'smoke' if SMOKE else ''}democopy-{uuid.uuid4().hex[:6]}"
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

def bench_email(runs: int) -> None:
    """E-mail task throughput: N e-mails through prm.tasks.deliver_email on a real Celery worker to a
    local SMTP server started here (prm.smtp_sink), counted when the server has received them all."""
    import socket
    import subprocess

    from django.conf import settings

    from prm.mail import enqueue, render_email
    from prm.notifications.models import Notification
    from prm.smtp_sink import SmtpSink

    count = size(max(50, runs * 50), 5)
    started = time.perf_counter()
    rendered = [render_email("mail/notification.html", {
        "notification": Notification(title=f"商談が承認されました #{n}", body="案件「ベンチ」が承認されました。"),
        "url": f"http://partners.bench.localhost:8000/deals/{n}/"}, "ja") for n in range(count)]
    render_seconds = time.perf_counter() - started
    queue = f"kyoso-bench-mail-{uuid.uuid4().hex[:8]}"
    with SmtpSink() as sink:
        env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
               "EMAIL_PORT": str(sink.port), "KYOSO_EMAIL_DELIVERY": "queue", "LOG_LEVEL": "WARNING"}
        node = f"{queue}@{socket.gethostname()}"
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "prm", "worker", "--pool=solo", "-Q", queue,
                                   "-n", node, "--without-mingle", "--without-gossip", "--loglevel=WARNING"], env=env)
        try:
            from prm.celery import app

            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[node], timeout=0.5):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("email: the Celery worker did not start")
            settings.KYOSO_EMAIL_QUEUE = queue
            settings.KYOSO_EMAIL_DELIVERY = "queue"
            started = time.perf_counter()
            for n, (subject, text, html) in enumerate(rendered):
                enqueue({"to": [f"partner{n}@bench.example"], "subject": subject, "text": text, "html": html})
            queued_seconds = time.perf_counter() - started
            if not sink.wait_for(count, timeout=600):
                raise SystemExit(f"email: only {len(sink.messages)} of {count} e-mails arrived in 10 minutes")
            seconds = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    print(f"email: {count} e-mails rendered (one template, HTML + text) at {count / render_seconds:,.0f}/s; "
          f"queued at {count / queued_seconds:,.0f}/s; sent by the Celery task (one solo worker, one SMTP "
          f"connection per e-mail, local SMTP server) at {count / seconds:,.1f} e-mails/s")


def bench_invoices(runs: int) -> None:
    """Importing 10,000 customer invoice payments (a month of a subscription business) through the
    service the console and the API use: read and check the file (the preview), then record it."""
    from datetime import date, timedelta

    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from deals import matching
    from incentives import invoices
    from incentives.models import InvoiceImport, InvoicePayment
    from partners.csv_io import decode
    from partners.models import Partner
    from prm.accounts.models import User

    vendor = _tenant("benchinvoices", "ベンチ請求株式会社")
    deals, lines, by_customer = size(10_000), size(10_000), size(2_000)
    with tenant_context(vendor):
        actor = User.objects.filter(role="vendor_admin").first()
        partner = Partner.objects.order_by("pk").first()
        if partner is None:
            partner = Partner.objects.create(name="ベンチ販売店", partner_type="resale", stage="activation")
        assert matching.normalise_name("ベンチ請求顧客7株式会社") == "ベンチ請求顧客7", "the seeded name keys follow the matcher"
        won_on = date(timezone.localdate().year - 1, 1, 15)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM deals_dealregistration WHERE stage = 'won' AND name_key LIKE 'ベンチ請求顧客%%'")
            if cursor.fetchone()[0] < deals:
                started = time.perf_counter()
                cursor.execute(
                    """INSERT INTO deals_dealregistration
                           (customer_name, corporate_number, web_domain, name_key, corporate_key, domain_key,
                            partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                            role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority,
                            registered_at, decision_reason, won_amount, won_on)
                       SELECT 'ベンチ請求顧客' || n || '株式会社', '', '', 'ベンチ請求顧客' || n, '', '', %s, '', '',
                              1200000, %s, '', 'partner', 'partner', 'partner', 'partner', 'partner', 'won', 'holder',
                              now() - interval '2 years', '', 1200000, %s
                         FROM generate_series(0, %s) AS n""", [partner.pk, won_on, won_on, deals - 1])
                cursor.execute("ANALYZE deals_dealregistration")
                print(f"invoices: seeded {deals:,} won deals in {time.perf_counter() - started:.1f} s")
            cursor.execute("SELECT id, name_key FROM deals_dealregistration WHERE stage = 'won' "
                           "AND name_key LIKE 'ベンチ請求顧客%%' ORDER BY id LIMIT %s", [deals])
            seeded = cursor.fetchall()
        paid_on = timezone.localdate().replace(day=1) - timedelta(days=1)

        def file(run: int) -> bytes:
            # Most lines name the deal by number; by_customer of them by the customer's name (the matcher's job).
            out = ["案件番号,顧客名,入金日,金額,請求書番号"]
            for n in range(lines):
                deal_id, name_key = seeded[n % len(seeded)]
                deal = "" if n < by_customer else str(deal_id)
                customer = f"{name_key}株式会社" if n < by_customer else ""
                out.append(f"{deal},{customer},{paid_on:%Y/%m/%d},\"{100_000 + n % 997:,}\",INV-{run}-{n:05d}")
            return ("\r\n".join(out) + "\r\n").encode("cp932")

        previews, applies = [], []
        for run in range(max(1, min(runs, 3))):
            InvoicePayment.objects.filter(deal_id__in=[deal_id for deal_id, _key in seeded]).delete()
            InvoiceImport.objects.filter(payments__isnull=True).delete()
            raw = file(run)
            started = time.perf_counter()
            text, encoding = decode(raw)
            batch = invoices.import_upload(actor=actor, filename="bench.csv", text=text, encoding=encoding)
            check = invoices.file_check(batch.content)
            preview = time.perf_counter() - started
            assert not check.has_errors, check.messages()
            started = time.perf_counter()
            created = invoices.import_apply(batch=batch, actor=actor)
            apply = time.perf_counter() - started
            assert created.count == lines
            previews.append(preview)
            applies.append(apply)
            print(f"invoices: {lines:,} lines (Shift_JIS, {by_customer:,} matched by customer name): "
                  f"preview {preview:.2f} s, apply {apply:.2f} s (checks again, then records)")
        print(f"invoices: median preview {statistics.median(previews):.2f} s, median apply "
              f"{statistics.median(applies):.2f} s, end to end {statistics.median(previews) + statistics.median(applies):.2f} s")



def _bench_webhooks(runs: int) -> None:
    from bench.webhooks import bench_webhooks

    bench_webhooks(runs, smoke=SMOKE, size=size)


def bench_api(runs: int) -> None:
    """GET /api/v1/partners (10,000 partners, pages of 100) against the console's list: bench/api.py."""
    from bench import api

    api.run(runs, size=size, tenant=_tenant, seed_registrations=seed_registrations)


from bench.tenants import bench_tenants  # noqa: E402  (its own module)
from bench.web import bench_web  # noqa: E402  (its own module; it reads SMOKE and the seeding from here)

TARGETS = {"create_vendor": bench_create_vendor, "partners": bench_partners, "deals": bench_deals, "tiers": bench_tiers,
           "commissions": bench_commissions, "matching": bench_matching, "incentives": bench_incentives,
           "enablement": bench_enablement, "health": bench_health, "mapping": bench_mapping, "email": bench_email,
           "import": bench_import, "vendor_archive": bench_vendor_archive, "invoices": bench_invoices,
           "export": bench_export, "webhooks": _bench_webhooks, "api": bench_api, "web": bench_web, "tenants": bench_tenants}


def _drop_smoke_vendors() -> None:
    from django.db import connection

    from prm.tenancy.models import Vendor

    connection.set_schema_to_public()
    for vendor in Vendor.objects.filter(slug__startswith="smoke"):
        vendor.delete(force_drop=True)
        connection.set_schema_to_public()


def main() -> None:
    global SMOKE
    if sys.argv[1:2] == ["_commission_run"]:  # a measured commission run in a process of its own
        _commission_run_child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="*", default=["create_vendor", "partners", "deals", "tiers", "matching", "incentives",
                                                     "commissions", "enablement", "health"],
                        help=f"benchmarks to run, or ALL: {', '.join(TARGETS)}")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and one run, to check every benchmark works")
    args = parser.parse_args()
    which = list(TARGETS) if "ALL" in args.which else args.which
    unknown = [name for name in which if name not in TARGETS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(TARGETS)} or ALL")
    import django

    django.setup()
    from django.db import connection

    SMOKE = args.smoke
    runs = 1 if SMOKE else args.runs
    with connection.execute_wrapper(_smoke_sql) if SMOKE else contextlib.nullcontext():
        failed = []
        try:
            for name in which:
                started = time.perf_counter()
                if not SMOKE:
                    TARGETS[name](runs)
                    continue
                try:  # a smoke run tries every target and names each that broke
                    TARGETS[name](runs)
                except Exception:
                    traceback.print_exc()
                    failed.append(name)
                    connection.set_schema_to_public()
                print(f"smoke: {name} {'FAILED' if name in failed else 'ran'} in {time.perf_counter() - started:.1f} s",
                      flush=True)
        finally:
            if SMOKE:
                _drop_smoke_vendors()
    if failed:
        sys.exit(f"smoke: broken benchmarks: {', '.join(failed)}")


if __name__ == "__main__":
    main()
