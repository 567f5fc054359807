"""The MDF allocation must hold when a channel manager approves several requests at once.

Three approvals at the same moment over-committed ¥1,000 left to ¥6,000 committed: each one read
what was left before the others had committed. Real parallel database connections (one per
thread), committed data: the test creates and removes its own rows.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_tenants.utils import schema_context, tenant_context

from incentives import mdf
from incentives.models import AuditEntry, MdfAllocation, MdfRequest
from partners.models import Partner
from prm.accounts.models import User

N = 6
ALLOCATION = 10_000
ALREADY_APPROVED = 9_000  # ¥1,000 left
BUDGET = 1_000


@pytest.fixture
def partner_with_mdf(django_db_setup, django_db_blocker, request):
    """A committed partner with ¥1,000 of its allocation left, N requests of ¥1,000 waiting and a
    channel manager; the allocation is a row of its own ("manual") or the tier's benefit ("tier")."""
    from prm.tenancy.models import Vendor
    from programs.models import PartnerTier, Program, Tier

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            program = Program.objects.create(name="MDF同時承認テスト制度", partner_types=["resale"])
            tier = Tier.objects.create(program=program, code="mdf-race", name="MDFテスト", rank=1,
                                       mdf_allocation=ALLOCATION if request.param == "tier" else 0)
            partner = Partner.objects.create(name="MDF同時承認テスト", partner_type="resale", stage="activation")
            PartnerTier.objects.create(partner=partner, tier=tier)
            if request.param == "manual":
                MdfAllocation.objects.create(partner=partner, fiscal_year=2026, amount=ALLOCATION, source="manual")
            manager = User.objects.create(email="mdf-race@alpha.example", full_name="同時承認 担当", role="channel_manager")
            fields = {"partner": partner, "starts_on": date(2026, 10, 1), "ends_on": date(2026, 10, 31)}
            MdfRequest.objects.create(activity="承認済みの展示会", budget=ALREADY_APPROVED, status="approved",
                                      approved_amount=ALREADY_APPROVED, **fields)
            waiting = [MdfRequest.objects.create(activity=f"共催セミナー{n}", budget=BUDGET, **fields) for n in range(N)]
        try:
            yield vendor, partner, manager, waiting
        finally:
            with tenant_context(vendor):
                AuditEntry.objects.filter(actor=manager).delete()
                MdfRequest.objects.filter(partner=partner).delete()
                MdfAllocation.objects.filter(partner=partner).delete()
                PartnerTier.objects.filter(partner=partner).delete()
                partner.delete()
                program.delete()
                manager.delete()
            connection.set_schema_to_public()


@pytest.mark.parametrize("partner_with_mdf", ["manual", "tier"], indirect=True)
def test_n_simultaneous_approvals_never_exceed_the_allocation(partner_with_mdf, django_db_blocker):
    vendor, partner, manager, waiting = partner_with_mdf
    barrier = threading.Barrier(N)
    refused: list[str] = []
    errors: list[BaseException] = []

    def approve(request):
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(vendor)
                barrier.wait(timeout=30)
                mdf.request_decide(request=request, actor=manager, approve=True)
        except ValidationError as error:
            refused.extend(error.messages)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(request,)) for request in waiting]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with django_db_blocker.unblock(), tenant_context(vendor):
        assert mdf.committed(partner, 2026) == ALLOCATION  # never more
        assert MdfRequest.objects.filter(pk__in=[r.pk for r in waiting], status="approved").count() == 1
        assert MdfRequest.objects.filter(pk__in=[r.pk for r in waiting], status="requested").count() == N - 1
    assert refused == ["今年度のMDF配分の残額は¥0のみです。"] * (N - 1)
