from __future__ import annotations

import io

from django.core.management import call_command
from django_tenants.utils import tenant_context

from partners.models import Partner, PartnerMembership
from prm import demo_data
from prm.accounts.models import User
from prm.tenancy.models import Domain, Vendor


def _counts(vendor) -> tuple[int, ...]:
    with tenant_context(vendor):
        return (User.objects.count(), Partner.objects.count(), PartnerMembership.objects.count(),
                Domain.objects.filter(tenant=vendor).count())


def test_it_seeds_a_realistic_demo_vendor_and_changes_nothing_the_second_time(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    vendor = Vendor.objects.get(slug=demo_data.DEMO_SLUG)
    first = _counts(vendor)
    assert first == (len(demo_data.STAFF) + len(demo_data.PARTNER_USERS), len(demo_data.PARTNERS),
                     len(demo_data.PARTNER_USERS), 2)
    assert len(demo_data.PARTNERS) >= 30
    with tenant_context(vendor):
        assert Partner.objects.values("partner_type").distinct().count() >= 6
        assert User.objects.get(email=demo_data.STAFF[1][0]).check_password(demo_data.DEMO_PASSWORD)
    printed = out.getvalue()
    assert "http://demo.localhost:8000/" in printed and "http://partners.demo.localhost:8000/" in printed

    call_command("seed_demo", stdout=io.StringIO())
    assert _counts(vendor) == first
    assert Vendor.objects.filter(slug=demo_data.DEMO_SLUG).count() == 1
