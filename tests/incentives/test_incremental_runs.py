"""An incremental commission run writes exactly what a full recomputation writes: month by month, with
wins corrected, cancelled and reopened after their month was run, invoices and certifications recorded
late, re-runs of finished months and earlier months run again — on the demo's plans and on random plans."""

from __future__ import annotations

import gc
import json
import random
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals import services
from deals.models import DealRegistration, Priority, Product, Stage
from demo import incentives as demo
from incentives import runs
from incentives.models import CommissionRun, InvoicePayment, LedgerLine, Plan
from partners.models import ContactSignal, Partner, SignalKind
from programs.models import Tier, TierChange
from tests.incentives.test_explain import random_rule

MONTHS = [date(2026, month, 1) for month in range(4, 13)]


def _example() -> dict:
    data = json.loads((settings.BASE_DIR / "incentives" / "examples" / "reseller-fy2026.json").read_text())
    data.pop("applies_to")
    return data


def _publish(document: dict) -> None:
    runs.plan_publish(plan=Plan.objects.create(code=document["code"], name=document["name"]), document=document,
                      actor=None)


def _ledger_since(pk: int) -> list[tuple]:
    return sorted(LedgerLine.objects.filter(pk__gt=pk).values_list(*runs.COLUMNS))


def _last_pk() -> int:
    return LedgerLine.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class Scenario:
    """Deals, invoices and certifications month by month, and changes to earlier wins."""

    def __init__(self, people, rng: random.Random):
        self.people, self.rng, self.n = people, rng, 0
        distributor = Partner.objects.create(name="一次店", partner_type="distributor")
        self.partners = [people.partner, people.other_partner, distributor,
                         Partner.objects.create(name="二次店A", partner_type="resale", parent=distributor),
                         Partner.objects.create(name="二次店B", partner_type="resale", parent=distributor)]
        self.products = [Product.objects.get_or_create(code=code, defaults={"name": code})[0]
                         for code in ("kyoso-cloud", "kyoso-crm")]

    def day_in(self, month: date) -> date:
        last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return month + timedelta(days=self.rng.randrange((min(last, timezone.localdate()) - month).days + 1))

    def month(self, month: date) -> None:
        rng = self.rng
        for _n in range(rng.randint(3, 8)):
            self.n += 1
            registered = self.day_in(month)
            won = rng.random() < 0.75
            amount = rng.choice([300_000, 800_000, 2_500_000, 12_000_000])
            won_on = min(registered + timedelta(days=rng.randrange(20)), timezone.localdate())
            deal = DealRegistration(
                partner=rng.choice(self.partners), customer_name=f"株式会社増分{self.n}", amount=amount,
                expected_close=won_on, stage=Stage.WON if won else Stage.NEGOTIATION, priority=Priority.HOLDER,
                won_amount=amount if won else None, won_on=won_on if won else None,
                registered_at=timezone.make_aware(timezone.datetime(registered.year, registered.month, registered.day, 10)),
                closed_at=timezone.now() if won else None)
            services.apply_keys(deal, services.customer_keys_for(deal.customer_name, "", ""))
            deal.save()
            if rng.random() < 0.7:
                deal.products.add(rng.choice(self.products))
        for deal in DealRegistration.objects.filter(stage__in=[Stage.WON, Stage.CANCELLED], won_on__isnull=False):
            if rng.random() < 0.4:
                InvoicePayment.objects.create(deal=deal, paid_on=max(self.day_in(month), deal.won_on - timedelta(days=3)),
                                              amount=rng.choice([50_000, 120_000]), reference=f"INV-{deal.pk}-{month:%m}")
        tiers = list(Tier.objects.filter(code__in=["gold", "silver", "bronze"]))
        for partner in self.partners:
            if tiers and rng.random() < 0.3:  # a tier applied this month, sometimes recorded as of an earlier day
                day = self.day_in(month) - timedelta(days=rng.choice([0, 0, 45]))
                TierChange.objects.create(partner=partner, to_tier=rng.choice(tiers), direction="up", status="applied",
                                          decided_at=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12)))
            if rng.random() < 0.5:
                day = self.day_in(month)
                ContactSignal.objects.create(partner=partner, kind=rng.choice([SignalKind.CERTIFIED, SignalKind.SESSION_ATTENDED]),
                                             occurred_at=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 9)))

    def change_earlier_wins(self, month: date) -> None:
        rng, actor = self.rng, self.people.channel_manager
        for deal in DealRegistration.objects.filter(won_on__lt=month, stage=Stage.WON).order_by("pk"):
            roll = rng.random()
            if roll < 0.08:
                services.deal_correct_win(deal=deal, actor=actor, won_amount=deal.won_amount + rng.choice([-100_000, 4_000_000]),
                                          won_on=None, reason="金額訂正")
            elif roll < 0.12 and timezone.localtime(deal.registered_at).date() < deal.won_on:
                services.deal_correct_win(deal=deal, actor=actor, won_amount=None, reason="日付訂正",
                                          won_on=max(timezone.localtime(deal.registered_at).date(),
                                                     deal.won_on - timedelta(days=rng.randrange(1, 40))))
            elif roll < 0.22:
                services.deal_cancel_won(deal=deal, actor=actor, reason="解約",
                                         cancelled_on=min(deal.won_on + timedelta(days=rng.randrange(0, 120)),
                                                          timezone.localdate()))
            elif roll < 0.25:
                services.deal_reopen_won(deal=deal, actor=actor, reason="誤登録")


