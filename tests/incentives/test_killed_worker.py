"""A commission run killed half-way on a real worker, then run again, gives the identical ledger."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from deals.models import DealRegistration
from incentives import engine, runs
from incentives.models import AuditEntry, CommissionRun, LedgerLine, Plan, PlanVersion
from partners.models import Partner
from tests.db_url import subprocess_database_url

pytestmark = pytest.mark.worker

PLAN = {
    "code": "kill-test", "name": "停止テスト", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31",
    "rules": [
        {"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.125"},
        {"id": "step", "kind": "stepped", "on": "deal_won", "period": "quarter", "mode": "retroactive",
         "brackets": [{"from": 0, "rate": "0"}, {"from": 5000000, "rate": "0.02"}]},
        {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 1000},
    ],
}
DEALS = 1500


@pytest.fixture
def committed_data(django_db_setup, django_db_blocker):
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="bravo")
        with tenant_context(vendor):
            partners = [Partner.objects.create(name=f"停止テスト{n}", partner_type="resale", stage="activation")
                        for n in range(5)]
            DealRegistration.objects.bulk_create(
                DealRegistration(partner=partners[n % 5], customer_name=f"顧客{n}", name_key=f"kill{n}",
                                 amount=100_000 + n * 1_000, expected_close=date(2026, 10, 1), stage="won",
                                 won_amount=100_000 + n * 1_000, won_on=date(2026, 10, 1 + n % 28),
                                 registered_at=timezone.make_aware(timezone.datetime(2026, 9, 1 + n % 28)))
                for n in range(DEALS))
            plan = Plan.objects.create(code="kill-test", name="停止テスト")
            runs.plan_publish(plan=plan, document=PLAN, actor=None)
        try:
            yield vendor
        finally:
            with tenant_context(vendor):
                LedgerLine.objects.all().delete()
                CommissionRun.objects.all().delete()
                AuditEntry.objects.all().delete()
                PlanVersion.objects.all().delete()
                Plan.objects.all().delete()
                DealRegistration.objects.filter(partner__in=partners).delete()
                Partner.objects.filter(pk__in=[p.pk for p in partners]).delete()
            connection.set_schema_to_public()


def _worker(queue: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(),
           "DJANGO_SETTINGS_MODULE": "prm.settings.test", "KYOSO_LEDGER_BATCH": "10"}
    if "REDIS_URL" not in env:
        from django.conf import settings

        env["REDIS_URL"] = settings.REDIS_URL
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "prm", "worker", "--pool=solo", "-Q", queue,
                             "-n", f"{queue}@{socket.gethostname()}", "--without-mingle", "--without-gossip",
                             "--loglevel=WARNING"], env=env)


def test_a_killed_run_and_its_rerun_leave_exactly_the_engines_ledger(committed_data, django_db_blocker):
    from incentives.tasks import commission_run

    vendor = committed_data
    queue = f"kyoso-kill-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        worker = _worker(queue)
        try:
            with tenant_context(vendor):
                run = runs.run_start(period=date(2026, 10, 1))
                commission_run.apply_async(kwargs={"schema_name": vendor.schema_name, "run_id": run.pk}, queue=queue,
                                           headers={"_schema_name": vendor.schema_name})
                deadline = time.monotonic() + 90
                while True:
                    run.refresh_from_db()
                    if run.total and 0 < run.progress < run.total:
                        break
                    assert run.status != "done", "the run finished before it could be killed"
                    assert time.monotonic() < deadline, "the worker never started the run"
                    time.sleep(0.02)
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
                partial = LedgerLine.objects.count()
                run.refresh_from_db()
                assert 0 < partial < run.total and run.status == "running"
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        with tenant_context(vendor):
            rerun = runs.run_execute(runs.run_start(period=date(2026, 10, 1)).pk)
            assert rerun.status == "done" and rerun.lines_added == run.total - partial
            third = runs.run_execute(runs.run_start(period=date(2026, 10, 1)).pk)
            assert third.lines_added == 0
            version = Plan.objects.get(code="kill-test").current_version
            expected = engine.compute(engine.parse_plan(version.document), runs.recorded_events(date(2026, 10, 31)),
                                      runs.partner_infos())
            expected_lines = sorted(
                (int(code), line.event_id, line.rule, line.amount)
                for code, result in expected.partners.items() for line in result.lines)
            ledger = sorted(LedgerLine.objects.values_list("partner_id", "event_id", "rule_id", "amount"))
            assert ledger == expected_lines
            assert len(ledger) > 2 * DEALS  # margin + registration for every deal, and catch-ups
