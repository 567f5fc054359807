"""A won deal is a vendor-confirmed fact: a partner's win waits (受注（確認待ち）) and pays and counts
nothing until a channel manager confirms it; bad won amounts and dates are refused with the field named."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals import selectors, services
from deals.models import DealEvent, DealRegistration, Priority, Stage
from incentives import credit, runs
from incentives.models import CreditLimit, LedgerLine, Plan
from partners.models import AutoEvent, ChecklistItem, ContactSignal, SignalKind
from prm.notifications.models import Notification
from programs.recognition import badges_for, leaderboard, periods, rules

TODAY = timezone.localdate
LAST_MONTH = periods.period_containing(periods.MONTH, TODAY()).previous


def _plan_document(period: date) -> dict:
    start = date(period.year if period.month >= 4 else period.year - 1, 4, 1)
    return {"code": "won-plan", "name": "受注報酬", "currency": "JPY", "fiscal_year_start_month": 4,
            "valid_from": start.isoformat(), "valid_to": date(start.year + 1, 3, 31).isoformat(),
            "rules": [{"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.10"}]}


def _open_deal(partner, *, customer="株式会社受注確認", registered_days_ago=60, stage=Stage.NEGOTIATION, rep=None):
    deal = DealRegistration(partner=partner, registered_by=rep, customer_name=customer, amount=1_000_000,
                            expected_close=TODAY() + timedelta(days=30), stage=stage, priority=Priority.HOLDER,
                            registered_at=timezone.now() - timedelta(days=registered_days_ago),
                            expires_on=TODAY() + timedelta(days=30))
    services.apply_keys(deal, services.customer_keys_for(customer, "", ""))
    deal.save()
    return deal


def _report(people, deal, **data):
    return people.portal(people.partner_rep).post(f"/deals/{deal.pk}/move/", {"stage": "won", **data})


def _first_win(partner):
    return [badge.earned_on for badge in badges_for(partner) if badge.key == "first_win"]


def _won_lines():
    return LedgerLine.objects.filter(event_id__endswith=":2-won")


def _revenue_board(partner):
    board = leaderboard(rules.REVENUE, LAST_MONTH())
    return [row.value for row in board.rows if row.name == partner.name]


def test_a_partners_win_waits_for_confirmation_and_pays_and_counts_nothing(people_a):
    month = LAST_MONTH()
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
        CreditLimit.objects.create(partner=people_a.partner, limit=10_000_000)
        item = ChecklistItem.objects.create(partner=people_a.partner, title="初受注", due_on=TODAY(),
                                            auto_event=AutoEvent.FIRST_WIN)
    response = _report(people_a, deal, won_amount="1200000", won_on=month.start.isoformat())
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.reported_won_amount, deal.reported_won_on) == (Stage.WON_PENDING, 1_200_000, month.start)
        assert (deal.won_amount, deal.won_on, deal.won_confirmed_at) == (None, None, None)
        assert (deal.won_reported_by, deal.reported_from_stage) == (people_a.partner_rep, Stage.NEGOTIATION)
        assert not ContactSignal.objects.filter(kind=SignalKind.DEAL_WON).exists()
        plan = Plan.objects.create(code="won-plan", name="受注報酬")
        runs.plan_publish(plan=plan, document=_plan_document(month.start), actor=people_a.vendor_admin)
        runs.run_execute(runs.run_start(period=month.start).pk)
        assert not _won_lines().exists()
        assert _revenue_board(people_a.partner) == []
        assert credit.check(people_a.partner, 0).open_amount == 0
        summary = {row.stage: row for row in selectors.pipeline_summary(partner=people_a.partner)}
        assert (summary[Stage.WON].count, summary[Stage.WON_PENDING].count) == (0, 1)
        assert summary[Stage.WON_PENDING].amount == 1_200_000
        assert not selectors.pipeline_by_partner().filter(partner_id=people_a.partner.pk, won_count__gt=0).exists()
        assert _first_win(people_a.partner) == []
        item.refresh_from_db()
        assert item.completed_at is None
    with translation.override("ja"):
        waiting = str(Stage.WON_PENDING.label)
    assert waiting in people_a.portal(people_a.partner_rep).get(f"/deals/{deal.pk}/").content.decode()
    assert waiting in people_a.portal(people_a.partner_rep).get("/deals/").content.decode()


def test_the_reported_win_notifies_the_channel_manager_of_the_partner(people_a):
    with tenant_context(people_a.tenant):
        people_a.partner.owner = people_a.channel_manager
        people_a.partner.save()
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    _report(people_a, deal, won_amount="500000")
    with tenant_context(people_a.tenant):
        assert Notification.objects.filter(user=people_a.channel_manager, kind="deal_win_reported").exists()
        assert DealEvent.objects.filter(deal=deal, kind="win_reported").exists()


def test_the_channel_manager_confirms_with_a_correction_and_then_the_win_counts_and_pays(people_a):
    month = LAST_MONTH()
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    _report(people_a, deal, won_amount="1200000", won_on=month.start.isoformat())
    console = people_a.console(people_a.channel_manager)
    response = console.post(f"/deals/{deal.pk}/win/confirm/", {"won_amount": "1000000",
                                                               "won_on": (month.start + timedelta(days=2)).isoformat(),
                                                               "note": "請求額で確定"})
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount, deal.won_on) == (Stage.WON, 1_000_000, month.start + timedelta(days=2))
        assert deal.won_confirmed_by == people_a.channel_manager and deal.won_confirmed_at is not None
        event = DealEvent.objects.get(deal=deal, kind="win_confirmed")
        assert (event.actor, event.data["reported_amount"], event.data["corrected"]) == (
            people_a.channel_manager, 1_200_000, True)
        assert ContactSignal.objects.get(kind=SignalKind.DEAL_WON).amount == 1_000_000
        assert Notification.objects.filter(user=people_a.partner_rep, kind="deal_win_confirmed").exists()
        plan = Plan.objects.create(code="won-plan", name="受注報酬")
        runs.plan_publish(plan=plan, document=_plan_document(month.start), actor=people_a.vendor_admin)
        runs.run_execute(runs.run_start(period=month.start).pk)
        assert list(_won_lines().values_list("amount", flat=True)) == [100_000]
        assert _revenue_board(people_a.partner) == [1_000_000]
        assert _first_win(people_a.partner) == [month.start + timedelta(days=2)]
    history = console.get(f"/deals/{deal.pk}/").content.decode()
    assert "1,000,000" in history


def test_confirming_as_reported_takes_the_partners_figures_and_warns_past_the_credit_limit(people_a):
    with tenant_context(people_a.tenant):
        people_a.partner.owner = people_a.channel_manager
        people_a.partner.save()
        CreditLimit.objects.create(partner=people_a.partner, limit=400_000)
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    _report(people_a, deal, won_amount="500000")
    with tenant_context(people_a.tenant):
        assert not Notification.objects.filter(kind="credit_limit").exists()  # a report is not yet a win
    response = people_a.console(people_a.channel_manager).post(f"/deals/{deal.pk}/win/confirm/", {}, follow=True)
    assert "与信" in response.content.decode()
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount, deal.won_on) == (Stage.WON, 500_000, TODAY())
        assert Notification.objects.filter(user=people_a.channel_manager, kind="credit_limit").exists()


def test_rejecting_a_reported_win_needs_a_reason_and_returns_the_deal_to_its_stage(
        people_a, mailoutbox, django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, stage=Stage.PROPOSAL, rep=people_a.partner_rep)
    _report(people_a, deal, won_amount="700000")
    console = people_a.console(people_a.channel_manager)
    refused = console.post(f"/deals/{deal.pk}/win/reject/", {"reason": "  "})
    assert refused.status_code == 200 and "reason" in refused.context["reject_form"].errors
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert deal.stage == Stage.WON_PENDING
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        console.post(f"/deals/{deal.pk}/win/reject/", {"reason": "注文書が未着です"})
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.reported_won_amount, deal.won_amount) == (Stage.PROPOSAL, None, None)
        note = Notification.objects.get(user=people_a.partner_rep, kind="deal_win_rejected")
        assert "注文書が未着です" in note.body
        assert DealEvent.objects.get(deal=deal, kind="win_rejected").data["reason"] == "注文書が未着です"
        assert not ContactSignal.objects.filter(kind=SignalKind.DEAL_WON).exists()
    assert [mail.to for mail in mailoutbox] == [[people_a.partner_rep.email]]
    assert "注文書が未着です" in mailoutbox[0].body
    # back in its open stage, the partner can report the win again
    assert _report(people_a, deal, won_amount="700000").status_code == 302


def test_a_partner_cannot_confirm_its_own_win(people_a):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    _report(people_a, deal, won_amount="700000")
    for path in (f"/deals/{deal.pk}/win/confirm/", f"/deals/{deal.pk}/win/reject/"):
        response = people_a.console(people_a.partner_admin).post(path, {"reason": "x"})
        assert response.status_code in (302, 403, 404)
    # a second "won" from the portal does not confirm it either
    _report(people_a, deal, won_amount="700000")
    with tenant_context(people_a.tenant):
        with pytest.raises(PermissionDenied):
            services.deal_win_confirm(deal=deal, actor=people_a.partner_admin)
        with pytest.raises(PermissionDenied):
            services.deal_win_reject(deal=deal, actor=people_a.partner_admin, reason="x")
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount) == (Stage.WON_PENDING, None)


def test_other_partners_and_other_vendors_cannot_touch_the_win(people_a, people_b):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    other = people_a.portal(people_a.other_partner_admin).post(f"/deals/{deal.pk}/move/",
                                                               {"stage": "won", "won_amount": "100"})
    assert other.status_code == 404
    with tenant_context(people_a.tenant):
        with pytest.raises(PermissionDenied):
            services.deal_win_report(deal=deal, actor=people_a.other_partner_admin, won_amount=100)
    _report(people_a, deal, won_amount="700000")
    foreign = people_b.console(people_b.channel_manager)
    assert foreign.post(f"/deals/{deal.pk}/win/confirm/", {}).status_code == 404
    assert deal.customer_name not in foreign.get("/deals/wins/").content.decode()
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert deal.stage == Stage.WON_PENDING


@pytest.mark.parametrize(("data", "field"), [
    ({"won_amount": str(2**63 - 1)}, "won_amount"),
    ({"won_amount": "99999999999999999999"}, "won_amount"),
    ({"won_amount": str(10**12 + 1)}, "won_amount"),
    ({"won_amount": "0"}, "won_amount"),
    ({"won_amount": "-1"}, "won_amount"),
    ({"won_amount": "²"}, "won_amount"),
    ({"won_amount": ""}, "won_amount"),
    ({"won_amount": "500000", "won_on": (date.today() + timedelta(days=40)).isoformat()}, "won_on"),
    ({"won_amount": "500000", "won_on": "9999-12-31"}, "won_on"),
    ({"won_amount": "500000", "won_on": "0001-01-01"}, "won_on"),
    ({"won_amount": "500000", "won_on": "2001-01-01"}, "won_on"),  # before the registration
])
def test_bad_won_figures_are_refused_with_the_field_named_and_nothing_saved(people_a, data, field):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    response = _report(people_a, deal, **data)
    assert response.status_code == 200
    assert field in response.context["move_form"].errors
    label = response.context["move_form"].fields[field].label
    assert str(label) in response.content.decode()
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.reported_won_amount, deal.won_amount) == (Stage.NEGOTIATION, None, None)
        assert not DealEvent.objects.filter(deal=deal).exists()


@pytest.mark.parametrize(("won_amount", "won_on", "field"), [
    (2**63 - 1, None, "won_amount"),
    (0, None, "won_amount"),
    (None, None, "won_amount"),
    (1_000, date.today() + timedelta(days=1), "won_on"),
    (1_000, date(1999, 12, 31), "won_on"),
])
def test_the_services_refuse_bad_won_figures_from_any_caller(people_a, won_amount, won_on, field):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
        for call in (lambda: services.deal_win_report(deal=deal, actor=people_a.partner_rep, won_amount=won_amount,
                                                      won_on=won_on),
                     lambda: services.deal_win_confirm(deal=deal, actor=people_a.channel_manager,
                                                       won_amount=won_amount, won_on=won_on),
                     lambda: services.deal_move(deal=deal, actor=people_a.channel_manager, stage="won",
                                                won_amount=won_amount, won_on=won_on)):
            with pytest.raises(ValidationError) as caught:
                call()
            assert field in caught.value.message_dict
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount, deal.reported_won_amount) == (Stage.NEGOTIATION, None, None)
        pending = _open_deal(people_a.partner, customer="株式会社確認待ち", rep=people_a.partner_rep)
        services.deal_win_report(deal=pending, actor=people_a.partner_rep, won_amount=5_000)
        with pytest.raises(ValidationError) as caught:
            services.deal_win_confirm(deal=pending, actor=people_a.channel_manager, won_amount=won_amount or 2**63 - 1,
                                      won_on=won_on)
        assert field in caught.value.message_dict or "won_amount" in caught.value.message_dict
        pending.refresh_from_db()
        assert (pending.stage, pending.won_amount) == (Stage.WON_PENDING, None)


def test_the_console_lists_wins_awaiting_confirmation_with_a_count_on_home_and_queue(people_a):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
        untouched = _open_deal(people_a.partner, customer="株式会社未報告", rep=people_a.partner_rep)
    console = people_a.console(people_a.channel_manager)
    assert deal.customer_name not in console.get("/deals/wins/").content.decode()
    _report(people_a, deal, won_amount="700000")
    wins = console.get("/deals/wins/")
    page = wins.content.decode()
    assert wins.status_code == 200 and deal.customer_name in page and untouched.customer_name not in page
    assert "700,000" in page
    assert "/deals/wins/" in console.get("/").content.decode()
    assert "/deals/wins/" in console.get("/deals/").content.decode()
    assert "確認" in console.get(f"/deals/{deal.pk}/").content.decode()


def test_a_reported_win_keeps_the_customers_priority(people_a):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, customer="株式会社先着順", rep=people_a.partner_rep)
        services.deal_win_report(deal=deal, actor=people_a.partner_rep, won_amount=900_000)
        later = services.deal_register(partner=people_a.other_partner, user=people_a.other_partner_admin,
                                       customer_name="(株)先着順", corporate_number="", web_domain="", amount=1,
                                       expected_close=TODAY() + timedelta(days=30))
        assert (later.priority, later.conflict_with) == (Priority.CONFLICT, deal)
        with pytest.raises(ValidationError):
            services.deal_approve(deal=later, actor=people_a.channel_manager)


def test_a_vendor_staff_move_to_won_is_a_confirmed_win(people_a):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    people_a.console(people_a.channel_manager).post(f"/deals/{deal.pk}/move/", {"stage": "won", "won_amount": "800000"})
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount, deal.won_on, deal.won_confirmed_by) == (
            Stage.WON, 800_000, TODAY(), people_a.channel_manager)
        assert ContactSignal.objects.get(kind=SignalKind.DEAL_WON).amount == 800_000
        assert Notification.objects.filter(user=people_a.partner_rep, kind="deal_win_confirmed").exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"won_amount": str(2**63 - 1)}, "won_amount"),
    ({"won_amount": "0"}, "won_amount"),
    ({"won_on": (date.today() + timedelta(days=1)).isoformat()}, "won_on"),
    ({"won_on": "2001-01-01"}, "won_on"),
])
def test_the_channel_manager_cannot_correct_a_win_out_of_bounds(people_a, data, field):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    _report(people_a, deal, won_amount="700000")
    response = people_a.console(people_a.channel_manager).post(f"/deals/{deal.pk}/win/confirm/", data)
    assert response.status_code == 200 and field in response.context["confirm_form"].errors
    assert str(response.context["confirm_form"].fields[field].label) in response.content.decode()
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount, deal.reported_won_amount) == (Stage.WON_PENDING, None, 700_000)
        assert not ContactSignal.objects.filter(kind=SignalKind.DEAL_WON).exists()


def test_the_migration_sends_impossible_wins_back_to_waiting_and_keeps_the_others_confirmed(people_a):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("deals.migrations.0003_deal_won_confirmation")
    with tenant_context(people_a.tenant):
        good = _open_deal(people_a.partner, customer="株式会社正常受注")
        huge = _open_deal(people_a.partner, customer="株式会社巨額受注")
        future = _open_deal(people_a.partner, customer="株式会社未来受注")
        day = TODAY() - timedelta(days=3)
        DealRegistration.objects.filter(pk=good.pk).update(stage="won", won_amount=500_000, won_on=day,
                                                           won_confirmed_at=None)
        DealRegistration.objects.filter(pk=huge.pk).update(stage="won", won_amount=2**63 - 1, won_on=day)
        DealRegistration.objects.filter(pk=future.pk).update(stage="won", won_amount=1_000,
                                                             won_on=TODAY() + timedelta(days=300))
        migration.wins_so_far_were_confirmed(apps, None)
        good.refresh_from_db(), huge.refresh_from_db(), future.refresh_from_db()
        assert (good.stage, good.won_amount) == (Stage.WON, 500_000) and good.won_confirmed_at is not None
        assert (huge.stage, huge.won_amount, huge.reported_won_amount) == (Stage.WON_PENDING, None, 2**63 - 1)
        assert (future.stage, future.won_on) == (Stage.WON_PENDING, None)
        # nothing impossible counts any more
        assert selectors.pipeline_by_partner().get(partner_id=people_a.partner.pk)["won_amount"] == 500_000
        with pytest.raises(ValidationError):  # confirming needs real figures
            services.deal_win_confirm(deal=huge, actor=people_a.channel_manager)
        services.deal_win_confirm(deal=huge, actor=people_a.channel_manager, won_amount=5_000_000)
        huge.refresh_from_db()
        assert (huge.stage, huge.won_amount, huge.won_on) == (Stage.WON, 5_000_000, day)


def test_the_win_pages_refuse_the_wrong_method_and_people_outside_the_vendor(people_a):
    with tenant_context(people_a.tenant):
        deal = _open_deal(people_a.partner, rep=people_a.partner_rep)
    console = people_a.console(people_a.channel_manager)
    assert console.get(f"/deals/{deal.pk}/win/confirm/").status_code == 405
    assert console.get(f"/deals/{deal.pk}/win/reject/").status_code == 405
    assert console.post("/deals/wins/").status_code == 405
    assert people_a.console().get("/deals/wins/").status_code == 302  # signed out: to the sign-in page
    assert people_a.console(people_a.partner_admin).get("/deals/wins/").status_code in (302, 403)