def _run_and_compare(period: date, *, expect_nothing: bool = False) -> CommissionRun:
    """The incremental run must write exactly the lines a full recomputation would; after it, nothing is missing."""
    expected = sorted(runs.verify(period))
    before = _last_pk()
    run = runs.run_execute(runs.run_start(period=period).pk)
    assert run.status == "done", run.error
    assert _ledger_since(before) == expected, (period, run.since)
    assert runs.verify(period) == []
    if expect_nothing:
        assert expected == [] and run.since is None
    return run


def _timeline(people, rng: random.Random) -> None:
    scenario = Scenario(people, rng)
    for index, month in enumerate(MONTHS):
        scenario.month(month)
        if index:
            scenario.change_earlier_wins(month)
        run = _run_and_compare(month)
        assert run.since is not None and run.since <= month
        _run_and_compare(month, expect_nothing=True)  # a finished month again: nothing read, nothing written
        if index >= 2 and rng.random() < 0.4:
            scenario.change_earlier_wins(month)
            _run_and_compare(MONTHS[index - 1])  # an earlier month again, after changes


def test_on_the_demo_plans_incremental_runs_write_what_full_runs_write(people_a):
    with tenant_context(people_a.tenant):
        for document in (_example(), demo.REFERRAL_PLAN, demo.SPIF_PLAN):
            _publish(document)
        _timeline(people_a, random.Random(7))
        assert LedgerLine.objects.filter(adjustment__gt=0).exists()
        assert LedgerLine.objects.filter(rule_id="cancellation-clawback").exists()
        assert LedgerLine.objects.filter(rule_id="subscription-share").exists()


@pytest.mark.parametrize("seed", range(5))
def test_on_random_plans_incremental_runs_write_what_full_runs_write(people_a, seed):
    rng = random.Random(seed)
    with tenant_context(people_a.tenant):
        for number in range(2):
            rules = [random_rule(rng, n) for n in range(rng.randint(2, 7))]
            rules.append({"id": "claw", "kind": "clawback", "within_days": rng.choice([30, 400])})
            document = {"code": f"random-{seed}-{number}", "name": f"ランダム {seed}-{number}", "currency": "JPY",
                        "fiscal_year_start_month": rng.choice([1, 4, 7]), "valid_from": "2026-04-01",
                        "valid_to": "2027-03-31", "rules": rules}
            if rng.random() < 0.5:
                document["applies_to"] = {"tiers": ["gold", "silver"]}
            _publish(document)
        _timeline(people_a, rng)


def test_a_new_plan_version_recomputes_every_month(people_a):
    with tenant_context(people_a.tenant):
        _publish(_example())
        scenario = Scenario(people_a, random.Random(3))
        for month in MONTHS[:4]:
            scenario.month(month)
            _run_and_compare(month)
        changed = {**_example(), "rules": [{**rule, "rate": "0.2"} if rule["id"] == "resale-margin" else rule
                                           for rule in _example()["rules"]]}
        runs.plan_publish(plan=Plan.objects.get(code=changed["code"]), document=changed, actor=None)
        run = _run_and_compare(MONTHS[3])
        assert run.since == MONTHS[0] and run.lines_added > 0


