"""A run whose worker was killed is marked failed (interrupted) by the stale rule and resumed from the console."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tenants.utils import schema_context, tenant_context

from deals.models import DealRegistration
from incentives import engine, runs
from incentives.models import AuditEntry, CommissionRun, LedgerLine, Plan, PlanVersion
from partners.models import Partner
from tests.conftest import TenantClient
from tests.factories import UserFactory
from tests.incentives.test_killed_worker import DEALS, PLAN, _worker


def _expected_ledger():
    version = Plan.objects.get(code="kill-test").current_version
    expected = engine.compute(engine.parse_plan(version.document), runs.recorded_events(date(2026, 10, 31)),
                              runs.partner_infos())
    return sorted((int(code), line.event_id, line.rule, line.amount)
                  for code, result in expected.partners.items() for line in result.lines)


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="bravo")
        with tenant_context(vendor):
            partners = [Partner.objects.create(name=f"中断テスト{n}", partner_type="resale", stage="activation")
                        for n in range(5)]
            DealRegistration.objects.bulk_create(
                DealRegistration(partner=partners[n % 5], customer_name=f"顧客{n}", name_key=f"stale{n}",
                                 amount=100_000 + n * 1_000, expected_close=date(2026, 10, 1), stage="won",
                                 won_amount=100_000 + n * 1_000, won_on=date(2026, 10, 1 + n % 28),
                                 registered_at=timezone.make_aware(timezone.datetime(2026, 9, 1 + n % 28)))
                for n in range(DEALS))
            plan = Plan.objects.create(code="kill-test", name="中断テスト")
            runs.plan_publish(plan=plan, document=PLAN, actor=None)
            manager = UserFactory(role="channel_manager", email=f"stale-{uuid.uuid4().hex[:8]}@bravo.example")
        try:
            yield vendor, manager
        finally:
            with tenant_context(vendor):
                LedgerLine.objects.all().delete()
                AuditEntry.objects.all().delete()
                CommissionRun.objects.all().delete()
                PlanVersion.objects.all().delete()
                Plan.objects.all().delete()
                DealRegistration.objects.filter(partner__in=partners).delete()
                Partner.objects.filter(pk__in=[p.pk for p in partners]).delete()
                manager.delete()
            connection.set_schema_to_public()


def _wait(predicate, message: str, seconds: int = 120) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@pytest.mark.worker
def test_a_killed_run_is_marked_interrupted_and_resumed_from_the_console_to_the_same_ledger(
        committed, django_db_blocker, settings):
    vendor, manager = committed
    queue = f"kyoso-stale-{uuid.uuid4().hex[:8]}"
    settings.KYOSO_RUN_QUEUE = queue
    console = TenantClient(vendor, "console")
    with django_db_blocker.unblock():
        console.force_login(manager)
        worker = _worker(queue)
        try:
            started = console.post("/incentives/runs/start/", {"period": "2026-10"})
            assert started.status_code == 302
            with tenant_context(vendor):
                run = CommissionRun.objects.get()
                assert started["Location"] == f"/incentives/runs/{run.pk}/"

                def half_way():
                    run.refresh_from_db()
                    assert run.status != "done", "the run finished before it could be killed"
                    return run.total and 0 < run.progress < run.total

                _wait(half_way, "the worker never started the run")
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
                partial = LedgerLine.objects.count()
                assert 0 < partial < run.total
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

        # A fresh heartbeat: still taken for running.
        page = console.get(f"/incentives/runs/{run.pk}/")
        assert page.status_code == 200 and f"/incentives/runs/{run.pk}/resume/" not in page.content.decode()
        with tenant_context(vendor):
            run.refresh_from_db()
            assert run.status == "running"
            # The minutes pass without a heartbeat (no worker writes one any more).
            CommissionRun.objects.filter(pk=run.pk).update(
                heartbeat_at=timezone.now() - timedelta(minutes=settings.KYOSO_RUN_STALE_MINUTES, seconds=1))

        page = console.get(f"/incentives/runs/{run.pk}/")
        assert page.status_code == 200
        assert f'action="/incentives/runs/{run.pk}/resume/"' in page.content.decode()
        with translation.override(manager.language):
            assert gettext("Interrupted (failed)") in page.content.decode()  # 「中断（失敗）」
        with tenant_context(vendor):
            run.refresh_from_db()
            assert run.status == "failed" and run.is_interrupted and run.lines_added == partial

        worker = _worker(queue)
        try:
            resumed = console.post(f"/incentives/runs/{run.pk}/resume/")
            assert resumed.status_code == 302 and resumed["Location"] == f"/incentives/runs/{run.pk}/"
            with tenant_context(vendor):
                def done():
                    run.refresh_from_db()
                    return run.status == "done"

                _wait(done, "the resumed run did not finish")
        finally:
            worker.terminate()
            worker.wait(timeout=30)

        with tenant_context(vendor):
            ledger = sorted(LedgerLine.objects.values_list("partner_id", "event_id", "rule_id", "amount"))
            assert ledger == _expected_ledger() and len(ledger) > 2 * DEALS
            assert run.lines_added == len(ledger) and not run.is_interrupted
            entry = AuditEntry.objects.get(action="commission_run_resumed")
            assert entry.actor_id == manager.pk and entry.changes["lines_before"] == partial
            assert "2026-10" in entry.summary
            # Resuming a finished run is refused and changes nothing.
            assert console.post(f"/incentives/runs/{run.pk}/resume/").status_code == 302
            assert AuditEntry.objects.filter(action="commission_run_resumed").count() == 1


def test_the_stale_rule_fails_only_running_runs_without_a_recent_heartbeat(people_a, settings):
    settings.KYOSO_RUN_STALE_MINUTES = 10
    now = timezone.now()
    with tenant_context(people_a.tenant):
        def make(status, heartbeat_minutes_ago=None, started_minutes_ago=0):
            return CommissionRun.objects.create(
                period=date(2026, 10, 1), status=status, started_at=now - timedelta(minutes=started_minutes_ago),
                heartbeat_at=None if heartbeat_minutes_ago is None else now - timedelta(minutes=heartbeat_minutes_ago))

        alive = make("running", heartbeat_minutes_ago=9, started_minutes_ago=60)
        dead = make("running", heartbeat_minutes_ago=11)
        never_beat = make("running", started_minutes_ago=11)
        finished = make("done", heartbeat_minutes_ago=60)
        queued = make("queued", started_minutes_ago=60)
        assert runs.runs_fail_stale(now=now) == 2
        states = {r.pk: (r.status, r.is_interrupted) for r in CommissionRun.objects.all()}
        assert states[alive.pk] == ("running", False) and states[finished.pk] == ("done", False)
        assert states[queued.pk] == ("queued", False)
        assert states[dead.pk] == states[never_beat.pk] == ("failed", True)
        with pytest.raises(ValidationError):
            runs.run_resume(run=finished, actor=people_a.channel_manager)
    client = people_a.console(people_a.channel_manager)
    for bad in ("99999999999999999999", str(2**63), "0"):
        assert client.post(f"/incentives/runs/{bad}/resume/").status_code in (400, 404)
    assert people_a.portal(people_a.partner_admin).post(f"/incentives/runs/{dead.pk}/resume/").status_code == 404
