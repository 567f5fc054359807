"""The engine's explanation: every rule considered on an event, paid or why not, from the run that pays."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import translation

from incentives import engine
from incentives.engine import Event, PartnerChange, PartnerInfo, compute, explain
from tests.incentives.test_engine import (
    CLAWBACK_EVENTS,
    CLAWBACK_PARTNERS,
    MARGIN,
    OVERRIDE,
    RECURRING,
    clawback_plan,
    ev,
    invoice,
    make_plan,
    session,
    won,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def reasons(explanation: engine.Explanation, event_id: str) -> dict[str, str | None]:
    return {step.rule.id: step.reason for step in explanation.steps if step.event.event_id == event_id}


def amounts(explanation: engine.Explanation, event_id: str) -> dict[str, list[int]]:
    return {step.rule.id: [line.amount for _partner, line in step.lines]
            for step in explanation.steps if step.event.event_id == event_id and step.paid}


def test_it_says_why_each_rule_paid_nothing_on_a_win():
    spif = {"id": "spif", "kind": "fixed", "on": "deal_won", "amount": 50_000, "products": ["kyoso-cloud"],
            "from": "2026-10-01", "to": "2026-12-31", "cap_count": 1, "cap_period": "month"}
    registration = {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 10_000}
    plan = make_plan(MARGIN, spif, registration, OVERRIDE, valid_from="2026-04-01", valid_to="2027-03-31")
    partners = {"P1": PartnerInfo("P1", "resale", "gold")}
    events = [won("e1", "2026-09-30", "P1", 1_000, product="kyoso-cloud"),
              won("e2", "2026-10-01", "P1", 1_000, product="kyoso-crm"),
              won("e3", "2026-10-02", "P1", 1_000, product="kyoso-cloud"),
              won("e4", "2026-10-03", "P1", 1_000, product="kyoso-cloud"),
              won("e5", "2027-04-01", "P1", 1_000, product="kyoso-cloud")]
    explanation = explain(plan, events, partners)
    assert reasons(explanation, "e1") == {"margin": None, "spif": "outside_rule_window",
                                          "registration": "wrong_event_kind", "override": "no_parent"}
    assert reasons(explanation, "e2")["spif"] == "product_not_covered"
    assert amounts(explanation, "e3") == {"margin": [150], "spif": [50_000]}
    assert reasons(explanation, "e4")["spif"] == "cap_reached"
    assert reasons(explanation, "e5") == {"margin": "outside_plan_window", "spif": "outside_rule_window",
                                          "registration": "wrong_event_kind", "override": "outside_plan_window"}


def test_it_names_the_type_or_tier_the_partner_had_on_the_day():
    partners = {"P1": PartnerInfo("P1", "resale", "gold", changes=(PartnerChange(date(2026, 10, 1), "resale", "bronze"),)),
                "P2": PartnerInfo("P2", "referral", "gold")}
    plan = make_plan(MARGIN, applies_to={"partner_types": ["resale"], "tiers": ["gold"]})
    explanation = explain(plan, [won("a", "2026-09-30", "P1", 1_000), won("b", "2026-10-01", "P1", 1_000),
                                 won("c", "2026-10-01", "P2", 1_000)], partners)
    assert [step.reason for step in explanation.steps] == [None, "tier_not_eligible", "partner_type_not_eligible"]


def test_thresholds_recurring_and_zero_lines_have_their_reasons():
    bonus = {"id": "bonus", "kind": "threshold_bonus", "on": "deal_won", "period": "year", "threshold": 1_000,
             "amount": 300}
    plan = make_plan(bonus, {**MARGIN, "rate": "0.001"}, {**RECURRING, "months": 1})
    events = [won("w1", "2026-04-01", "P1", 600, "D1"), won("w2", "2026-04-02", "P1", 600, "D2"),
              won("w3", "2026-04-03", "P1", 600, "D3"), invoice("i1", "2026-06-01", "D1"),
              invoice("i2", "2026-06-01", "NONE"), invoice("i3", "2026-05-01", "D1")]
    explanation = explain(plan, events)
    assert reasons(explanation, "w1") == {"bonus": "below_threshold", "margin": "zero_amount", "share": "wrong_event_kind"}
    assert reasons(explanation, "w2")["bonus"] is None
    assert reasons(explanation, "w3")["bonus"] == "already_paid"
    assert reasons(explanation, "i1")["share"] == "recurring_outside_months"
    assert reasons(explanation, "i2")["share"] == "no_win"
    assert reasons(explanation, "i3")["share"] is None


def test_a_clawback_says_when_it_is_too_late_and_what_it_gave_back():
    explanation = explain(clawback_plan("1"), CLAWBACK_EVENTS, CLAWBACK_PARTNERS, event_ids=["c1", "c2"])
    assert {step.event.event_id for step in explanation.steps} == {"c1", "c2"}
    assert reasons(explanation, "c2")["clawback"] == "clawback_outside_window"
    given_back = [line for step in explanation.steps if step.event.event_id == "c1" for _partner, line in step.lines]
    assert given_back and all(line.kind == "clawback" and line.amount == -line.reverses.amount for line in given_back)
    second = explain(clawback_plan("1"), [won("w", "2026-04-01", "P1", 0, "Z"),
                                          ev("c", "2026-04-02", "P1", "deal_cancelled", deal="Z")], CLAWBACK_PARTNERS)
    assert reasons(second, "c")["clawback"] == "nothing_to_reverse"


def test_explain_tracks_only_the_events_asked_for_and_pays_as_compute_does():
    events = [session(f"s{n}", "2026-04-0%d" % (n + 1)) for n in range(3)]
    plan = make_plan({"id": "session", "kind": "fixed", "on": "session_attended", "amount": 100, "cap_count": 2,
                      "cap_period": "month"})
    explanation = explain(plan, events, event_ids=["s2"])
    assert [(step.event.event_id, step.reason) for step in explanation.steps] == [("s2", "cap_reached")]
    assert explanation.result == compute(plan, events)


# --------------------------------------------------------------------------- random plans


PRODUCTS = ["kyoso-cloud", "kyoso-crm", ""]


def random_rule(rng: random.Random, n: int) -> dict[str, Any]:
    kind = rng.choice(["percent", "fixed", "stepped", "threshold_bonus", "recurring", "override", "clawback"])
    rule: dict[str, Any] = {"id": f"r{n}", "kind": kind}
    on_amount = rng.choice(["deal_won", "invoice_paid"])
    if kind == "percent":
        rule |= {"on": on_amount, "rate": rng.choice(["0.1", "0.15", "0.001", "0"])}
    elif kind == "fixed":
        rule |= {"on": rng.choice(["deal_registered", "deal_won", "invoice_paid", "certification_earned",
                                    "session_attended"]), "amount": rng.choice([0, 1, 5_000])}
    elif kind == "stepped":
        rule |= {"on": on_amount, "period": rng.choice(["month", "quarter", "year"]),
                 "mode": rng.choice(["marginal", "retroactive"]),
                 "brackets": [{"from": 0, "rate": "0"}, {"from": 500_000, "rate": "0.02"},
                              {"from": 2_000_000, "rate": "0.05"}]}
    elif kind == "threshold_bonus":
        rule |= {"on": on_amount, "period": rng.choice(["month", "quarter"]), "threshold": rng.choice([1, 1_000_000]),
                 "amount": 30_000}
    elif kind == "recurring":
        rule |= {"on": "invoice_paid", "rate": "0.1", "months": rng.choice([1, 2, 12])}
    elif kind == "override":
        rule |= {"on": on_amount, "rate": "0.05"}
    else:
        rule |= {"within_days": rng.choice([10, 60, 400]), "share": rng.choice(["1", "0.5"])}
    if rng.random() < 0.3:
        rule["products"] = rng.sample(PRODUCTS[:2], rng.randint(1, 2))
    if rng.random() < 0.3:
        rule["from"], rule["to"] = "2026-06-01", rng.choice(["2026-08-31", "2027-01-31"])
    if rng.random() < 0.3:
        rule["cap_count"], rule["cap_period"] = rng.randint(1, 3), rng.choice(["month", "quarter", "year"])
    return rule


def random_case(seed: int) -> tuple[engine.Plan, list[Event], dict[str, PartnerInfo]]:
    rng = random.Random(seed)
    applies: dict[str, Any] = {}
    if rng.random() < 0.5:
        applies["tiers"] = rng.sample(["gold", "silver", "bronze"], 2)
    if rng.random() < 0.3:
        applies["partner_types"] = ["resale"]
    fields: dict[str, Any] = {"valid_from": "2026-04-01", "valid_to": rng.choice(["2026-12-31", "2027-03-31"])}
    if applies:
        fields["applies_to"] = applies
    plan = make_plan(*(random_rule(rng, n) for n in range(rng.randint(1, 7))), **fields)
    partners = {"D1": PartnerInfo("D1", "distributor", "gold")}
    for n in range(6):
        changes = (PartnerChange(date(2026, rng.randint(5, 12), 1), "resale", rng.choice(["gold", "bronze"])),) \
            if rng.random() < 0.5 else ()
        partners[f"P{n}"] = PartnerInfo(f"P{n}", rng.choice(["resale", "referral"]), rng.choice(["gold", "silver", "bronze"]),
                                        "D1" if n % 2 else None, changes)
    events: list[Event] = []
    start = date(2026, 3, 1)
    for n in range(rng.randint(5, 40)):
        partner, day = rng.choice(sorted(partners)), start + timedelta(days=rng.randrange(420))
        product = rng.choice(PRODUCTS)
        events.append(Event(f"r{n}", day, partner, "deal_registered", None, f"X{n}", product))
        if rng.random() < 0.8:
            won_on = day + timedelta(days=rng.randrange(30))
            events.append(Event(f"w{n}", won_on, partner, "deal_won", rng.choice([0, 7, 300_000, 1_500_000]), f"X{n}",
                                product))
            for k in range(rng.randint(0, 3)):
                events.append(Event(f"i{n}-{k}", won_on + timedelta(days=rng.randrange(-5, 200)), partner, "invoice_paid",
                                    rng.choice([1, 50_000]), f"X{n}", product))
            if rng.random() < 0.3:
                events.append(Event(f"c{n}", won_on + timedelta(days=rng.randrange(1, 120)), partner, "deal_cancelled",
                                    None, f"X{n}", product))
        if rng.random() < 0.3:
            events.append(Event(f"k{n}", day, partner, rng.choice(["certification_earned", "session_attended"])))
    return plan, events, partners


@pytest.mark.parametrize("seed", range(60))
def test_on_random_plans_the_explanation_and_the_payment_agree(seed):
    plan, events, partners = random_case(seed)
    paid = compute(plan, events, partners)
    explanation = explain(plan, events, partners)
    assert explanation.result == paid
    # Every line paid appears once, as paid, under its own event and rule; nothing else is paid.
    explained = sorted((partner, line.event_id, line.rule, line.amount, line.kind)
                       for step in explanation.steps for partner, line in step.lines)
    assert explained == sorted((partner, line.event_id, line.rule, line.amount, line.kind)
                               for partner, result in paid.partners.items() for line in result.lines)
    for step in explanation.steps:
        assert step.paid == bool(step.lines)
        assert step.reason is None or step.reason in engine.REASONS
        assert all(line.event_id == step.event.event_id and line.rule == step.rule.id for _p, line in step.lines)
    # Each event is explained against every rule of the plan, once.
    for event in events:
        assert sorted(step.rule.id for step in explanation.steps if step.event is event) == \
            sorted(rule.id for rule in plan.rules)
