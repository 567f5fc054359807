"""Deal registration: first come, direct-sales conflicts, rules, portal form and console queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import services
from deals.models import DealRegistration, DealSettings, DirectAccount, DirectOpportunity, Priority, Stage
from partners.models import ContactSignal, SignalKind
from prm.notifications.models import Notification
from tests.partners.factories import corporate_number


def _register(partner, user, **overrides):
    fields = {"customer_name": "株式会社テックウェイ", "corporate_number": "", "web_domain": "techway.co.jp",
              "amount": 1_200_000, "expected_close": timezone.localdate() + timedelta(days=60)} | overrides
    return services.deal_register(partner=partner, user=user, **fields)


def test_the_first_registration_holds_priority_and_later_ones_conflict(people_a):
    with tenant_context(people_a.tenant):
        first = _register(people_a.partner, people_a.partner_rep)
        second = _register(people_a.other_partner, people_a.other_partner_admin, customer_name="(株)テックウェイ",
                           web_domain="yamada@sales.techway.co.jp")
        assert first.priority == Priority.HOLDER
        assert (second.priority, second.conflict_with) == (Priority.CONFLICT, first)


def test_a_partner_cannot_register_its_own_customer_twice(people_a):
    with tenant_context(people_a.tenant):
        _register(people_a.partner, people_a.partner_rep)
        with pytest.raises(ValidationError):
            _register(people_a.partner, people_a.partner_admin, customer_name="ＴＥＣＨＷＡＹ", web_domain="techway.co.jp")
        assert DealRegistration.objects.count() == 1


def test_unrelated_customers_do_not_conflict(people_a):
    with tenant_context(people_a.tenant):
        _register(people_a.partner, people_a.partner_rep, customer_name="サイバー株式会社", web_domain="")
        other = _register(people_a.other_partner, people_a.other_partner_admin, customer_name="株式会社サイバーエージェント",
                          web_domain="gmail.com")
        assert other.priority == Priority.HOLDER


def test_the_vendors_direct_sales_take_part_unless_partners_come_first(people_a):
    with tenant_context(people_a.tenant):
        account = DirectAccount(customer_name="東京ロジ株式会社", corporate_number=corporate_number(55))
        services.apply_keys(account, services.customer_keys_for(account.customer_name, account.corporate_number, ""))
        account.save()
        DirectOpportunity.objects.create(account=account, name="物流DX", amount=5_000_000)
        deal = _register(people_a.partner, people_a.partner_rep, customer_name="東京ロジ", web_domain="",
                         corporate_number=corporate_number(55))
        assert (deal.priority, deal.conflict_direct) == (Priority.DIRECT, account)
        rules = DealSettings.current()
        rules.partner_over_direct = True
        rules.save()
        second = _register(people_a.other_partner, people_a.other_partner_admin, customer_name="東京ロジ株式会社",
                           corporate_number=corporate_number(55), web_domain="")
        # Partner-over-direct: direct sales no longer blocks, but the first partner still came first.
        assert second.priority == Priority.CONFLICT


@pytest.mark.parametrize("mode", ["manual", "customer_choice"])
def test_review_modes_put_every_conflict_in_review(people_a, mode):
    with tenant_context(people_a.tenant):
        DealSettings.objects.update_or_create(pk=1, defaults={"mode": mode})
        _register(people_a.partner, people_a.partner_rep)
        second = _register(people_a.other_partner, people_a.other_partner_admin)
        assert second.priority == Priority.REVIEW


def test_it_enforces_a_registration_capacity(people_a):
    with tenant_context(people_a.tenant):
        DealSettings.objects.update_or_create(pk=1, defaults={"capacity_default": 1})
        _register(people_a.partner, people_a.partner_rep)
        with pytest.raises(ValidationError):
            _register(people_a.partner, people_a.partner_rep, customer_name="別の顧客", web_domain="")
        assert DealRegistration.objects.count() == 1


def test_a_registration_counts_as_partner_activity_and_notifies_people(people_a, mailoutbox, django_capture_on_commit_callbacks):
    from partners.services import contact_link_user

    with tenant_context(people_a.tenant):
        people_a.partner.owner = people_a.channel_manager
        people_a.partner.save()
        contact = contact_link_user(user=people_a.partner_rep)
        with django_capture_on_commit_callbacks(execute=True):
            deal = _register(people_a.partner, people_a.partner_rep)
        assert ContactSignal.objects.filter(contact=contact, kind=SignalKind.DEAL_REGISTERED).count() == 1
        contact.refresh_from_db()
        assert contact.stage == "active"
        assert Notification.objects.filter(user=people_a.channel_manager, kind="deal_registered").count() == 1
        assert Notification.objects.filter(user=people_a.partner_rep, kind="deal_received").count() == 1
    assert {m.to[0] for m in mailoutbox} == {people_a.channel_manager.email, people_a.partner_rep.email}
    assert any(f"/deals/{deal.pk}/" in m.body for m in mailoutbox)


def test_it_refuses_bad_input_and_records_nothing(people_a):
    with tenant_context(people_a.tenant):
        with pytest.raises(ValidationError) as caught:
            _register(people_a.partner, people_a.partner_rep, corporate_number="1234567890123",
                      expected_close=timezone.localdate() - timedelta(days=1))
        assert set(caught.value.message_dict) == {"corporate_number", "expected_close"}
        assert not DealRegistration.objects.exists()


# ----------------------------------------------------------------------------- portal


def test_a_rep_registers_in_the_portal_and_sees_the_outcome_at_once(people_a):
    client = people_a.portal(people_a.partner_rep)
    response = client.post("/deals/new/", {
        "customer_name": "株式会社ミナミ工業", "corporate_number": "", "web_domain": "minami-kogyo.co.jp",
        "amount": "2400000", "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "role_lead": "partner", "role_proposal": "partner", "role_contract": "vendor", "role_billing": "vendor",
        "role_support": "partner"}, follow=True)
    page = response.content.decode()
    assert "優先権" in page
    with tenant_context(people_a.tenant):
        deal = DealRegistration.objects.get()
        assert (deal.partner, deal.registered_by, deal.role_contract) == (people_a.partner, people_a.partner_rep, "vendor")


def test_a_rep_registers_the_products_ticked_and_cannot_tick_an_inactive_one(people_a):
    from deals.models import Product

    with tenant_context(people_a.tenant):
        active = Product.objects.create(code="T-ACTIVE", name="有効製品")
        retired = Product.objects.create(code="T-RETIRED", name="終売製品", is_active=False)
    client = people_a.portal(people_a.partner_rep)
    form = {"customer_name": "株式会社製品", "amount": "1000",
            "expected_close": (timezone.localdate() + timedelta(days=9)).isoformat(),
            **{f"role_{r}": "partner" for r in ("lead", "proposal", "contract", "billing", "support")}}
    refused = client.post("/deals/new/", {**form, "products": [active.pk, retired.pk]})
    assert refused.status_code == 200 and "products" in refused.context["form"].errors
    assert client.post("/deals/new/", {**form, "products": [active.pk]}).status_code == 302
    with tenant_context(people_a.tenant):
        assert list(DealRegistration.objects.get().products.all()) == [active]


def test_the_live_check_says_taken_without_saying_by_whom(people_a):
    with tenant_context(people_a.tenant):
        _register(people_a.other_partner, people_a.other_partner_admin, amount=9_876_543)
    client = people_a.portal(people_a.partner_rep)
    taken = client.get("/deals/check/", {"customer_name": "テックウェイ株式会社"}, HTTP_HX_REQUEST="true")
    body = taken.content.decode()
    assert "既に登録" in body
    assert people_a.other_partner.name not in body and "9,876,543" not in body and "<html" not in body
    free = client.get("/deals/check/", {"customer_name": "まだ誰も登録していない株式会社"}).content.decode()
    assert "見つかりません" in free
    own = people_a.portal(people_a.other_partner_admin).get("/deals/check/", {"web_domain": "techway.co.jp"}).content.decode()
    assert "自社" in own


def test_a_partner_never_sees_another_partners_deal(people_a, people_b):
    with tenant_context(people_a.tenant):
        theirs = _register(people_a.other_partner, people_a.other_partner_admin)
    client = people_a.portal(people_a.partner_rep)
    assert client.get(f"/deals/{theirs.pk}/").status_code == 404
    assert theirs.customer_name not in client.get("/deals/").content.decode()
    assert client.post(f"/deals/{theirs.pk}/move/", {"stage": "lost"}).status_code == 404
    # Nor does another vendor's console know it.
    assert people_b.console(people_b.channel_manager).get(f"/deals/{theirs.pk}/").status_code == 404


# ----------------------------------------------------------------------------- console


def test_the_queue_shows_conflicts_side_by_side_and_approval_sets_validity(people_a):
    with tenant_context(people_a.tenant):
        first = _register(people_a.partner, people_a.partner_rep)
        second = _register(people_a.other_partner, people_a.other_partner_admin)
    client = people_a.console(people_a.channel_manager)
    queue = client.get("/deals/")
    rows = {row.deal.pk: row for row in queue.context["rows"]}
    assert [d.pk for d in rows[second.pk].conflicts] == [first.pk]
    page = queue.content.decode()
    assert people_a.partner.name in page and people_a.other_partner.name in page
    assert timezone.localtime(first.registered_at).strftime("%H:%M:%S") in page  # shown in JST, to the second
    client.post(f"/deals/{first.pk}/approve/")
    refused = client.post(f"/deals/{second.pk}/approve/", follow=True)
    assert "既に承認" in refused.content.decode()
    assert client.post(f"/deals/{second.pk}/reject/", {"reason": ""}, follow=True).status_code == 200
    client.post(f"/deals/{second.pk}/reject/", {"reason": "先行登録あり"})
    with tenant_context(people_a.tenant):
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.stage == Stage.APPROVED and first.expires_on == timezone.localdate() + timedelta(days=90)
        assert (second.stage, second.decision_reason) == (Stage.REJECTED, "先行登録あり")
        assert Notification.objects.filter(user=people_a.other_partner_admin, kind="deal_rejected").exists()


def test_bulk_approval_and_rejection(people_a):
    with tenant_context(people_a.tenant):
        deals = [_register(people_a.partner, people_a.partner_rep, customer_name=f"顧客{n}株式会社", web_domain="")
                 for n in range(3)]
    client = people_a.console(people_a.channel_manager)
    client.post("/deals/bulk/", {"deal": [deals[0].pk, deals[1].pk], "action": "approve"})
    client.post("/deals/bulk/", {"deal": [deals[2].pk], "action": "reject", "reason": "対象外"})
    with tenant_context(people_a.tenant):
        assert [DealRegistration.objects.get(pk=d.pk).stage for d in deals] == ["approved", "approved", "rejected"]


def test_the_pipeline_moves_to_a_reported_win_the_vendor_confirms_and_records_the_joint_meeting(people_a):
    with tenant_context(people_a.tenant):
        deal = _register(people_a.partner, people_a.partner_rep)
        services.deal_approve(deal=deal, actor=people_a.channel_manager)
    won_on = timezone.localdate().isoformat()
    portal = people_a.portal(people_a.partner_rep)
    portal.post(f"/deals/{deal.pk}/move/", {"stage": "proposal"})
    no_amount = portal.post(f"/deals/{deal.pk}/move/", {"stage": "won"}, follow=True)
    assert "受注金額" in no_amount.content.decode()
    portal.post(f"/deals/{deal.pk}/move/", {"stage": "won", "won_amount": "1100000", "won_on": won_on})
    console = people_a.console(people_a.channel_manager)
    console.post(f"/deals/{deal.pk}/meetings/", {"held_on": "2026-10-20", "staff": [people_a.channel_manager.pk],
                                                 "notes": "役員同席"})
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.reported_won_amount, deal.won_amount) == (Stage.WON_PENDING, 1_100_000, None)
        assert not ContactSignal.objects.filter(kind=SignalKind.DEAL_WON).exists()  # the partner's word alone
    console.post(f"/deals/{deal.pk}/win/confirm/", {})
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount, str(deal.won_on)) == (Stage.WON, 1_100_000, won_on)
        assert ContactSignal.objects.get(kind=SignalKind.DEAL_WON).amount == 1_100_000
        assert deal.meetings.get().staff.get() == people_a.channel_manager
    summary = {row.stage: row for row in console.get("/deals/pipeline/").context["summary"]}
    assert (summary["won"].count, summary["won"].amount) == (1, 1_100_000)


def test_the_pipeline_shows_each_partners_open_and_won_deals_with_a_link_to_its_own(people_a):
    with tenant_context(people_a.tenant):
        _register(people_a.partner, people_a.partner_rep)
        _register(people_a.partner, people_a.partner_rep, customer_name="東京ロジ株式会社", web_domain="", amount=800_000)
        won = _register(people_a.other_partner, people_a.other_partner_admin, customer_name="サイバー株式会社",
                        web_domain="")
        lost = _register(people_a.other_partner, people_a.other_partner_admin, customer_name="北海商事株式会社",
                         web_domain="")
        DealRegistration.objects.filter(pk=won.pk).update(stage=Stage.WON, won_amount=500_000,
                                                          won_on=timezone.localdate())
        DealRegistration.objects.filter(pk=lost.pk).update(stage=Stage.LOST)
    response = people_a.console(people_a.channel_manager).get("/deals/pipeline/")
    rows = {row["partner_id"]: (row["partner_name"], row["open_count"], row["open_amount"], row["won_count"],
                                row["won_amount"]) for row in response.context["by_partner"]}
    assert rows == {people_a.partner.pk: (people_a.partner.name, 2, 2_000_000, 0, None),
                    people_a.other_partner.pk: (people_a.other_partner.name, 0, None, 1, 500_000)}
    page = response.content.decode()
    for partner in (people_a.partner, people_a.other_partner):
        assert f'<a href="?partner={partner.pk}">{partner.name}</a>' in page


def test_expiry_warns_first_then_expires_and_extensions_are_approved_by_the_channel_manager(people_a, mailoutbox):
    with tenant_context(people_a.tenant):
        deal = _register(people_a.partner, people_a.partner_rep)
        services.deal_approve(deal=deal, actor=people_a.channel_manager)
        deal.refresh_from_db()
        assert services.deals_expire(today=deal.expires_on - timedelta(days=20)) == {"expired": 0, "warned": 0}
        assert services.deals_expire(today=deal.expires_on - timedelta(days=10)) == {"expired": 0, "warned": 1}
        assert services.deals_expire(today=deal.expires_on - timedelta(days=9)) == {"expired": 0, "warned": 0}
        assert Notification.objects.filter(user=people_a.partner_rep, kind="deal_expiring").count() == 1
    people_a.portal(people_a.partner_rep).post(f"/deals/{deal.pk}/extend/", {"days": "30", "reason": "稟議に時間がかかる"})
    with tenant_context(people_a.tenant):
        extension = deal.extensions.get()
    people_a.console(people_a.channel_manager).post(f"/deals/extensions/{extension.pk}/decide/", {"action": "approve"})
    with tenant_context(people_a.tenant):
        old_expiry = deal.expires_on
        deal.refresh_from_db()
        assert deal.expires_on == old_expiry + timedelta(days=30)
        assert services.deals_expire(today=deal.expires_on + timedelta(days=1)) == {"expired": 1, "warned": 0}
        deal.refresh_from_db()
        assert deal.stage == Stage.EXPIRED


@pytest.mark.parametrize(("overrides", "field"), [
    ({"customer_name": "  "}, "customer_name"),
    ({"amount": -1}, "amount"),
    ({"web_domain": "not a domain"}, "web_domain"),
    ({"expected_close": timezone.localdate() - timedelta(days=1)}, "expected_close"),
    ({"corporate_number": "7000012050003"}, "corporate_number"),
])
def test_each_bad_field_is_named_and_nothing_is_registered(people_a, overrides, field):
    with tenant_context(people_a.tenant):
        with pytest.raises(ValidationError) as caught:
            _register(people_a.partner, people_a.partner_rep, **overrides)
        assert list(caught.value.message_dict) == [field]
        assert not DealRegistration.objects.exists()


def test_the_portal_refuses_fractions_of_a_yen(people_a):
    response = people_a.portal(people_a.partner_rep).post("/deals/new/", {
        "customer_name": "株式会社端数", "amount": "1000.5",
        "expected_close": (timezone.localdate() + timedelta(days=9)).isoformat(),
        **{f"role_{r}": "partner" for r in ("lead", "proposal", "contract", "billing", "support")}})
    assert response.status_code == 200 and "amount" in response.context["form"].errors
    with tenant_context(people_a.tenant):
        assert not DealRegistration.objects.exists()


def test_a_rejected_deal_cannot_be_approved_and_nothing_changes(people_a):
    with tenant_context(people_a.tenant):
        deal = _register(people_a.partner, people_a.partner_rep)
        services.deal_reject(deal=deal, actor=people_a.channel_manager, reason="重複")
        with pytest.raises(ValidationError):
            services.deal_approve(deal=deal, actor=people_a.channel_manager)
        deal.refresh_from_db()
        assert (deal.stage, deal.expires_on) == (Stage.REJECTED, None)
        with pytest.raises(ValidationError):
            services.deal_move(deal=deal, actor=people_a.channel_manager, stage="won", won_amount=1)


def test_the_partner_lock_is_taken_only_when_a_capacity_must_hold(people_a):
    """Without a capacity, a partner's registrations of different customers do not wait for each other
    (six reps of one partner registering at once queued on it); with one, they do."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def partner_locks(**overrides) -> int:
        with CaptureQueriesContext(connection) as captured:
            _register(people_a.partner, people_a.partner_rep, **overrides)
        return sum("deals.partner" in query["sql"] for query in captured.captured_queries)

    with tenant_context(people_a.tenant):
        assert partner_locks() == 0
        DealSettings.objects.update_or_create(pk=1, defaults={"capacity_default": 5})
        assert partner_locks(customer_name="二社目の顧客", web_domain="nishame.co.jp") == 1


def test_it_shows_one_partners_pipeline_and_refuses_a_partner_that_does_not_exist_naming_it(people_a):
    console = people_a.console(people_a.channel_manager)
    response = console.get(f"/deals/pipeline/?partner={people_a.other_partner.pk}")
    assert response.status_code == 200 and response.context["partner"] == people_a.other_partner
    missing = console.get("/deals/pipeline/?partner=987654321")
    assert missing.status_code == 400 and "「partner」" in missing.content.decode()
