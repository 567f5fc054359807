"""Shared by the benchmarks: the --smoke flag and sizes, the seeding every family uses, timings and memory."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SMOKE = False  # --smoke: tiny sizes (bench/run.py's main sets it)
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


def channel_manager(email: str):
    """The vendor's first admin (made by `_tenant`) as a channel manager, in the current tenant: the benchmarks
    sign in as them, and a vendor admin would first be sent to set up two-factor authentication."""
    from prm.accounts.models import User

    staff = User.objects.get(email=email)
    staff.role = "channel_manager"
    staff.save(update_fields=["role"])
    return staff


def timed_gets(client, url: str, samples: int, before_each=None) -> tuple[list[float], list[int]]:
    """`samples` GETs of `url`: the seconds and the SQL queries of each (`before_each()` runs untimed before each)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], []
    for _ in range(samples):
        if before_each is not None:
            before_each()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured))
    return timings, queries


def _timed_get(client, url: str, runs: int) -> tuple[float, int]:
    timings, queries = timed_gets(client, url, runs)
    return statistics.median(timings) * 1000, queries[-1]


@contextmanager
def solo_worker(label: str, prefix: str = "kyoso-bench", env: dict[str, str] | None = None) -> Iterator[str]:
    """A Celery worker (solo pool) on a queue of its own, answering pings before this yields the queue's name;
    stopped on the way out. `label` names the benchmark in the error when it does not start within 60 s."""
    import os
    import socket
    import subprocess
    import sys
    import uuid

    from django.conf import settings

    from prm.celery import app

    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@{socket.gethostname()}"
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "prm", "worker", "--pool=solo", "-Q", queue,
                               "-n", node, "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
                              env=env if env is not None else {**os.environ,
                                                              "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE})
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{label}: the Celery worker did not start")
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


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
        # Set-based: one INSERT … SELECT; keys as the matcher and the search (partners.search) would store them.
        cursor.execute(
            """
            INSERT INTO deals_dealregistration
                (customer_name, corporate_number, web_domain, name_key, corporate_key, domain_key, search_key,
                 partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                 role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority,
                 registered_at, decision_reason)
            SELECT '株式会社ベンチ顧客' || n, '', 'bench' || n || '.co.jp', 'ベンチ顧客' || n, '', 'bench' || n || '.co.jp',
                   'ベンチ顧客' || n,
                   (%s::bigint[])[1 + n %% array_length(%s::bigint[], 1)], '', '', 1000000, CURRENT_DATE + 60, '',
                   'partner', 'partner', 'partner', 'partner', 'partner',
                   (ARRAY['registered','approved','proposal','negotiation','won','lost'])[1 + n %% 6], 'holder',
                   now() - (n || ' seconds')::interval, ''
            FROM generate_series(%s::int, %s::int) AS n
            """,
            [partner_ids, partner_ids, existing, total - 1],
        )
        cursor.execute("ANALYZE deals_dealregistration")
    print(f"deals: inserted {total - existing:,} registrations in {time.perf_counter() - started:.1f} s")


def percentile(samples: list[float], share: float) -> float:
    """The sample at `share` (0.5, 0.95, …) of the sorted samples, in their unit; NaN when there are none."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _percentiles(samples: list[float]) -> str:
    p50 = percentile(samples, 0.5) * 1000
    p95 = percentile(samples, 0.95) * 1000
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"


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


class _Rollback(Exception):
    pass


def time_today():
    from django.utils import timezone

    return timezone.localdate()