def _unordered_ids(table: str) -> list[int]:
    """The table's ids in the order a scan without ORDER BY gives them (the rows' places in the table)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table}")  # noqa: S608 — a fixed table name
        return [row[0] for row in cursor.fetchall()]


def test_the_events_come_in_their_ids_order_so_a_sort_by_day_is_the_processing_order(people_a):
    """recorded_events reads each source by id and puts the sources in the order of their ids' prefixes, so the
    runs' sort by day alone (in_order's ids_in_order) gives engine.event_order, ties of a day included: for the
    whole history and for what an incremental run reads. Rows are rewritten first so that the tables no longer
    hold them in id order, as a real history's corrections leave them."""
    from incentives import engine, incremental

    with tenant_context(people_a.tenant):
        _publish(_example())
        scenario = Scenario(people_a, random.Random(3))
        for index, month in enumerate(MONTHS[:6]):
            scenario.month(month)
            if index:
                scenario.change_earlier_wins(month)
        for model in (DealRegistration, InvoicePayment, ContactSignal):  # the oldest rows move to the end
            oldest = list(model.objects.order_by("pk").values_list("pk", flat=True)[:3])
            model.objects.filter(pk__in=oldest).update(id=F("id"))
            ids = _unordered_ids(model._meta.db_table)
            assert ids != sorted(ids), model
        until = MONTHS[5] + timedelta(days=29)
        plans = [engine.parse_plan(version.document) for version in runs.active_versions()]
        reads = {"whole history": runs.recorded_events(until),
                 "incremental": runs.recorded_events(until, since=incremental.windows(plans, MONTHS[3]),
                                                     wins_of=DealRegistration.objects.values_list("pk", flat=True)[:5])}
        for label, events in reads.items():
            ids = [event.event_id for event in events]
            assert ids == sorted(ids, key=engine.natural_key), label
            assert {event_id.split(":")[0] for event_id in ids} == {"deal", "invoice", "certification", "session"}
            ordered = engine.in_order(events, ids_in_order=True)
            assert ordered == sorted(events, key=engine.event_order), label
            days = [event.occurred_on for event in ordered]
            assert len(days) - len(set(days)) > 10, label  # days with several events: their order is tested too
        events, infos = reads["whole history"], runs.partner_infos()
        for plan in plans:
            assert engine.compute(plan, events, infos, ids_in_order=True) == engine.compute(plan, events, infos)


def test_verify_reports_a_ledger_that_differs_and_writes_nothing(people_a, capsys):
    with tenant_context(people_a.tenant):
        _publish(_example())
        Scenario(people_a, random.Random(5)).month(MONTHS[0])
        _run_and_compare(MONTHS[0])
        line = LedgerLine.objects.order_by("pk").first()
        LedgerLine.objects.filter(pk=line.pk).update(amount=line.amount + 1)  # as a bad migration or a bug would
        count = LedgerLine.objects.count()
        with pytest.raises(SystemExit) as exit_, translation.override("en"):  # the operator's language: English here
            call_command("run_commissions", slug=people_a.tenant.slug, period="2026-04", verify=True)
        assert exit_.value.code == 1
        assert "would add 1 ledger lines" in capsys.readouterr().err
        assert LedgerLine.objects.count() == count
        LedgerLine.objects.filter(pk=line.pk).update(amount=line.amount)
        with translation.override("en"):
            call_command("run_commissions", slug=people_a.tenant.slug, period="2026-04", verify=True)
        assert "is what a full recomputation writes" in capsys.readouterr().out


def test_a_full_recomputation_leaves_the_cycle_collector_as_it_found_it(people_a):
    """The runs pause Python's cycle collector while they compute: a worker must get it back afterwards (or
    keep it off when it was off), else every later task of the worker would leak what it leaves in cycles."""
    with tenant_context(people_a.tenant):
        _publish(_example())
        Scenario(people_a, random.Random(5)).month(MONTHS[0])
        assert gc.isenabled()
        assert runs.verify(MONTHS[0])  # the month was never run: every line is missing
        assert gc.isenabled()
        gc.disable()
        try:
            runs.verify(MONTHS[0])
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_verify_finds_a_missing_line_a_line_no_longer_computed_and_leaves_a_later_events_line(people_a):
    """The full recomputation compares the ledger summed per key with the engine's lines: a key deleted from the
    ledger comes back whole, a key of an event that no longer exists is given back on the period's last day,
    and a key of an event after the period is left to a later run."""
    with tenant_context(people_a.tenant):
        _publish(_example())
        Scenario(people_a, random.Random(5)).month(MONTHS[0])
        _run_and_compare(MONTHS[0])
        missing = LedgerLine.objects.filter(event_id__startswith="deal:").order_by("pk").first()
        row = tuple(getattr(missing, column) for column in runs.COLUMNS)
        LedgerLine.objects.filter(pk=missing.pk).delete()
        gone = LedgerLine.objects.create(
            partner_id=missing.partner_id, plan_version_id=missing.plan_version_id, event_id="deal:999999:2-won",
            rule_id="resale-margin", amount=12_345, period=missing.period, event_date=missing.event_date,
            run_id=missing.run_id)
        deal = DealRegistration.objects.filter(won_on__isnull=False).order_by("pk").first()
        invoice = InvoicePayment.objects.create(deal=deal, paid_on=date(2026, 5, 10), amount=50_000)
        LedgerLine.objects.create(
            partner_id=deal.partner_id, plan_version_id=missing.plan_version_id, event_id=f"invoice:{invoice.pk}",
            rule_id="subscription-share", amount=5_000, period=date(2026, 5, 1), event_date=invoice.paid_on,
            run_id=missing.run_id)
        assert sorted(runs.verify(MONTHS[0])) == sorted([
            row,
            (gone.partner_id, gone.plan_version_id, gone.event_id, gone.rule_id, 0, 1, -12_345, date(2026, 4, 30)),
        ])
