"""Payout builds started at the same moment take every ledger line exactly once.

Real parallel database connections (one per thread), committed data: no test transaction can
hide a race here, so the test creates and removes its own rows.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django_tenants.utils import schema_context, tenant_context

from incentives import payouts
from incentives.models import AuditEntry, CommissionRun, LedgerLine, Payout, Plan, PlanVersion
from partners.models import Partner

N = 6
PERIODS = [date(2026, 9, 1), date(2026, 10, 1)]


@pytest.fixture
def committed_ledger(django_db_setup, django_db_blocker):
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            partners = [Partner.objects.create(name=f"同時支払テスト{n}", partner_type="resale", stage="activation")
                        for n in range(3)]
            plan = Plan.objects.create(code="race-plan", name="同時支払")
            version = PlanVersion.objects.create(plan=plan, number=1, document={}, status="published")
            run = CommissionRun.objects.create(period=PERIODS[-1], status="done")
            LedgerLine.objects.bulk_create([
                LedgerLine(partner=partner, plan_version=version, event_id=f"e{n}-{period:%m}", rule_id="r", amount=1_000 + n,
                           period=period, event_date=period, run=run)
                for partner in partners for period in PERIODS for n in range(5)])
        try:
            yield vendor, partners
        finally:
            with tenant_context(vendor):
                LedgerLine.objects.filter(partner__in=partners).delete()
                built = Payout.objects.filter(partner__in=partners)
                AuditEntry.objects.filter(object_type="incentives.payout",
                                          object_id__in=[str(pk) for pk in built.values_list("pk", flat=True)]).delete()
                built.delete()
                run.delete()
                version.delete()
                plan.delete()
                Partner.objects.filter(pk__in=[p.pk for p in partners]).delete()
            connection.set_schema_to_public()


def test_n_simultaneous_builds_take_each_line_once(committed_ledger, django_db_blocker):
    vendor, partners = committed_ledger
    barrier = threading.Barrier(N)
    errors: list[BaseException] = []

    def build(period):
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(vendor)
                barrier.wait(timeout=30)
                payouts.payouts_build(period=period)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=build, args=(PERIODS[n % 2],)) for n in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with django_db_blocker.unblock(), tenant_context(vendor):
        lines = LedgerLine.objects.filter(partner__in=partners)
        assert not lines.filter(payout__isnull=True).exists()
        built = Payout.objects.filter(partner__in=partners)
        assert built.aggregate(s=Sum("commissions"))["s"] == lines.aggregate(s=Sum("amount"))["s"] == 3 * 2 * 5_010
        for partner in partners:  # each partner's lines paid by its own payouts only, never twice
            mine = built.filter(partner=partner)
            assert mine.aggregate(s=Sum("commissions"))["s"] == 2 * 5_010
            assert set(lines.filter(partner=partner).values_list("payout__partner", flat=True)) == {partner.pk}
