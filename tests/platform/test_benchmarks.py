"""Every benchmark runs: `./kyoso bench --smoke ALL` at a tiny size against the test database, so a broken
benchmark fails the suite. Its figures are not looked at (no timed tests)."""

from __future__ import annotations

import os
import re
import subprocess

from django.conf import settings
from django_tenants.utils import schema_context

from prm.tenancy.models import Vendor
from tests.db_url import subprocess_database_url


def _smoke(*targets: str) -> str:
    """`./kyoso bench --smoke TARGETS` against the test database: its output, after it succeeded."""
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "REDIS_URL": settings.REDIS_URL,
           "DJANGO_SETTINGS_MODULE": "prm.settings.local"}
    result = subprocess.run([str(settings.BASE_DIR / "kyoso"), "bench", "--smoke", *targets], env=env,
                            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def _nothing_left_behind(django_db_blocker) -> None:
    with django_db_blocker.unblock(), schema_context("public"):
        assert not Vendor.objects.filter(slug__startswith="smoke").exists()
        assert not Vendor.objects.filter(slug__startswith="bench").exists()


def test_every_benchmark_runs_at_a_tiny_size_and_leaves_nothing_behind(django_db_setup, django_db_blocker):
    import bench.run

    output = _smoke("ALL")
    for name in bench.run.TARGETS:
        assert f"smoke: {name} ran in" in output, output[-6000:]
    _nothing_left_behind(django_db_blocker)
    _web_counts_both_servers_cpu(output, django_db_blocker)


def _web_counts_both_servers_cpu(output: str, django_db_blocker) -> None:
    """`bench web` prints each page's CPU a request in the web server and in PostgreSQL: PostgreSQL's is counted
    when its data directory is on this machine (the embedded server, as here), and is more than nothing for a page
    that reads."""
    import math
    from pathlib import Path

    from django.db import connection

    rows = {line.split("|")[0].strip(): line.split("|")[-1].split() for line in output.splitlines()
            if line.startswith(("bare view ", "console: ", "portal: ")) and "|" in line}
    assert set(rows) >= {"bare view", "console: partner detail", "portal: home"}, output[-6000:]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        local = (Path(cursor.fetchone()[0]) / "postmaster.pid").exists()
    for page in ("console: partner detail", "portal: deal registration POST"):
        web_cpu, db_cpu = (float(value) for value in rows[page][-2:])
        assert web_cpu > 0, output[-6000:]
        assert (db_cpu > 0) if local else math.isnan(db_cpu), output[-6000:]
    # The bare view is measured on the same server before each page, and its row pools those measurements (as long
    # each): its req/s is their mean, and each page's share is against it.
    anchors = next(line for line in output.splitlines() if line.startswith("web: after: the bare view before each page"))
    rates = {page: float(rate.replace(",", "")) for rate, page in re.findall(r"([\d,.]+) \(([^)]+)\)", anchors)}
    assert set(rates) == set(rows) - {"bare view"}, anchors
    bare = float(rows["bare view"][0])
    assert abs(bare - sum(rates.values()) / len(rates)) < 0.2, (bare, rates)
    for page in rates:
        page_rate, share = float(rows[page][0]), float(rows[page][4].rstrip("%")) / 100
        assert abs(share - page_rate / bare) < 0.0006, (page, bare, rows[page])


def test_the_search_benchmark_runs_at_a_tiny_size(django_db_setup, django_db_blocker):
    output = _smoke("search")
    assert "smoke: search ran in" in output, output[-6000:]
    assert "search, while typing" in output and "search, results page" in output, output[-6000:]
    _nothing_left_behind(django_db_blocker)


def test_the_page_queries_benchmark_prints_both_pages_counts(django_db_setup, django_db_blocker):
    output = _smoke("queries")
    assert "smoke: queries ran in" in output, output[-6000:]
    for page in ("inbox", "partner 360"):
        assert f"queries: {page}: " in output and " SQL statements with 10 partners, " in output, output[-6000:]
    _nothing_left_behind(django_db_blocker)


def test_the_web_benchmark_clears_what_its_registrations_left_before_the_next_load(people_a, capsys):
    """Each registration POST leaves its deal and, beside it, two notifications, an outbox event and a contact
    signal; `bench web` deletes them all before the next load, and nothing of another registration."""
    from datetime import timedelta

    from django.utils import timezone

    from bench.web import POSTED_PREFIX, _drop_posted_registrations
    from deals import services
    from deals.models import DealRegistration
    from partners.models import ContactSignal
    from prm.notifications.models import Notification
    from prm.outbox.models import OutboxEvent

    def register(name: str) -> DealRegistration:
        return services.deal_register(partner=people_a.partner, user=people_a.partner_rep, customer_name=name,
                                      corporate_number="", web_domain="", amount=500_000,
                                      expected_close=timezone.localdate() + timedelta(days=30))

    def left() -> tuple[int, int, int, int]:
        return (DealRegistration.objects.count(), Notification.objects.count(),
                OutboxEvent.objects.filter(object_type="deal").count(),
                ContactSignal.objects.filter(source__startswith="deals.DealRegistration:").count())

    with schema_context(people_a.tenant.schema_name):
        kept = register("株式会社残る顧客")
        alone = left()
        assert alone[0] == 1 and all(count > 0 for count in alone), alone
        for n in range(3):
            register(f"{POSTED_PREFIX}{n}")
        assert left() == (4, alone[1] * 4, alone[2] * 4, alone[3] * 4)
    _drop_posted_registrations(people_a.tenant.schema_name)
    with schema_context(people_a.tenant.schema_name):
        assert left() == alone
        assert DealRegistration.objects.get() == kept
        assert OutboxEvent.objects.get(object_type="deal").object_id == str(kept.pk)
    assert "deleted the 3 registrations earlier POSTs added and the 12 notifications" in capsys.readouterr().out
