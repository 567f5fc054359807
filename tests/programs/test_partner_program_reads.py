"""The partner page reads the partner's tier status and the active programmes in one fixed statement
(programs.selectors.tier_status_and_programs): the same rows as the ORM queries it replaced."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from programs.models import PartnerTier, Program, Tier
from programs.selectors import tier_status_and_programs

pytestmark = pytest.mark.django_db


def _values(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if not key.startswith("_")}


def _orm(partner):
    status = PartnerTier.objects.select_related("tier").filter(partner=partner).first()
    return status, list(Program.objects.filter(is_active=True))


def _check(partner) -> None:
    status, programs = tier_status_and_programs(partner.pk)
    old_status, old_programs = _orm(partner)
    assert [_values(program) for program in programs] == [_values(program) for program in old_programs]
    assert (status is None) == (old_status is None)
    if old_status is not None:
        assert _values(status) == _values(old_status)
        assert PartnerTier.tier.is_cached(status)
        assert (status.tier is None) == (old_status.tier is None)
        if old_status.tier is not None:
            assert _values(status.tier) == _values(old_status.tier)


def test_the_tier_status_and_programmes_are_the_orms(people_a, django_assert_num_queries):
    with tenant_context(people_a.tenant):
        Program.objects.all().delete()
        with django_assert_num_queries(1):
            assert tier_status_and_programs(people_a.partner.pk) == (None, [])
        beta = Program.objects.create(name="β制度", partner_types=["resale"])
        Program.objects.create(name="α制度", partner_types=["referral"])
        Program.objects.create(name="休止制度", partner_types=["resale"], is_active=False)
        gold = Tier.objects.create(program=beta, code="gold", name="ゴールド", rank=2)
        _check(people_a.partner)  # no status yet
        PartnerTier.objects.create(partner=people_a.partner, tier=None)
        _check(people_a.partner)  # evaluated, without a tier
        PartnerTier.objects.filter(partner=people_a.partner).update(tier=gold, metrics={"won_deals": 3})
        _check(people_a.partner)
        status, programs = tier_status_and_programs(people_a.partner.pk)
        assert status.tier.name == "ゴールド" and [p.name for p in programs] == ["α制度", "β制度"]
        _check(people_a.other_partner)
