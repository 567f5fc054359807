"""A win changed after its commissions were run (corrected, reopened) is settled by adjustment lines
in the next run: exactly the difference, no existing line touched — paid or not — and a run that
is repeated or interrupted and resumed writes nothing twice."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals import services
from deals.models import DealRegistration, Priority, Stage
from incentives import payouts, runs, statements
from incentives.models import AuditEntry, CommissionRun, LedgerLine, Plan

PLAN = {
    "code": "adjustments", "name": "調整プラン", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31",
    "rules": [
        {"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.10"},
        {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 1000},
        {"id": "clawback", "kind": "clawback", "within_days": 90, "share": "1"},
    ],
}
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return str(translation.gettext(text))


def _publish():
    runs.plan_publish(plan=Plan.objects.create(code=PLAN["code"], name=PLAN["name"]), document=PLAN, actor=None)


def _won_deal(partner, *, n: int = 0, amount: int = 500_000, won_on: date = date(2026, 10, 5)) -> DealRegistration:
    customer = f"株式会社調整{n}"
    deal = DealRegistration(partner=partner, customer_name=customer, amount=amount, expected_close=won_on,
                            stage=Stage.WON, priority=Priority.HOLDER, won_amount=amount, won_on=won_on,
                            registered_at=timezone.make_aware(timezone.datetime(2026, 9, 20, 10)),
                            closed_at=timezone.make_aware(timezone.datetime(2026, 10, 5, 12)))
    services.apply_keys(deal, services.customer_keys_for(customer, "", ""))
    deal.save()
    return deal


def _run(period: date) -> CommissionRun:
    run = runs.run_execute(runs.run_start(period=period).pk)
    assert run.status == "done", run.error
    return run


def _ledger() -> list[tuple]:
    return list(LedgerLine.objects.order_by("pk").values_list("pk", "event_id", "rule_id", "occurrence", "adjustment",
                                                              "amount", "period", "payout_id"))


def test_a_correction_after_the_payout_was_paid_adds_exactly_the_difference(people_a):
    with tenant_context(people_a.tenant):
        _publish()
        deal = _won_deal(people_a.partner)
        _run(OCTOBER)
        october = payouts.payouts_build(period=OCTOBER, actor=people_a.channel_manager)[0]
        payouts.payout_approve(payout=october, actor=people_a.channel_manager)
        payouts.payout_mark_paid(payout=october, actor=people_a.vendor_admin)
        paid = _ledger()
        assert sum(row[5] for row in paid) == 51_000 and all(row[7] == october.pk for row in paid)

        services.deal_correct_win(deal=deal, actor=people_a.channel_manager, won_amount=620_000, won_on=None,
                                  reason="請求額の確定")
        run = _run(NOVEMBER)
        assert run.lines_added == 1
        assert _ledger()[:len(paid)] == paid  # paid lines untouched
        added = LedgerLine.objects.exclude(pk__in=[row[0] for row in paid]).get()
        assert (added.event_id, added.rule_id, added.occurrence, added.adjustment, added.amount, added.period,
                added.payout) == (f"deal:{deal.pk}:2-won", "margin", 0, 1, 12_000, NOVEMBER, None)
        entry = AuditEntry.objects.get(action="ledger_adjusted")
        assert (entry.changes["lines"], entry.changes["total"]) == (1, 12_000) and entry.summary
        assert _run(NOVEMBER).lines_added == 0  # the same run again writes nothing

        november = payouts.payouts_build(period=NOVEMBER, actor=people_a.channel_manager)[0]
        assert (november.commissions, november.subtotal) == (12_000, 12_000)
        rows = statements.statement_lines(november)
        with translation.override("ja"):
            label = str(translation.gettext("%(label)s (correction adjustment)") % {"label": "調整プラン / 成約金額の10%"})
        assert rows == [{"period": NOVEMBER, "label": label, "count": 1, "amount": 12_000}]
    page = people_a.console(people_a.channel_manager).get("/incentives/payouts/?period=2026-11").content.decode()
    assert _in("ja", "Correction adjustments") in page and "¥12,000" in page
    portal = people_a.portal(people_a.partner_admin).get("/payouts/").content.decode()
    assert _in("ja", "Correction adjustments") in portal


def test_a_date_only_correction_moves_no_money_and_a_second_correction_adds_to_the_first(people_a):
    with tenant_context(people_a.tenant):
        _publish()
        deal = _won_deal(people_a.partner)
        _run(OCTOBER)
        services.deal_correct_win(deal=deal, actor=people_a.channel_manager, won_amount=None,
                                  won_on=date(2026, 10, 20), reason="契約日の訂正")
        assert _run(NOVEMBER).lines_added == 0
        services.deal_correct_win(deal=deal, actor=people_a.channel_manager, won_amount=450_000, won_on=None,
                                  reason="値引き")
        _run(NOVEMBER)
        services.deal_correct_win(deal=deal, actor=people_a.channel_manager, won_amount=480_000, won_on=None,
                                  reason="値引きの一部取消し")
        _run(NOVEMBER)
        margin = LedgerLine.objects.filter(event_id=f"deal:{deal.pk}:2-won", rule_id="margin")
        assert list(margin.order_by("adjustment").values_list("adjustment", "amount")) == [
            (0, 50_000), (1, -5_000), (2, 3_000)]
        assert margin.aggregate(s=Sum("amount"))["s"] == 48_000


def test_a_reopened_win_is_reversed_and_a_new_win_pays_again(people_a):
    with tenant_context(people_a.tenant):
        _publish()
        deal = _won_deal(people_a.partner)
        _run(OCTOBER)
        before = _ledger()
        services.deal_reopen_won(deal=deal, actor=people_a.channel_manager, reason="受注の登録ミス")
        _run(NOVEMBER)
        assert _ledger()[:len(before)] == before
        reversal = LedgerLine.objects.exclude(pk__in=[row[0] for row in before]).get()
        assert (reversal.event_id, reversal.rule_id, reversal.adjustment, reversal.amount) == (
            f"deal:{deal.pk}:2-won", "margin", 1, -50_000)
        assert LedgerLine.objects.aggregate(s=Sum("amount"))["s"] == 1_000  # the registration stays paid
        assert _run(NOVEMBER).lines_added == 0

        services.deal_win_confirm(deal=deal, actor=people_a.channel_manager, won_amount=400_000,
                                  won_on=date(2026, 11, 3))
        _run(NOVEMBER)
        margin = LedgerLine.objects.filter(event_id=f"deal:{deal.pk}:2-won", rule_id="margin")
        assert list(margin.order_by("adjustment").values_list("adjustment", "amount", "event_date")) == [
            (0, 50_000, date(2026, 10, 5)), (1, -50_000, date(2026, 11, 30)), (2, 40_000, date(2026, 11, 3))]


def test_a_cancelled_win_reopened_gives_the_clawback_back(people_a):
    with tenant_context(people_a.tenant):
        _publish()
        deal = _won_deal(people_a.partner)
        _run(OCTOBER)
        services.deal_cancel_won(deal=deal, actor=people_a.channel_manager, cancelled_on=date(2026, 11, 2),
                                 reason="解約")
        _run(NOVEMBER)
        assert LedgerLine.objects.aggregate(s=Sum("amount"))["s"] == 0
        services.deal_reopen_won(deal=deal, actor=people_a.channel_manager, reason="解約は誤登録")
        _run(NOVEMBER)
        # The win's margin is reversed and so is its clawback: the registration bonus remains.
        assert LedgerLine.objects.aggregate(s=Sum("amount"))["s"] == 1_000
        assert LedgerLine.objects.filter(adjustment__gt=0).count() == 3
        assert _run(NOVEMBER).lines_added == 0


def test_an_interrupted_run_resumed_ends_with_the_ledger_of_an_uninterrupted_one(people_a, monkeypatch):
    with tenant_context(people_a.tenant):
        _publish()
        deals = [_won_deal(people_a.partner, n=n, amount=100_000 * (n + 1)) for n in range(6)]
        _run(OCTOBER)
        for n, deal in enumerate(deals):
            services.deal_correct_win(deal=deal, actor=people_a.channel_manager, won_amount=100_000 * (n + 1) + 10_000,
                                      won_on=None, reason="訂正")
        monkeypatch.setattr(runs, "BATCH", 2)

        class Stopped(Exception):
            pass

        def stop(run):
            raise Stopped  # the worker dies once the first batch is committed

        run = runs.run_start(period=NOVEMBER)
        with pytest.raises(Stopped):
            runs.run_execute(run.pk, progress=stop)
        assert LedgerLine.objects.filter(adjustment=1).count() == 2
        _run(NOVEMBER)
        assert _run(NOVEMBER).lines_added == 0
        adjustments = sorted(LedgerLine.objects.filter(adjustment__gt=0).values_list("event_id", "adjustment", "amount"))
        assert adjustments == sorted((f"deal:{deal.pk}:2-won", 1, 1_000) for deal in deals)
