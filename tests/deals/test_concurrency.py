"""First come must hold when several partners register one customer at the same moment.

Real parallel database connections (one per thread), committed data: no test transaction
can hide a race here, so the test creates and removes its own rows.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from deals import services
from deals.models import DealEvent, DealRegistration, Priority
from partners.models import ContactSignal, Partner, PartnerEvent
from prm.notifications.models import Notification

N = 8


@pytest.fixture
def committed_partners(django_db_setup, django_db_blocker):
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            partners = [Partner.objects.create(name=f"同時登録テスト{n}", partner_type="resale", stage="activation")
                        for n in range(N)]
        try:
            yield vendor, partners
        finally:
            with tenant_context(vendor):
                deals = DealRegistration.objects.filter(partner__in=partners)
                DealEvent.objects.filter(deal__in=deals).delete()
                deals.delete()
                ContactSignal.objects.filter(partner__in=partners).delete()
                PartnerEvent.objects.filter(partner__in=partners).delete()
                Notification.objects.all().delete()
                Partner.objects.filter(pk__in=[p.pk for p in partners]).delete()
            connection.set_schema_to_public()


def test_n_simultaneous_registrations_leave_one_holder_and_n_minus_1_conflicts(committed_partners, django_db_blocker):
    vendor, partners = committed_partners
    barrier = threading.Barrier(N)
    errors: list[BaseException] = []

    def register(partner, spelling):
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(vendor)
                barrier.wait(timeout=30)
                services.deal_register(partner=partner, user=None, customer_name=spelling, corporate_number="",
                                       web_domain="https://www.race-condition.co.jp/", amount=1_000_000,
                                       expected_close=timezone.localdate() + timedelta(days=30))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    spellings = ["株式会社レースコンディション", "(株)レースコンディション", "㈱レースコンディション", "レースコンディション株式会社",
                 "ﾚｰｽｺﾝﾃﾞｨｼｮﾝ", "レース コンディション", "レースコンディション（株）", "株式会社レースコンディション"]
    threads = [threading.Thread(target=register, args=(partner, spellings[n])) for n, partner in enumerate(partners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with django_db_blocker.unblock(), tenant_context(vendor):
        deals = list(DealRegistration.objects.filter(partner__in=partners).order_by("registered_at", "pk"))
        assert len(deals) == N
        holders = [d for d in deals if d.priority == Priority.HOLDER]
        conflicts = [d for d in deals if d.priority == Priority.CONFLICT]
        assert len(holders) == 1 and len(conflicts) == N - 1
        assert holders[0] == deals[0]  # the earliest registration holds priority
        assert {d.conflict_with_id for d in conflicts} == {holders[0].pk}
