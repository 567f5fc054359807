"""A confirmed win can be cancelled by the customer, corrected, or reopened when it was recorded by
mistake: staff only, row-locked, kept in the win's history and on the timeline, the partner told;
bad input is refused with the field named and nothing half-saved."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone, translation
from django_tenants.utils import schema_context, tenant_context

from deals import services
from deals.models import DealEvent, DealRegistration, Priority, Stage, WinCorrection
from incentives import runs
from incentives.models import AuditEntry, CommissionRun, LedgerLine, Plan
from partners.models import Partner
from prm.accounts.models import User
from prm.notifications.models import Notification

PLAN = {
    "code": "win-changes", "name": "受注訂正プラン", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31",
    "rules": [
        {"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.10"},
        {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 1000},
        {"id": "clawback", "kind": "clawback", "within_days": 90, "share": "1"},
    ],
}
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)
WON_ON = date(2026, 10, 5)


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return str(translation.gettext(text))


def _won_deal(partner, *, rep=None, customer="株式会社受注訂正", amount=500_000, won_on=WON_ON) -> DealRegistration:
    deal = DealRegistration(partner=partner, registered_by=rep, customer_name=customer, amount=amount,
                            expected_close=won_on, stage=Stage.WON, priority=Priority.HOLDER, won_amount=amount,
                            won_on=won_on, registered_at=timezone.make_aware(timezone.datetime(2026, 9, 20, 10)),
                            closed_at=timezone.make_aware(timezone.datetime(2026, 10, 5, 12)))
    services.apply_keys(deal, services.customer_keys_for(customer, "", ""))
    deal.save()
    return deal


def _run(period: date) -> CommissionRun:
    run = runs.run_execute(runs.run_start(period=period).pk)
    assert run.status == "done", run.error
    return run


def _state(deal: DealRegistration) -> tuple:
    deal.refresh_from_db()
    return (deal.stage, deal.won_amount, deal.won_on, deal.cancelled_on, deal.win_corrections.count(),
            DealEvent.objects.filter(deal=deal, kind__startswith="win_").count())


def test_a_cancelled_win_is_clawed_back_by_the_next_run(people_a):
    with tenant_context(people_a.tenant):
        runs.plan_publish(plan=Plan.objects.create(code=PLAN["code"], name=PLAN["name"]), document=PLAN, actor=None)
        deal = _won_deal(people_a.partner, rep=people_a.partner_rep)
        _run(OCTOBER)
        before = list(LedgerLine.objects.order_by("pk").values_list("pk", "amount", "event_id", "rule_id"))
        assert sorted(amount for _pk, amount, _e, _r in before) == [1_000, 50_000]

        deal = services.deal_cancel_won(deal=deal, actor=people_a.channel_manager, cancelled_on=date(2026, 11, 10),
                                        reason="顧客都合で解約")
        assert (deal.stage, deal.cancelled_on, deal.won_amount) == (Stage.CANCELLED, date(2026, 11, 10), 500_000)
        history = deal.win_corrections.get()
        assert (history.kind, history.stage_before, history.stage_after, history.cancelled_on, history.reason,
                history.actor) == ("cancel", Stage.WON, Stage.CANCELLED, date(2026, 11, 10), "顧客都合で解約",
                                   people_a.channel_manager)
        assert DealEvent.objects.get(deal=deal, kind="win_cancelled").data["cancelled_on"] == "2026-11-10"
        assert Notification.objects.filter(user=people_a.partner_rep, kind="deal_win_changed").exists()
        assert AuditEntry.objects.get(action="deal_win_cancelled", object_id=str(deal.pk)).summary

        _run(NOVEMBER)
        assert list(LedgerLine.objects.filter(pk__in=[pk for pk, *_ in before]).order_by("pk")
                    .values_list("pk", "amount", "event_id", "rule_id")) == before
        clawback = LedgerLine.objects.filter(event_id=f"deal:{deal.pk}:3-cancelled")
        assert sorted(clawback.values_list("rule_id", "amount", "event_date", "period")) == [
            ("clawback", -50_000, date(2026, 11, 10), NOVEMBER), ("clawback", -1_000, date(2026, 11, 10), NOVEMBER)]
        assert sum(LedgerLine.objects.values_list("amount", flat=True)) == 0
        assert _run(NOVEMBER).lines_added == 0


def test_bad_cancellations_are_refused_with_the_field_named_and_nothing_saved(people_a):
    with tenant_context(people_a.tenant):
        deal = _won_deal(people_a.partner, rep=people_a.partner_rep)
        unchanged = _state(deal)
        cases = [
            ({"cancelled_on": date(2026, 10, 4), "reason": "前日"}, "cancelled_on"),
            ({"cancelled_on": timezone.localdate() + timedelta(days=1), "reason": "未来"}, "cancelled_on"),
            ({"cancelled_on": date(1, 1, 1), "reason": "範囲外"}, "cancelled_on"),
            ({"cancelled_on": None, "reason": "日付なし"}, "cancelled_on"),
            ({"cancelled_on": date(2026, 11, 1), "reason": "  "}, "reason"),
        ]
        for data, field in cases:
            with pytest.raises(ValidationError) as refused:
                services.deal_cancel_won(deal=deal, actor=people_a.channel_manager, **data)
            assert list(refused.value.message_dict) == [field], data
            assert _state(deal) == unchanged
        with pytest.raises(PermissionDenied):
            services.deal_cancel_won(deal=deal, actor=people_a.partner_admin, cancelled_on=date(2026, 11, 1),
                                     reason="パートナーから")
        assert _state(deal) == unchanged
        open_deal = _won_deal(people_a.partner, customer="株式会社商談中")
        DealRegistration.objects.filter(pk=open_deal.pk).update(stage=Stage.NEGOTIATION, won_amount=None, won_on=None)
        with pytest.raises(ValidationError):
            services.deal_cancel_won(deal=open_deal, actor=people_a.channel_manager, cancelled_on=date(2026, 11, 1),
                                     reason="受注前")
        assert not Notification.objects.filter(kind="deal_win_changed").exists()


def test_a_correction_is_kept_and_refuses_bad_amounts_and_dates(people_a):
    with tenant_context(people_a.tenant):
        deal = _won_deal(people_a.partner, rep=people_a.partner_rep)
        unchanged = _state(deal)
        cases = [
            ({"won_amount": -1}, "won_amount"),
            ({"won_amount": 0}, "won_amount"),
            ({"won_amount": 10**12 + 1}, "won_amount"),
            ({"won_on": date(2026, 9, 19)}, "won_on"),  # before the registration
            ({"won_on": timezone.localdate() + timedelta(days=1)}, "won_on"),
            ({"won_on": date(1, 1, 1)}, "won_on"),
            ({"won_amount": 600_000, "reason": ""}, "reason"),
            ({"won_amount": 500_000, "won_on": WON_ON}, "__all__"),  # changes nothing
        ]
        for data, field in cases:
            with pytest.raises(ValidationError) as refused:
                services.deal_correct_win(deal=deal, actor=people_a.channel_manager,
                                          **{"won_amount": None, "won_on": None, "reason": "訂正", **data})
            assert list(refused.value.message_dict) == [field], data
            assert _state(deal) == unchanged
        with pytest.raises(PermissionDenied):
            services.deal_correct_win(deal=deal, actor=people_a.partner_rep, won_amount=600_000, won_on=None,
                                      reason="パートナーから")
        assert _state(deal) == unchanged

        services.deal_correct_win(deal=deal, actor=people_a.channel_manager, won_amount=600_000, won_on=None,
                                  reason="請求額の確定")
        services.deal_correct_win(deal=deal, actor=people_a.vendor_admin, won_amount=None, won_on=date(2026, 10, 20),
                                  reason="契約日の訂正")
        deal.refresh_from_db()
        assert (deal.stage, deal.won_amount, deal.won_on) == (Stage.WON, 600_000, date(2026, 10, 20))
        assert list(deal.win_corrections.order_by("at", "pk").values_list(
            "kind", "amount_before", "amount_after", "won_on_before", "won_on_after", "reason")) == [
            ("correct", 500_000, 600_000, WON_ON, WON_ON, "請求額の確定"),
            ("correct", 600_000, 600_000, WON_ON, date(2026, 10, 20), "契約日の訂正")]
        assert DealEvent.objects.filter(deal=deal, kind="win_corrected").count() == 2
        assert Notification.objects.filter(user=people_a.partner_rep, kind="deal_win_changed").count() == 2


def test_a_win_reopened_by_mistake_goes_back_to_negotiation(people_a):
    with tenant_context(people_a.tenant):
        deal = _won_deal(people_a.partner, rep=people_a.partner_rep)
        with pytest.raises(ValidationError) as refused:
            services.deal_reopen_won(deal=deal, actor=people_a.channel_manager, reason="")
        assert list(refused.value.message_dict) == ["reason"]
        services.deal_cancel_won(deal=deal, actor=people_a.channel_manager, cancelled_on=date(2026, 11, 2), reason="解約")
        deal = services.deal_reopen_won(deal=deal, actor=people_a.channel_manager, reason="別顧客の受注と取り違え")
        assert (deal.stage, deal.won_amount, deal.won_on, deal.cancelled_on, deal.closed_at) == (
            Stage.NEGOTIATION, None, None, None, None)
        assert deal.expires_on > timezone.localdate()
        reopened = deal.win_corrections.get(kind="reopen")
        assert (reopened.stage_before, reopened.amount_before, reopened.won_on_before, reopened.amount_after) == (
            Stage.CANCELLED, 500_000, WON_ON, None)
        with pytest.raises(ValidationError):
            services.deal_reopen_won(deal=deal, actor=people_a.channel_manager, reason="二度目")
        assert deal.win_corrections.count() == 2


def test_console_forms_name_the_field_survive_hostile_input_and_are_staff_only(people_a):
    with tenant_context(people_a.tenant):
        deal = _won_deal(people_a.partner, rep=people_a.partner_rep)
        unchanged = _state(deal)
    console = people_a.console(people_a.channel_manager)
    page = console.get(f"/deals/{deal.pk}/").content.decode()
    for action in ("cancel", "correct", "reopen"):
        assert f"/deals/{deal.pk}/win/{action}/" in page
    refused = console.post(f"/deals/{deal.pk}/win/cancel/", {"cancelled_on": "2026-10-04", "reason": "前日"})
    assert refused.status_code == 200
    assert _in("ja", "Date the customer cancelled") in refused.content.decode()
    refused = console.post(f"/deals/{deal.pk}/win/correct/", {"won_amount": "-5", "won_on": "2026-10-05",
                                                              "reason": "負の額"})
    assert refused.status_code == 200 and _in("ja", "Won amount (¥)") in refused.content.decode()
    hostile = ["\x00", "²", "-1", str(2**63), "9" * 20, "0001-01-01", "あ" * 10_000, "", "1" * 10_000]
    for action, field in (("cancel", "cancelled_on"), ("cancel", "reason"), ("correct", "won_amount"),
                          ("correct", "won_on"), ("correct", "reason"), ("reopen", "reason")):
        # Every value here is wrong for its field ("²" would be a fine reason, so reasons get the bad ones only).
        for value in (["\x00", "あ" * 10_000, "", "   "] if field == "reason" else hostile):
            data = {"cancelled_on": "2026-11-01", "won_amount": "600000", "won_on": "2026-10-05", "reason": "訂正",
                    field: value}
            response = console.post(f"/deals/{deal.pk}/win/{action}/", data)
            assert response.status_code in (200, 400), (action, field, value[:10], response.status_code)
    assert console.post(f"/deals/{deal.pk}/win/other/", {"reason": "x"}).status_code == 404
    partner = people_a.console(people_a.partner_admin)
    assert partner.post(f"/deals/{deal.pk}/win/correct/", {"won_amount": "1", "won_on": "2026-10-05",
                                                           "reason": "x"}).status_code == 403
    with tenant_context(people_a.tenant):
        assert _state(deal) == unchanged

    done = console.post(f"/deals/{deal.pk}/win/correct/", {"won_amount": "700000", "won_on": "2026-10-05",
                                                           "reason": "請求額の確定"})
    assert done.status_code == 302
    page = console.get(f"/deals/{deal.pk}/").content.decode()
    assert "請求額の確定" in page and "¥700,000" in page
    with tenant_context(people_a.tenant):
        deal.refresh_from_db()
        assert deal.won_amount == 700_000


# --------------------------------------------------------------------------- real parallel connections


@pytest.fixture
def committed_win(django_db_setup, django_db_blocker):
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            partner = Partner.objects.create(name="同時訂正テスト", partner_type="resale", stage="activation")
            managers = [User.objects.create(email=f"race-cm{n}@alpha.example", full_name=f"担当{n}",
                                            role="channel_manager") for n in range(2)]
            deal = _won_deal(partner, customer="株式会社同時訂正")
        try:
            yield vendor, deal, managers
        finally:
            with tenant_context(vendor):
                AuditEntry.objects.filter(object_type="deals.dealregistration", object_id=str(deal.pk)).delete()
                DealRegistration.objects.filter(pk=deal.pk).delete()
                Notification.objects.filter(kind="deal_win_changed").delete()
                Partner.objects.filter(pk=partner.pk).delete()
                User.objects.filter(pk__in=[m.pk for m in managers]).delete()
            connection.set_schema_to_public()


def test_two_simultaneous_corrections_are_serialised(committed_win, django_db_blocker):
    vendor, deal, managers = committed_win
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def correct(manager, amount):
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(vendor)
                barrier.wait(timeout=30)
                services.deal_correct_win(deal=deal, actor=manager, won_amount=amount, won_on=None,
                                          reason=f"{amount}円に訂正")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=correct, args=(managers[0], 610_000)),
               threading.Thread(target=correct, args=(managers[1], 620_000))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with django_db_blocker.unblock(), tenant_context(vendor):
        history = list(WinCorrection.objects.filter(deal_id=deal.pk).order_by("at", "pk")
                       .values_list("amount_before", "amount_after"))
        # The second correction saw the first one's amount: one chain, no lost update.
        assert len(history) == 2 and history[0][0] == 500_000 and history[1][0] == history[0][1]
        assert DealRegistration.objects.get(pk=deal.pk).won_amount == history[1][1]
