"""A partner's registration capacity must hold when its reps register at the same moment.

Eight registrations were accepted at once against a capacity of 1: the capacity check counted
open registrations while the others were still uncommitted. Real parallel database connections
(one per thread), committed data: the test creates and removes its own rows.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from deals import services
from deals.models import DealEvent, DealRegistration
from partners.models import ContactSignal, Partner, PartnerEvent
from prm.notifications.models import Notification

N = 8


@pytest.fixture
def partner_with_capacity(django_db_setup, django_db_blocker, request):
    """A committed partner on a tier that allows `request.param` open registrations."""
    from prm.tenancy.models import Vendor
    from programs.models import PartnerTier, Program, Tier

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            program = Program.objects.create(name="同時登録テスト制度", partner_types=["resale"])
            tier = Tier.objects.create(program=program, code="capacity", name="枠テスト", rank=1,
                                       deal_capacity=request.param)
            partner = Partner.objects.create(name="同時登録枠テスト", partner_type="resale", stage="activation")
            PartnerTier.objects.create(partner=partner, tier=tier)
        try:
            yield vendor, partner, request.param
        finally:
            with tenant_context(vendor):
                deals = DealRegistration.objects.filter(partner=partner)
                DealEvent.objects.filter(deal__in=deals).delete()
                deals.delete()
                ContactSignal.objects.filter(partner=partner).delete()
                PartnerEvent.objects.filter(partner=partner).delete()
                Notification.objects.all().delete()
                PartnerTier.objects.filter(partner=partner).delete()
                partner.delete()
                program.delete()
            connection.set_schema_to_public()


@pytest.mark.parametrize("partner_with_capacity", [1, 3], indirect=True)
def test_n_simultaneous_registrations_of_one_partner_stop_at_its_capacity(partner_with_capacity, django_db_blocker):
    vendor, partner, capacity = partner_with_capacity
    barrier = threading.Barrier(N)
    refused: list[str] = []
    errors: list[BaseException] = []

    def register(n):
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(vendor)
                barrier.wait(timeout=30)
                services.deal_register(partner=partner, user=None, customer_name=f"株式会社枠テスト顧客{n}",
                                       corporate_number="", web_domain=f"capacity-{n}.co.jp", amount=1_000_000,
                                       expected_close=timezone.localdate() + timedelta(days=30))
        except ValidationError as error:
            refused.extend(error.messages)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with django_db_blocker.unblock(), tenant_context(vendor):
        assert DealRegistration.objects.filter(partner=partner).count() == capacity
    assert len(refused) == N - capacity
    assert refused == [f"自社の進行中の案件登録が既に{capacity}件あり、プログラムで認められた上限に達しています。"] * (N - capacity)
