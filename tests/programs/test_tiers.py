"""Programmes and tiers: evaluation over real data, upgrades, grace and downgrades, validation, pages."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals.models import DealRegistration, DealSettings
from partners.models import Contact, ContactSignal, SignalKind
from programs import services
from programs.benefits import benefits_for
from programs.evaluation import Rule, TierSpec, progress_to, qualifying_tier
from programs.models import PartnerTier, Program, ProgramSettings, Requirement, Tier, TierChange
from programs.validation import validate_program
from tests.partners.factories import PartnerFactory


def test_tiers_are_reached_through_any_option_and_the_highest_wins():
    silver = TierSpec(2, "silver", "Silver", 2, (Rule(1, "won_revenue", "trailing_12m", 3_000_000),
                                                 Rule(1, "certified_reps", "trailing_12m", 1),
                                                 Rule(2, "total_points", "trailing_12m", 300)))
    gold = TierSpec(3, "gold", "Gold", 3, (Rule(1, "won_revenue", "trailing_12m", 10_000_000),))
    bronze = TierSpec(1, "bronze", "Bronze", 1)
    tiers = [bronze, silver, gold]
    assert qualifying_tier(tiers, {}).code == "bronze"
    assert qualifying_tier(tiers, {"won_revenue@trailing_12m": 3_000_000}).code == "bronze"  # AND needs both
    assert qualifying_tier(tiers, {"won_revenue@trailing_12m": 3_000_000, "certified_reps@trailing_12m": 1}).code == "silver"
    assert qualifying_tier(tiers, {"total_points@trailing_12m": 300}).code == "silver"  # OR
    assert qualifying_tier(tiers, {"won_revenue@trailing_12m": 12_000_000}).code == "gold"
    progress = progress_to(silver, {"won_revenue@trailing_12m": 8_200_000 // 4, "total_points@trailing_12m": 30})
    assert [(p.metric, p.value, p.threshold, p.percent) for p in progress] == [
        ("won_revenue", 2_050_000, 3_000_000, 68), ("certified_reps", 0, 1, 0)]


def test_thresholds_rise_each_fiscal_year():
    requirement = Requirement(threshold=10_000_000, annual_step=1_000_000, base_fiscal_year=2026)
    assert [requirement.threshold_for(year) for year in (2025, 2026, 2028)] == [10_000_000, 10_000_000, 12_000_000]


def _won(partner, amount, days_ago=10, role_lead="partner", customer=None):
    day = timezone.localdate() - timedelta(days=days_ago)
    return DealRegistration.objects.create(
        partner=partner, customer_name=customer or f"顧客{amount}-{days_ago}", name_key=customer or f"k{amount}-{days_ago}",
        amount=amount, expected_close=day, stage="won", won_amount=amount, won_on=day, role_lead=role_lead)


def _certify(partner, n):
    """n reps of the partner holding a valid certification (enablement's awards: what certified_reps counts);
    a certification signal without an award counts for nothing."""
    from enablement.models import CertificationAward
    from tests.enablement.factories import CertificationFactory
    from tests.factories import UserFactory

    certification = CertificationFactory()
    now = timezone.now()
    for i in range(n):
        user = UserFactory(role="partner_rep", partner=partner)
        CertificationAward.objects.create(certification=certification, user=user, partner=partner,
                                          holder_name=f"認定者{i}", issued_at=now - timedelta(days=30),
                                          expires_at=now + timedelta(days=300))
    contact = Contact.objects.create(partner=partner, full_name="署名だけの認定者")
    ContactSignal.objects.create(partner=partner, contact=contact, kind=SignalKind.CERTIFIED)


def _tier(partner):
    status = PartnerTier.objects.filter(partner=partner).select_related("tier").first()
    return status.tier.code if status and status.tier else None


def test_evaluation_computes_metrics_in_sql_and_applies_upgrades_at_once(people_a):
    with tenant_context(people_a.tenant):
        gold = PartnerFactory(stage="retention")
        silver = PartnerFactory(stage="activation")
        bronze = PartnerFactory(stage="onboarding")
        prospect = PartnerFactory(stage="prospect")
        for _ in range(10):
            DealRegistration.objects.create(partner=gold, customer_name="x", name_key="x", amount=1, stage="lost",
                                            expected_close=timezone.localdate())
        _won(gold, 6_000_000)
        _won(gold, 6_000_000, days_ago=40, role_lead="vendor")
        _won(gold, 9_000_000, days_ago=400)  # outside the trailing 12 months
        _certify(gold, 2)
        _won(silver, 3_000_000)
        _certify(silver, 1)
        _won(prospect, 50_000_000)
        result = services.evaluate()
        assert (_tier(gold), _tier(silver), _tier(bronze), _tier(prospect)) == ("gold", "silver", "bronze", None)
        metrics = PartnerTier.objects.get(partner=gold).metrics
        assert metrics["won_revenue@trailing_12m"] == 12_000_000
        assert metrics["registered_deals@trailing_12m"] == 13 and metrics["certified_reps@trailing_12m"] == 2
        # 6M partner-sourced at 100 pts/¥1M + 6M vendor-assisted at 50 pts/¥1M
        assert metrics["sales_points@trailing_12m"] == 900
        assert metrics["management_points@trailing_12m"] == 2 * 20
        change = TierChange.objects.get(partner=gold)
        assert (change.status, change.direction, change.to_tier.code) == ("applied", "up", "gold")
        assert change.metrics["won_revenue@trailing_12m"] == 12_000_000
        assert result.run.result["apply"] == 5  # the three above and the two persona partners (entry tier)


def test_metrics_asked_for_by_key_are_those_of_the_full_computation_for_fewer_queries(people_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs import metrics

    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage="activation")
        _won(partner, 6_000_000)
        _won(partner, 6_000_000, days_ago=40, role_lead="vendor")
        _certify(partner, 2)
        program = services.program_for(partner.partner_type, list(Program.objects.filter(is_active=True)))
        args = ([partner.pk], {program.pk: program}, {partner.pk: program.pk}, timezone.localdate())
        with CaptureQueriesContext(connection) as full_queries:
            everything = metrics.compute(*args)[partner.pk]
        keys = {"total_points@trailing_12m", "certified_reps@trailing_12m"}
        with CaptureQueriesContext(connection) as some_queries:
            some = metrics.compute(*args, keys=keys)[partner.pk]
    assert everything["total_points@trailing_12m"] == 900 + 2 * 20 and everything["certified_reps@trailing_12m"] == 2
    assert {key: some[key] for key in keys} == {key: everything[key] for key in keys}
    assert "registered_deals@trailing_12m" not in some and "won_revenue@fiscal_year" not in some
    assert len(some_queries) < len(full_queries) / 2, (len(some_queries), len(full_queries))


def test_upgrades_can_wait_for_approval(people_a):
    with tenant_context(people_a.tenant):
        ProgramSettings.objects.update_or_create(pk=1, defaults={"upgrades_need_approval": True})
        partner = PartnerFactory(stage="activation")
        services.evaluate()
        change = TierChange.objects.get(partner=partner)
        assert change.status == "pending" and _tier(partner) is None
        services.evaluate()  # a second run does not duplicate the waiting change
        assert TierChange.objects.filter(partner=partner).count() == 1
        services.change_decide(change=change, actor=people_a.channel_manager, approve=True)
        assert _tier(partner) == "bronze"


def test_a_downgrade_waits_for_the_grace_period_and_an_approval(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage="activation")
        _won(partner, 3_000_000)
        _certify(partner, 1)
        services.evaluate()
        assert _tier(partner) == "silver"
        DealRegistration.objects.filter(partner=partner).update(won_on=timezone.localdate() - timedelta(days=500))
        services.evaluate()
        change = TierChange.objects.get(partner=partner, status="grace")
        assert _tier(partner) == "silver"
        assert timezone.localtime(change.eligible_at).date() == timezone.localdate() + timedelta(days=91)
        services.evaluate()  # still in grace: nothing new
        assert TierChange.objects.filter(partner=partner, status__in=["grace", "pending"]).count() == 1
        TierChange.objects.filter(pk=change.pk).update(eligible_at=timezone.now() - timedelta(minutes=1))
        services.evaluate()
        change.refresh_from_db()
        assert change.status == "pending" and change.to_tier.code == "bronze"
        client = people_a.console(people_a.channel_manager)
        client.post(f"/programs/changes/{change.pk}/decide/", {"action": "approve", "reason": "四半期レビュー済み"})
        assert _tier(partner) == "bronze"
        change.refresh_from_db()
        assert change.decided_by == people_a.channel_manager and "四半期レビュー済み" in change.reason


def test_qualifying_again_during_grace_cancels_the_downgrade(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage="activation")
        deal = _won(partner, 3_000_000)
        _certify(partner, 1)
        services.evaluate()
        DealRegistration.objects.filter(pk=deal.pk).update(won_on=timezone.localdate() - timedelta(days=500))
        services.evaluate()
        _won(partner, 3_000_000, days_ago=1)
        services.evaluate()
        assert TierChange.objects.get(partner=partner, direction="down").status == "cancelled"
        assert _tier(partner) == "silver"


def test_a_dry_run_changes_nothing_and_an_evaluation_that_fails_half_way_changes_no_tier(people_a, monkeypatch):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage="activation")
        _won(partner, 3_000_000)
        _certify(partner, 1)
        result = services.evaluate(dry_run=True)
        assert any(p.partner_id == partner.pk and p.to_tier.code == "silver" for p in result.proposals)
        assert not TierChange.objects.exists() and not PartnerTier.objects.exists()

        def broken(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(services, "_notify", broken)
        with pytest.raises(RuntimeError):
            services.evaluate()
        assert not TierChange.objects.exists() and not PartnerTier.objects.exists()


def test_the_command_evaluates_one_vendor_with_dry_run(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="コマンド確認株式会社", stage="activation")
    out = io.StringIO()
    call_command("evaluate_tiers", "--slug", "alpha", "--dry-run", stdout=out)
    assert "コマンド確認株式会社" in out.getvalue() and "[apply]" in out.getvalue()
    with tenant_context(people_a.tenant):
        assert not PartnerTier.objects.exists()
    with pytest.raises(SystemExit) as exited:
        call_command("evaluate_tiers", "--slug", "nobody", stderr=io.StringIO())
    assert exited.value.code == 2


def test_benefits_reach_deal_capacity_and_lead_priority(people_a):
    with tenant_context(people_a.tenant):
        services.evaluate()
        assert _tier(people_a.partner) == "bronze"
        benefits = benefits_for(people_a.partner)
        assert (benefits.tier, benefits.deal_capacity) == ("bronze", 5)
        DealSettings.objects.update_or_create(pk=1, defaults={"capacity_default": 100})
        from deals import services as deal_services

        for n in range(5):
            deal_services.deal_register(partner=people_a.partner, user=None, customer_name=f"枠確認{n}",
                                        corporate_number="", web_domain="", amount=1,
                                        expected_close=timezone.localdate() + timedelta(days=5))
        with pytest.raises(ValidationError):  # Bronze allows 5 open registrations
            deal_services.deal_register(partner=people_a.partner, user=None, customer_name="枠確認6", corporate_number="",
                                        web_domain="", amount=1, expected_close=timezone.localdate() + timedelta(days=5))


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: Requirement.objects.filter(tier=t["gold"], metric="won_revenue").update(threshold=1_000_000), "シルバー"),
    (lambda t: Requirement.objects.create(tier=t["silver"], option=3, metric="total_points", threshold=300), "同じ"),
    (lambda t: Requirement.objects.filter(tier=t["silver"], metric="certified_reps").update(threshold=-1), "マイナス"),
    (lambda t: Tier.objects.filter(pk=t["platinum"].pk).update(rank=7), "欠番"),
])
def test_it_refuses_a_programme_that_contradicts_itself(people_a, change, message):
    with tenant_context(people_a.tenant):
        program = Program.objects.get()
        tiers = {tier.code: tier for tier in program.tiers.all()}
        change(tiers)
        with pytest.raises(ValidationError) as caught:
            validate_program(program, 2026)
        assert message in " ".join(caught.value.messages)


def test_the_default_programme_is_valid(people_a):
    with tenant_context(people_a.tenant):
        validate_program(Program.objects.get(), services.fiscal_year(timezone.localdate()))
        assert list(Tier.objects.values_list("name", flat=True)) == ["ブロンズ", "シルバー", "ゴールド", "プラチナ"]


def test_editing_a_tier_into_a_contradiction_saves_nothing(people_a):
    with tenant_context(people_a.tenant):
        silver = Tier.objects.get(code="silver")
        requirements = list(silver.requirements.all())
    data = {"name": "シルバー", "description": "", "deal_capacity": "15", "lead_priority": "10",
            "mdf_allocation": "300000", "gated_content": "on", "requirements-TOTAL_FORMS": str(len(requirements)),
            "requirements-INITIAL_FORMS": str(len(requirements)), "requirements-MIN_NUM_FORMS": "0",
            "requirements-MAX_NUM_FORMS": "1000"}
    for n, r in enumerate(requirements):
        data |= {f"requirements-{n}-id": r.pk, f"requirements-{n}-tier": silver.pk, f"requirements-{n}-option": r.option,
                 f"requirements-{n}-metric": r.metric, f"requirements-{n}-window": r.window,
                 f"requirements-{n}-threshold": 50_000_000 if r.metric == "won_revenue" else r.threshold,
                 f"requirements-{n}-annual_step": r.annual_step, f"requirements-{n}-base_fiscal_year": r.base_fiscal_year}
    response = people_a.console(people_a.vendor_admin).post(f"/programs/tiers/{silver.pk}/", data)
    assert response.status_code == 200
    assert "ゴールド" in " ".join(response.context["problems"])
    with tenant_context(people_a.tenant):
        assert Requirement.objects.get(tier=silver, metric="won_revenue").threshold == 3_000_000


def test_the_portal_shows_the_tier_benefits_and_progress(people_a):
    with tenant_context(people_a.tenant):
        _won(people_a.partner, 2_050_000)
        services.evaluate()
    page = people_a.portal(people_a.partner_rep).get("/program/").content.decode()
    assert "ブロンズ" in page and "シルバー" in page
    # ¥2.05M partner-sourced = 205 sales points: the points option (205 of 300) is the closest way up.
    assert 'data-figure="total_points" data-window="t12m"' in page and 'data-value="205"' in page
    assert "</a> / 300" in page or "</span> / 300" in page
    assert "kyoso-w-68" in page


def test_the_console_previews_the_next_evaluation_without_changing_anything(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="上がる予定株式会社", stage="activation")
        _won(partner, 3_000_000)
        _certify(partner, 1)
    page = people_a.console(people_a.channel_manager).get("/programs/preview/")
    assert "上がる予定株式会社" in page.content.decode()
    assert any(p.partner_id == partner.pk for p in page.context["ups"])
    with tenant_context(people_a.tenant):
        assert not PartnerTier.objects.filter(partner=partner).exists()
