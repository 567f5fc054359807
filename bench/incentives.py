"""Benchmarks of money: the incentive engine, commission runs and invoice payment imports."""

from __future__ import annotations

import os
import statistics
import sys
import time
from operator import itemgetter
from pathlib import Path

from bench import common
from bench.common import _tenant, size


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
COMPARED_RUNS = 3  # runs of the full recompute and of the SQL anchor; the ratio compares the best of each
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
                FROM generate_series(%s::int, %s::int) n""", [Partner.objects.count() + 1, partners])
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
            FROM generate_series(%(first)s::int, %(last)s::int) n""", {"ids": ids, "first": certified + 1, "last": target // 2})
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
            FROM generate_series(%(first)s::int, %(last)s::int) n""", {"ids": ids, "first": have + 1, "last": target})
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

    run_py = Path(__file__).with_name("run.py")  # whose main() runs `_commission_run_child`
    result = subprocess.run([sys.executable, str(run_py), "_commission_run", slug, period, mode], capture_output=True,
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
    # --smoke: the smallest size once (each run is a process of its own that loads Django: 19 of them took a minute).
    sizes, compared = (COMMISSION_SIZES[:1], 1) if common.SMOKE else (COMMISSION_SIZES, COMPARED_RUNS)
    for target in sizes:
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
        # Both sides of the ratio are the best of COMPARED_RUNS runs (a fresh process each for the recompute): one run
        # of either alone varies by a tenth or more on this shared machine.
        fulls = [_commission_subprocess(vendor.slug, "2026-10", "verify") for _n in range(compared)]
        full = min(fulls, key=itemgetter("seconds"))
        with tenant_context(vendor):
            anchors = [_commission_anchor("2026-10-31") for _n in range(compared)]
        anchor = min(anchors)
        each_full = " / ".join(f"{run['seconds']:.2f}" for run in fulls)
        each_anchor = " / ".join(f"{seconds:.2f}" for seconds in anchors)
        print(f"  full recompute of October (--verify, {full['lines']} differences): {full['seconds']:.1f} s, "
              f"peak RSS {full['rss_mb']:.0f} MB; SQL totals anchor {anchor:.2f} s; full / anchor "
              f"{full['seconds'] / anchor:.1f}x (best of {compared} each: recompute {each_full} s, "
              f"anchor {each_anchor} s)", flush=True)
        if any(run["lines"] for run in fulls):
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
