"""The portal's 「報酬」 page: plans, SPIFs running now, earned and expected per deal, this month's total."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from tests.incentives.earnings_setup import World


def english(client):
    client.cookies["kyoso_language"] = "en"
    return client


def test_a_partner_admin_sees_the_plans_spifs_every_deal_and_the_month_total(people_a):
    with tenant_context(people_a.tenant):
        world = World(people_a)
    page = english(people_a.portal(people_a.partner_admin)).get("/earnings/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "報酬テストプラン" in body and "Resale margin" in body and "Year-end SPIF" in body
    running = body.split("Campaigns running now")[1].split("Plans that apply to you")[0]
    assert "Year-end SPIF" in running and "Spring SPIF" not in running
    assert "r-margin-x" not in body and "r-spif-now" not in body  # rules are named, never shown by id
    earnings = page.context["earnings"]
    rows = {row.deal.pk: (row.earned, row.expected) for row in earnings.deals}
    # Won today: 15% + the running SPIF (the ended one pays nothing); open: the same on a win in 5 days.
    assert rows == {world.rep_won.pk: (200_000, None), world.admin_won.pk: (350_000, None),
                    world.rep_open.pk: (0, 200_000)}
    assert earnings.month_total == 550_000
    assert "他社の顧客銀行" not in body


def test_a_rep_sees_the_plans_and_only_their_own_deals(people_a):
    with tenant_context(people_a.tenant):
        world = World(people_a)
    page = english(people_a.portal(people_a.partner_rep)).get("/earnings/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Resale margin" in body
    assert "レップ成約商事" in body and "レップ商談中物産" in body
    assert "管理者成約工業" not in body and "他社の顧客銀行" not in body
    earnings = page.context["earnings"]
    assert {row.deal.pk for row in earnings.deals} == {world.rep_won.pk, world.rep_open.pk}
    assert earnings.month_total == 200_000  # the rep's own won deal only


def test_another_partner_sees_none_of_it_and_cannot_reach_its_payouts(people_a):
    with tenant_context(people_a.tenant):
        world = World(people_a)
        payout = world.payout(people_a)
    other = english(people_a.portal(people_a.other_partner_admin))
    body = other.get("/earnings/").content.decode()
    assert "他社の顧客銀行" in body
    assert "レップ成約商事" not in body and "管理者成約工業" not in body and "レップ商談中物産" not in body
    assert other.get("/earnings/").context["earnings"].month_total == 500_000  # 15% of ¥3M + the SPIF
    assert other.get(f"/payouts/{payout.pk}/statement.pdf").status_code == 404
    assert other.post(f"/payouts/{payout.pk}/confirm/").status_code == 404
    assert other.post(f"/payouts/{payout.pk}/dispute/", {"comment": "違う"}).status_code == 404
    assert other.get(f"/deals/{world.rep_won.pk}/").status_code == 404
    with tenant_context(people_a.tenant):
        payout.refresh_from_db()
        assert payout.confirmed_at is None and not payout.disputes.exists()


def test_the_earnings_page_needs_a_partner_user(people_a):
    assert people_a.portal().get("/earnings/").status_code == 302
    assert people_a.portal(people_a.channel_manager).get("/earnings/").status_code == 403


def test_a_partners_own_and_sub_reseller_events_give_exactly_its_lines(people_a):
    """The portal computes a partner's lines from its own and its sub-resellers' events only."""
    from datetime import timedelta

    from incentives import engine, runs
    from incentives.models import Plan
    from tests.incentives.earnings_setup import deal, plan_document
    from tests.partners.factories import PartnerFactory

    with tenant_context(people_a.tenant):
        world = World(people_a)
        today = world.today
        document = plan_document(today)
        document["code"], document["rules"] = "override-plan", [
            *document["rules"],
            {"id": "override", "kind": "override", "on": "deal_won", "rate": "0.05", "cap_count": 2, "cap_period": "month"},
            {"id": "back", "kind": "clawback", "within_days": 90}]
        runs.plan_publish(plan=Plan.objects.create(code="override-plan", name="二次店プラン"), document=document,
                          actor=people_a.vendor_admin)
        child = PartnerFactory(parent=people_a.partner)
        sibling = PartnerFactory(parent=people_a.other_partner)
        for n, partner in enumerate([child, child, child, sibling, people_a.partner]):
            deal(partner, f"顧客{n}", 1_000_000 * (n + 1), won_on=today - timedelta(days=n))
        infos = runs.partner_infos()
        everything = runs.recorded_events(today)
        for partner in (people_a.partner, child, people_a.other_partner):
            code = runs.partner_code(partner.pk)
            scoped = runs.recorded_events(today, partner_ids=runs.partners_for_lines_of(partner.pk))
            assert len(scoped) < len(everything)
            for version in runs.active_versions():
                plan = engine.parse_plan(version.document)
                full, part = engine.compute(plan, everything, infos), engine.compute(plan, scoped, infos)
                assert full.partners.get(code) == part.partners.get(code)
        # A deal's explanation reads its partner's events and its siblings' (the override cap is the parent's).
        child_deal = child.deals.order_by("pk").last()
        ids = [event.event_id for event in everything if event.deal == str(child_deal.pk)]
        scoped = runs.recorded_events(today, partner_ids=runs.partners_for_events_of(child.pk))
        assert len(scoped) < len(everything)
        for version in runs.active_versions():
            plan = engine.parse_plan(version.document)
            assert engine.explain(plan, everything, infos, ids).steps == engine.explain(plan, scoped, infos, ids).steps
        parent_lines = engine.compute(engine.parse_plan(document), everything, infos).partners[
            runs.partner_code(people_a.partner.pk)].lines
        assert [line.rule for line in parent_lines].count("override") == 2  # the cap counts the sub-reseller's wins
