"""The incentive engine and `simulate_incentives`: every yen below is computed by hand."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from incentives import engine
from incentives.engine import (
    Event,
    InputError,
    PartnerChange,
    PartnerInfo,
    PlanError,
    compute,
    months_after,
    natural_key,
    parse_events,
    parse_plan,
    period_key,
    read_events_csv,
    read_partners_csv,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "incentives" / "examples"
EVENTS_HEADER = "event_id,occurred_on,partner,event,amount,deal,product"

MARGIN = {"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.15"}
BRACKETS = [{"from": 0, "rate": "0.01"}, {"from": 1_000_000, "rate": "0.05"}, {"from": 2_000_000, "rate": "0.10"}]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def plan_data(*rules: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"code": "test", "name": "テスト", "currency": "JPY", "fiscal_year_start_month": 4,
            "valid_from": "2025-04-01", "valid_to": "2028-03-31", "rules": list(rules), **fields}


def make_plan(*rules: dict[str, Any], **fields: Any) -> engine.Plan:
    return parse_plan(plan_data(*rules, **fields))


def ev(event_id: str, day: str, partner: str, kind: str, amount: int | None = None, deal: str = "",
       product: str = "") -> Event:
    return Event(event_id, date.fromisoformat(day), partner, kind, amount, deal, product)


def won(event_id: str, day: str, partner: str, amount: int, deal: str | None = None, product: str = "") -> Event:
    return ev(event_id, day, partner, "deal_won", amount, deal or f"D-{event_id}", product)


def paid(result: engine.Result) -> dict[str, list[tuple[str, str, int]]]:
    return {partner: [(line.event_id, line.rule, line.amount) for line in lines.lines]
            for partner, lines in result.partners.items()}


def totals(result: engine.Result) -> dict[str, int]:
    return {partner: lines.total for partner, lines in result.partners.items()}


# --------------------------------------------------------------------------- money


def test_it_truncates_each_line_toward_zero_and_writes_no_zero_yen_lines():
    result = compute(make_plan(MARGIN), [won("e1", "2026-04-01", "P1", 333), won("e2", "2026-04-01", "P2", 3),
                                         won("e3", "2026-04-02", "P1", 1_000_001)])
    # 49.95 → 49; 0.45 → nothing, so P2 is left out; 150,000.15 → 150,000
    assert paid(result) == {"P1": [("e1", "margin", 49), ("e3", "margin", 150_000)]}
    assert totals(result) == {"P1": 150_049}


def test_it_keeps_the_largest_products_exact():
    rule = {**MARGIN, "rate": "0.123456789012"}
    result = compute(make_plan(rule), [won("e1", "2026-04-01", "P1", 999_999_999_999_999)])
    assert paid(result) == {"P1": [("e1", "margin", 999_999_999_999_999 * 123_456_789_012 // 10**12)]}


def test_it_pays_fixed_amounts_on_every_kind_of_event():
    rules = [{"id": f"fixed-{kind}", "kind": "fixed", "on": kind, "amount": amount} for kind, amount in
             (("deal_registered", 10_000), ("certification_earned", 30_000), ("session_attended", 2_000),
              ("invoice_paid", 500), ("deal_won", 7))]
    events = [ev("e1", "2026-04-01", "P1", "deal_registered", deal="D1"),
              ev("e2", "2026-04-02", "P1", "certification_earned"),
              ev("e3", "2026-04-03", "P1", "session_attended"),
              ev("e4", "2026-04-04", "P1", "invoice_paid", 1, "D1"),
              won("e5", "2026-04-05", "P1", 0, "D1")]
    assert paid(compute(make_plan(*rules), events)) == {"P1": [
        ("e1", "fixed-deal_registered", 10_000), ("e2", "fixed-certification_earned", 30_000),
        ("e3", "fixed-session_attended", 2_000), ("e4", "fixed-invoice_paid", 500), ("e5", "fixed-deal_won", 7)]}


# --------------------------------------------------------------------------- stepped


def stepped(mode: str, period: str = "year", brackets: list[dict[str, Any]] | None = None, **fields: Any) -> dict:
    return {"id": "step", "kind": "stepped", "on": "deal_won", "period": period, "mode": mode,
            "brackets": brackets or BRACKETS, **fields}


def test_marginal_pays_each_yen_at_the_rate_of_its_bracket():
    events = [won("e1", "2026-04-01", "P1", 700_000), won("e2", "2026-04-02", "P1", 500_000),
              won("e3", "2026-04-03", "P1", 1_000_000), won("e4", "2026-04-01", "P2", 2_500_000),
              won("e5", "2026-04-01", "P3", 1_000_050)]
    assert paid(compute(make_plan(stepped("marginal")), events)) == {
        "P1": [("e1", "step", 7_000),  # 700,000 × 1%
               ("e2", "step", 13_000),  # 300,000 × 1% + 200,000 × 5%
               ("e3", "step", 60_000)],  # 800,000 × 5% + 200,000 × 10%; never a catch-up
        "P2": [("e4", "step", 110_000)],  # 1,000,000 × 1% + 1,000,000 × 5% + 500,000 × 10%
        "P3": [("e5", "step", 10_002)],  # 10,000 + 50 × 5% = 10,002.5, truncated once
    }


def test_retroactive_pays_the_whole_amount_at_the_reached_rate_with_a_catch_up_line():
    events = [won("e1", "2026-04-01", "P1", 700_000), won("e2", "2026-04-02", "P1", 500_000),
              won("e3", "2026-04-03", "P1", 1_000_000), won("e4", "2026-04-04", "P1", 100_000)]
    result = compute(make_plan(stepped("retroactive")), events)
    assert paid(result) == {"P1": [
        ("e1", "step", 7_000),  # 1%
        ("e2", "step", 25_000),  # 1,200,000 reaches 5%: 500,000 × 5%
        ("e2", "step", 28_000),  # catch-up: floor(700,000 × 5%) − 7,000
        ("e3", "step", 100_000),  # 2,200,000 reaches 10%
        ("e3", "step", 60_000),  # catch-up: floor(1,200,000 × 10%) − (7,000 + 25,000 + 28,000)
        ("e4", "step", 10_000),  # still 10%: no catch-up
    ]}
    assert [line.kind for line in result.partners["P1"].lines] == ["pay", "pay", "catch_up", "pay", "catch_up", "pay"]
    assert totals(result) == {"P1": 230_000}  # = 2,300,000 × 10%


def test_retroactive_reaches_a_bracket_at_exactly_its_from_and_truncates_the_catch_up():
    exact = [won("e1", "2026-04-01", "P1", 400_000), won("e2", "2026-04-02", "P1", 600_000)]
    assert paid(compute(make_plan(stepped("retroactive")), exact)) == {"P1": [
        ("e1", "step", 4_000), ("e2", "step", 30_000), ("e2", "step", 16_000)]}  # floor(400,000 × 5%) − 4,000
    odd = [{"from": 0, "rate": "0.013"}, {"from": 1_000, "rate": "0.027"}]
    events = [won("e1", "2026-04-01", "P1", 777), won("e2", "2026-04-02", "P1", 555)]
    assert paid(compute(make_plan(stepped("retroactive", brackets=odd)), events)) == {"P1": [
        ("e1", "step", 10),  # 777 × 1.3% = 10.101
        ("e2", "step", 14),  # 555 × 2.7% = 14.985
        ("e2", "step", 10),  # floor(777 × 2.7% = 20.979) − 10
    ]}


def test_retroactive_pays_no_catch_up_when_the_first_event_jumps_brackets():
    assert paid(compute(make_plan(stepped("retroactive")), [won("e1", "2026-04-01", "P1", 2_500_000)])) == {
        "P1": [("e1", "step", 250_000)]}


def test_stepped_totals_start_again_each_fiscal_quarter():
    events = [won("e1", "2026-06-30", "P1", 900_000), won("e2", "2026-07-01", "P1", 900_000),
              won("e3", "2026-09-30", "P1", 200_000), won("e4", "2026-07-02", "P2", 1_100_000)]
    assert paid(compute(make_plan(stepped("retroactive", period="quarter")), events)) == {
        "P1": [("e1", "step", 9_000),  # Q1
               ("e2", "step", 9_000),  # Q2 starts at 0: still 1%
               ("e3", "step", 10_000), ("e3", "step", 36_000)],  # floor(900,000 × 5%) − 9,000
        "P2": [("e4", "step", 55_000)],  # partners never share a total
    }


# --------------------------------------------------------------------------- threshold bonus


def test_a_threshold_bonus_is_paid_once_per_partner_and_period_on_the_event_that_reaches_it():
    rule = {"id": "bonus", "kind": "threshold_bonus", "on": "deal_won", "period": "quarter", "threshold": 1_000_000,
            "amount": 50_000}
    events = [won("e1", "2026-04-10", "P1", 600_000), won("e2", "2026-05-10", "P1", 400_000),
              won("e3", "2026-06-10", "P1", 5_000_000), won("e4", "2026-07-01", "P1", 1_000_000),
              won("e5", "2026-05-11", "P2", 999_999)]
    assert paid(compute(make_plan(rule), events)) == {"P1": [("e2", "bonus", 50_000), ("e4", "bonus", 50_000)]}


# --------------------------------------------------------------------------- caps


def session(event_id: str, day: str, partner: str = "P1") -> Event:
    return ev(event_id, day, partner, "session_attended")


def capped(count: int, period: str) -> dict[str, Any]:
    return {"id": "session", "kind": "fixed", "on": "session_attended", "amount": 100, "cap_count": count,
            "cap_period": period}


def paid_ids(result: engine.Result, partner: str = "P1") -> list[str]:
    return [line.event_id for line in result.partners[partner].lines]


def test_a_monthly_cap_counts_per_calendar_month_and_partner():
    events = [session("a", "2026-03-31"), session("b", "2026-04-01"), session("c", "2026-04-30"),
              session("d", "2026-05-01"), session("e", "2026-04-15", "P2")]
    result = compute(make_plan(capped(1, "month")), events)
    assert paid_ids(result) == ["a", "b", "d"] and paid_ids(result, "P2") == ["e"]


def test_a_quarterly_cap_follows_the_fiscal_year():
    events = [session("a", "2026-03-31"), session("b", "2026-04-01"), session("c", "2026-05-01"),
              session("d", "2026-06-30"), session("e", "2026-07-01"), session("f", "2026-12-31"),
              session("g", "2027-01-05"), session("h", "2027-02-01"), session("i", "2027-03-31")]
    # FY from April: Jan–Mar is Q4 of the previous fiscal year, Apr–Jun Q1, Oct–Dec Q3.
    assert paid_ids(compute(make_plan(capped(2, "quarter")), events)) == ["a", "b", "c", "e", "f", "g", "h"]


def test_a_yearly_cap_follows_the_fiscal_year():
    events = [session("a", "2026-03-31"), session("b", "2026-04-01"), session("c", "2027-03-31"),
              session("d", "2027-04-01")]
    assert paid_ids(compute(make_plan(capped(1, "year")), events)) == ["a", "b", "d"]
    calendar = make_plan(capped(1, "year"), fiscal_year_start_month=1)
    assert paid_ids(compute(calendar, events)) == ["a", "c"]


@pytest.mark.parametrize(("day", "start", "month", "quarter", "year"), [
    ("2026-04-01", 4, (2026, 4), (2026, 1), (2026, 0)),
    ("2026-03-31", 4, (2026, 3), (2025, 4), (2025, 0)),
    ("2026-12-31", 4, (2026, 12), (2026, 3), (2026, 0)),
    ("2027-01-01", 4, (2027, 1), (2026, 4), (2026, 0)),
    ("2026-03-31", 1, (2026, 3), (2026, 1), (2026, 0)),
    ("2026-10-01", 10, (2026, 10), (2026, 1), (2026, 0)),
    ("2026-09-30", 10, (2026, 9), (2025, 4), (2025, 0)),
])
def test_periods_follow_the_fiscal_year_and_months_the_calendar(day, start, month, quarter, year):
    value = date.fromisoformat(day)
    assert (period_key(value, "month", start), period_key(value, "quarter", start),
            period_key(value, "year", start)) == (month, quarter, year)


def test_an_event_past_the_cap_does_not_count_toward_a_stepped_total():
    rule = stepped("retroactive", brackets=[{"from": 0, "rate": "0.01"}, {"from": 1_000_000, "rate": "0.05"}],
                   cap_count=1, cap_period="month")
    events = [won("e1", "2026-04-01", "P1", 600_000), won("e2", "2026-04-15", "P1", 600_000),
              won("e3", "2026-05-01", "P1", 600_000)]
    # e2 is past April's cap: it pays nothing and is not part of the total, so e3 reaches
    # 1,200,000 (not 1,800,000) and its catch-up is floor(600,000 × 5%) − 6,000.
    assert paid(compute(make_plan(rule), events)) == {"P1": [("e1", "step", 6_000), ("e3", "step", 30_000),
                                                             ("e3", "step", 24_000)]}


def test_a_zero_yen_line_does_not_use_a_cap_slot():
    rule = {**MARGIN, "cap_count": 1, "cap_period": "month"}
    events = [won("e1", "2026-04-01", "P1", 3), won("e2", "2026-04-02", "P1", 1_000), won("e3", "2026-04-03", "P1", 1_000)]
    assert paid(compute(make_plan(rule), events)) == {"P1": [("e2", "margin", 150)]}


# --------------------------------------------------------------------------- products, windows, partners


def test_a_products_list_keeps_only_events_of_those_products():
    rule = {"id": "spif", "kind": "fixed", "on": "deal_won", "amount": 50_000, "products": ["kyoso-cloud", "クラウド"]}
    events = [won("e1", "2026-04-01", "P1", 1, product="kyoso-cloud"), won("e2", "2026-04-01", "P1", 1, product="kyoso-crm"),
              won("e3", "2026-04-01", "P1", 1), won("e4", "2026-04-01", "P1", 1, product="クラウド")]
    assert paid_ids(compute(make_plan(rule), events)) == ["e1", "e4"]


def test_from_and_to_narrow_the_plan_window_both_inclusive():
    rule = {"id": "spif", "kind": "fixed", "on": "deal_won", "amount": 1, "from": "2026-10-01", "to": "2026-12-31"}
    plan = make_plan(MARGIN, rule, valid_from="2026-04-01", valid_to="2027-03-31")
    events = [won("a", "2026-03-31", "P1", 100), won("b", "2026-04-01", "P1", 100), won("c", "2026-09-30", "P1", 100),
              won("d", "2026-10-01", "P1", 100), won("e", "2026-12-31", "P1", 100), won("f", "2027-01-01", "P1", 100),
              won("g", "2027-03-31", "P1", 100), won("h", "2027-04-01", "P1", 100)]
    assert paid(compute(plan, events)) == {"P1": [("b", "margin", 15), ("c", "margin", 15), ("d", "margin", 15),
                                                  ("d", "spif", 1), ("e", "margin", 15), ("e", "spif", 1),
                                                  ("f", "margin", 15), ("g", "margin", 15)]}


def test_applies_to_matches_type_and_tier():
    plan = make_plan(MARGIN, applies_to={"partner_types": ["resale"], "tiers": ["gold"]})
    partners = {"P1": PartnerInfo("P1", "resale", "gold"), "P2": PartnerInfo("P2", "resale", "silver"),
                "P3": PartnerInfo("P3", "referral", "gold"), "P4": PartnerInfo("P4", "resale", "")}
    events = [won(f"e{n}", "2026-04-01", f"P{n}", 1_000) for n in range(1, 5)]
    assert paid(compute(plan, events, partners)) == {"P1": [("e1", "margin", 150)]}
    types_only = make_plan(MARGIN, applies_to={"partner_types": ["resale"]})
    assert list(compute(types_only, events, partners).partners) == ["P1", "P2", "P4"]


def test_applies_to_uses_the_tier_on_the_day_of_the_event():
    partners = {"P1": PartnerInfo("P1", "resale", "silver", changes=(PartnerChange(date(2026, 7, 1), "resale", "gold"),
                                                                      PartnerChange(date(2026, 10, 1), "resale", "bronze")))}
    events = [won("a", "2026-06-30", "P1", 1_000), won("b", "2026-07-01", "P1", 1_000), won("c", "2026-09-30", "P1", 1_000),
              won("d", "2026-10-01", "P1", 1_000)]
    assert paid_ids(compute(make_plan(MARGIN, applies_to={"tiers": ["gold"]}), events, partners)) == ["b", "c"]


OVERRIDE = {"id": "override", "kind": "override", "on": "deal_won", "rate": "0.05"}


def test_an_override_pays_the_parent_of_the_events_partner():
    partners = {"S1": PartnerInfo("S1", "resale", "gold", "D1"), "S2": PartnerInfo("S2", "resale", "gold"),
                "D1": PartnerInfo("D1", "distributor", "gold")}
    plan = make_plan(MARGIN, OVERRIDE, applies_to={"partner_types": ["resale"]})
    events = [won("e1", "2026-04-01", "S1", 1_000_001), won("e2", "2026-04-02", "S2", 1_000_000),
              won("e3", "2026-04-03", "D1", 1_000_000)]
    # The distributor is paid on its sub-reseller's deal although the plan does not apply to distributors,
    # and earns nothing on its own deal.
    assert paid(compute(plan, events, partners)) == {"D1": [("e1", "override", 50_000)],
                                                     "S1": [("e1", "margin", 150_000)],
                                                     "S2": [("e2", "margin", 150_000)]}


def test_an_override_cap_counts_per_parent():
    partners = {"S1": PartnerInfo("S1", parent="D1"), "S2": PartnerInfo("S2", parent="D1"), "D1": PartnerInfo("D1")}
    plan = make_plan({**OVERRIDE, "cap_count": 1, "cap_period": "month"})
    events = [won("e1", "2026-04-01", "S1", 1_000), won("e2", "2026-04-02", "S2", 1_000), won("e3", "2026-05-01", "S2", 1_000)]
    assert paid(compute(plan, events, partners)) == {"D1": [("e1", "override", 50), ("e3", "override", 50)]}


def test_a_plan_that_needs_partners_is_refused_without_them():
    plan = make_plan(MARGIN, OVERRIDE, applies_to={"tiers": ["gold"]})
    with pytest.raises(InputError) as error:
        compute(plan, [won("e1", "2026-04-01", "P1", 100)])
    assert error.value.problems == [
        (None, "the plan's applies_to needs each partner's type and tier: give the partners"),
        (None, 'rule "override" pays the parent of the partner: give the partners'),
    ]


# --------------------------------------------------------------------------- recurring

RECURRING = {"id": "share", "kind": "recurring", "on": "invoice_paid", "rate": "0.10", "months": 12}


def invoice(event_id: str, day: str, deal: str, amount: int = 10_005, partner: str = "P1") -> Event:
    return ev(event_id, day, partner, "invoice_paid", amount, deal)


def test_recurring_pays_invoices_from_the_win_to_the_same_day_months_later():
    events = [won("w", "2026-04-15", "P1", 1, "D1"), invoice("before", "2026-04-14", "D1"),
              invoice("same-day", "2026-04-15", "D1"), invoice("last", "2027-04-15", "D1"),
              invoice("after", "2027-04-16", "D1")]
    assert paid(compute(make_plan(RECURRING), events)) == {"P1": [("same-day", "share", 1_000), ("last", "share", 1_000)]}


def test_recurring_counts_months_to_the_month_end_as_the_civil_code_does():
    rule = {**RECURRING, "months": 1}
    events = [won("w1", "2026-01-31", "P1", 1, "D1"), invoice("a", "2026-02-28", "D1"), invoice("b", "2026-03-01", "D1"),
              won("w2", "2026-02-28", "P1", 1, "D2"), invoice("c", "2026-03-31", "D2"), invoice("d", "2026-04-01", "D2"),
              won("w3", "2026-01-30", "P1", 1, "D3"), invoice("e", "2026-02-28", "D3"), invoice("f", "2026-03-01", "D3"),
              won("w4", "2026-03-15", "P1", 1, "D4"), invoice("g", "2026-04-15", "D4"), invoice("h", "2026-04-16", "D4")]
    assert paid_ids(compute(make_plan(rule), events)) == ["a", "e", "c", "g"]  # in date order


@pytest.mark.parametrize(("day", "months", "end"), [
    ("2026-04-15", 12, "2027-04-15"), ("2026-01-31", 1, "2026-02-28"), ("2028-01-31", 1, "2028-02-29"),
    ("2026-02-28", 1, "2026-03-31"), ("2026-01-30", 1, "2026-02-28"), ("2026-04-30", 1, "2026-05-31"),
    ("2026-11-30", 3, "2027-02-28"), ("2026-12-31", 14, "2028-02-29"), ("2026-05-31", 1, "2026-06-30"),
])
def test_months_after(day, months, end):
    assert months_after(date.fromisoformat(day), months) == date.fromisoformat(end)


def test_recurring_needs_the_deals_win_but_not_one_inside_the_plan_window():
    events = [won("w", "2025-01-10", "P1", 1, "OLD"), invoice("a", "2025-06-10", "OLD"), invoice("b", "2025-06-10", "NONE")]
    assert paid(compute(make_plan(RECURRING), events)) == {"P1": [("a", "share", 1_000)]}


# --------------------------------------------------------------------------- clawback


def clawback_plan(share: str = "0.5", **fields: Any) -> engine.Plan:
    return make_plan(
        {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 10_000},
        MARGIN,
        stepped("retroactive", brackets=[{"from": 0, "rate": "0"}, {"from": 1_000_000, "rate": "0.02"}]),
        {"id": "bonus", "kind": "threshold_bonus", "on": "deal_won", "period": "year", "threshold": 1_500_000,
         "amount": 30_000},
        RECURRING,
        OVERRIDE,
        {"id": "clawback", "kind": "clawback", "within_days": 90, "share": share, **fields},
    )


CLAWBACK_PARTNERS = {"P1": PartnerInfo("P1", "resale", "gold", "D1"), "D1": PartnerInfo("D1", "distributor", "gold")}
CLAWBACK_EVENTS = [
    ev("r1", "2026-04-01", "P1", "deal_registered", deal="A"),
    won("w1", "2026-04-02", "P1", 600_001, "A"),
    won("w2", "2026-04-10", "P1", 999_999, "B"),
    invoice("i1", "2026-05-02", "B", 33_333),
    ev("c2", "2026-07-02", "P1", "deal_cancelled", deal="A"),  # 91 days after its win: too late
    ev("c1", "2026-07-09", "P1", "deal_cancelled", deal="B"),  # 90 days after its win: clawed back
    won("w3", "2026-08-01", "P1", 100, "C"),
]


def test_a_clawback_reverses_every_line_of_the_deal_times_share_toward_zero():
    result = compute(clawback_plan(), CLAWBACK_EVENTS, CLAWBACK_PARTNERS)
    assert paid(result) == {
        "D1": [("w1", "override", 30_000),  # 600,001 × 5% = 30,000.05
               ("w2", "override", 49_999),  # 49,999.95
               ("c1", "clawback", -24_999),  # −(49,999 × 0.5 = 24,999.5)
               ("w3", "override", 5)],
        "P1": [("r1", "registration", 10_000),
               ("w1", "margin", 90_000),  # 90,000.15
               ("w2", "margin", 149_999),  # 149,999.85
               ("w2", "step", 19_999),  # 1,600,000 reaches 2%: 19,999.98
               ("w2", "step", 12_000),  # catch-up: floor(600,001 × 2%) − 0
               ("w2", "bonus", 30_000),  # 1,600,000 ≥ 1,500,000
               ("i1", "share", 3_333),  # 3,333.3
               # B's lines, each halved toward zero, in their order: A's lines stay (c2 is 91 days late)
               ("c1", "clawback", -74_999), ("c1", "clawback", -9_999), ("c1", "clawback", -6_000),
               ("c1", "clawback", -15_000), ("c1", "clawback", -1_666),
               # the cancelled deal stays in the year's total: still 2%, and no second bonus
               ("w3", "margin", 15), ("w3", "step", 2)],
    }
    assert totals(result) == {"D1": 55_005, "P1": 207_684}
    reversed_lines = [line.reverses for line in result.partners["P1"].lines if line.kind == "clawback"]
    assert [(line.event_id, line.rule, line.kind) for line in reversed_lines] == [
        ("w2", "margin", "pay"), ("w2", "step", "pay"), ("w2", "step", "catch_up"), ("w2", "bonus", "pay"),
        ("i1", "share", "pay")]


def test_a_full_clawback_is_the_exact_negative_and_can_make_a_period_negative():
    plan = clawback_plan(share="1")
    events = [ev("r", "2026-06-01", "P1", "deal_registered", deal="X"), won("w", "2026-06-20", "P1", 1_000_003, "X"),
              ev("c", "2026-07-05", "P1", "deal_cancelled", deal="X")]
    result = compute(plan, events, CLAWBACK_PARTNERS)
    assert paid(result) == {"D1": [("w", "override", 50_000), ("c", "clawback", -50_000)],
                            "P1": [("r", "registration", 10_000), ("w", "margin", 150_000), ("w", "step", 20_000),
                                   ("c", "clawback", -10_000), ("c", "clawback", -150_000), ("c", "clawback", -20_000)]}
    assert totals(result) == {"D1": 0, "P1": 0}
    assert result.period_totals("quarter") == {"D1": {(2026, 1): 50_000, (2026, 2): -50_000},
                                               "P1": {(2026, 1): 180_000, (2026, 2): -180_000}}
    assert result.period_totals("year") == {"D1": {(2026, 0): 0}, "P1": {(2026, 0): 0}}


def test_a_clawback_reaches_a_bonus_paid_on_the_cancelled_deal_and_never_pays_it_again():
    plan = clawback_plan(share="1")
    events = [won("w1", "2026-04-01", "P1", 1_600_000, "B"), ev("c1", "2026-04-02", "P1", "deal_cancelled", deal="B"),
              won("w2", "2026-04-03", "P1", 2_000_000, "C")]
    assert [(event_id, rule) for event_id, rule, _ in paid(compute(plan, events, CLAWBACK_PARTNERS))["P1"]] == [
        ("w1", "margin"), ("w1", "step"), ("w1", "bonus"), ("c1", "clawback"), ("c1", "clawback"), ("c1", "clawback"),
        ("w2", "margin"), ("w2", "step")]


def test_each_line_is_given_back_once_by_the_first_clawback_rule_that_applies():
    plan = make_plan(MARGIN, {"id": "within-30", "kind": "clawback", "within_days": 30},
                     {"id": "within-90", "kind": "clawback", "within_days": 90, "share": "0.5"})
    events = [won("wx", "2026-04-01", "P1", 1_000_000, "X"), ev("cx", "2026-04-20", "P1", "deal_cancelled", deal="X"),
              won("wy", "2026-04-01", "P1", 1_000_000, "Y"), ev("cy", "2026-06-01", "P1", "deal_cancelled", deal="Y")]
    assert paid(compute(plan, events)) == {"P1": [("wx", "margin", 150_000), ("wy", "margin", 150_000),
                                                  ("cx", "within-30", -150_000), ("cy", "within-90", -75_000)]}


def test_a_clawback_is_not_stopped_by_valid_to_or_a_later_tier():
    partners = {"P1": PartnerInfo("P1", "resale", "gold", changes=(PartnerChange(date(2027, 4, 1), "resale", "bronze"),))}
    events = [won("w", "2027-03-31", "P1", 1_000_000, "X"), ev("c", "2027-04-01", "P1", "deal_cancelled", deal="X")]
    plan_fields = {"valid_from": "2026-04-01", "valid_to": "2027-03-31", "applies_to": {"tiers": ["gold"]}}
    plan = make_plan(MARGIN, {"id": "clawback", "kind": "clawback", "within_days": 90}, **plan_fields)
    assert paid(compute(plan, events, partners)) == {"P1": [("w", "margin", 150_000), ("c", "clawback", -150_000)]}
    # …but its own from/to and products do narrow it.
    for narrowing in ({"to": "2027-03-31"}, {"products": ["kyoso-cloud"]}):
        plan = make_plan(MARGIN, {"id": "clawback", "kind": "clawback", "within_days": 90, **narrowing}, **plan_fields)
        assert paid(compute(plan, events, partners)) == {"P1": [("w", "margin", 150_000)]}


def test_a_clawback_needs_a_win_and_leaves_lines_after_the_cancellation_alone():
    events = [ev("r", "2026-04-01", "P1", "deal_registered", deal="Z"), ev("c", "2026-04-05", "P1", "deal_cancelled", deal="Z"),
              won("w", "2026-04-01", "P1", 0, "Y"), invoice("i1", "2026-04-02", "Y", 1_000),
              ev("cy", "2026-04-03", "P1", "deal_cancelled", deal="Y"), invoice("i2", "2026-04-04", "Y", 2_000)]
    assert paid(compute(clawback_plan(share="1"), events, CLAWBACK_PARTNERS)) == {"P1": [
        ("r", "registration", 10_000),  # Z was never won: the registration bonus stays
        ("i1", "share", 100), ("cy", "clawback", -100), ("i2", "share", 200)]}


def test_a_clawback_cap_counts_cancellations():
    plan = make_plan(MARGIN, {"id": "clawback", "kind": "clawback", "within_days": 90, "cap_count": 1, "cap_period": "month"})
    events = [won("w1", "2026-04-01", "P1", 1_000, "X"), won("w2", "2026-04-01", "P1", 2_000, "Y"),
              ev("c1", "2026-04-10", "P1", "deal_cancelled", deal="X"), ev("c2", "2026-04-11", "P1", "deal_cancelled", deal="Y")]
    assert paid(compute(plan, events)) == {"P1": [("w1", "margin", 150), ("w2", "margin", 300), ("c1", "clawback", -150)]}


# --------------------------------------------------------------------------- order


def test_event_ids_sort_naturally_then_as_strings():
    ids = ["e10", "e9", "e1", "e01", "E2", "100", "99"]
    assert sorted(ids, key=natural_key) == ["99", "100", "E2", "e01", "e1", "e9", "e10"]
    events = [ev(event_id, f"2026-04-0{1 + n % 3}", "P1", "session_attended") for n, event_id in enumerate(ids * 2)]
    assert engine.in_order(events) == sorted(events, key=engine.event_order)


def test_a_days_events_sort_in_event_order_whatever_their_ids():
    """in_order sorts a day's ids of printable ASCII without natural_key's tuples of parts; leading zeros,
    numbers longer than it codes, non-ASCII digits and letters, control characters: still event_order."""
    rng = random.Random(11)
    ascii_pieces = ["a", "B", ":", "-", "_", "~", "0", "00", "7", "07", "10", "99", "100", "9" * 30]
    other_pieces = [*ascii_pieces, "9" * 31, "１２", "é", "\t", "\n"]
    for trial in range(400):
        pieces = ascii_pieces if trial % 2 else other_pieces
        ids = {"".join(rng.choice(pieces) for _n in range(rng.randint(1, 5))) for _n in range(rng.randint(2, 40))}
        events = [ev(event_id, "2026-04-01", "P1", "session_attended") for event_id in ids]
        rng.shuffle(events)
        assert engine.in_order(events) == sorted(events, key=engine.event_order)


def test_events_given_in_their_ids_natural_order_need_only_a_sort_by_day():
    """in_order(ids_in_order=True), for callers that read the events in their ids' natural order (the runs):
    the stable sort by day is the whole of event_order then; given in another order, ties keep that order."""
    rng = random.Random(5)
    ids = sorted({f"{rng.choice(['deal', 'invoice', 'cert'])}:{rng.randint(1, 300)}:{rng.randint(1, 3)}"
                  for _n in range(200)}, key=natural_key)
    events = [ev(event_id, f"2026-04-0{rng.randint(1, 4)}", "P1", "session_attended") for event_id in ids]
    assert engine.in_order(events, ids_in_order=True) == sorted(events, key=engine.event_order)
    shuffled = events[::-1]
    assert engine.in_order(shuffled) == sorted(events, key=engine.event_order)
    assert engine.in_order(shuffled, ids_in_order=True) != sorted(events, key=engine.event_order)


def test_same_day_events_run_in_natural_event_id_order_whatever_the_input_order():
    rule = {"id": "bonus", "kind": "threshold_bonus", "on": "deal_won", "period": "month", "threshold": 100, "amount": 1_000}
    events = [won("e10", "2026-04-01", "P10", 100), won("e9", "2026-04-01", "P10", 100), won("e2", "2026-04-01", "P2", 100)]
    result = compute(make_plan(MARGIN, rule), events)
    assert paid(result) == {"P2": [("e2", "margin", 15), ("e2", "bonus", 1_000)],
                            "P10": [("e9", "margin", 15), ("e9", "bonus", 1_000), ("e10", "margin", 15)]}
    assert list(result.partners) == ["P2", "P10"]
    assert compute(make_plan(MARGIN, rule), events[::-1]) == result


# --------------------------------------------------------------------------- refused plans

VALID_RULES = [
    MARGIN,
    {"id": "spif", "kind": "fixed", "on": "deal_won", "amount": 1_000, "from": "2026-10-01", "to": "2026-12-31",
     "cap_count": 2, "cap_period": "month", "products": ["kyoso-cloud"]},
    stepped("retroactive"),
    {"id": "bonus", "kind": "threshold_bonus", "on": "deal_won", "period": "quarter", "threshold": 1, "amount": 1},
    RECURRING,
    OVERRIDE,
    {"id": "clawback", "kind": "clawback", "within_days": 90},
]
KINDS = "percent, fixed, stepped, threshold_bonus, recurring, override, clawback"
COMMON = "id, kind, name, products, from, to, cap_count, cap_period"


def changed_rule(rule_id: str, **fields: Any) -> dict[str, Any]:
    rules = []
    for rule in VALID_RULES:
        if rule["id"] == rule_id:
            rule = {key: value for key, value in {**rule, **fields}.items() if value is not ...}
        rules.append(rule)
    return plan_data(*rules)


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != key}


@pytest.mark.parametrize(("data", "message"), [
    (changed_rule("margin", kind="bonus"), f'rule "margin", field "kind": "bonus" is not one of {KINDS}'),
    (changed_rule("margin", rate=...), 'rule "margin", field "rate": is missing'),
    (changed_rule("margin", rate=0.15),
     'rule "margin", field "rate": 0.15 is not a decimal string such as "0.15" (in quotes, at most 12 decimals)'),
    (changed_rule("margin", rate="15%"),
     'rule "margin", field "rate": "15%" is not a decimal string such as "0.15" (in quotes, at most 12 decimals)'),
    (changed_rule("override", rate="-0.05"),
     'rule "override", field "rate": "-0.05" is not a decimal string such as "0.15" (in quotes, at most 12 decimals)'),
    (changed_rule("margin", on="deal_registered"),
     'rule "margin", field "on": "deal_registered" is not one of deal_won, invoice_paid'),
    (changed_rule("share", on="deal_won"), 'rule "share", field "on": "deal_won" is not one of invoice_paid'),
    (changed_rule("margin", rat="0.15"),
     f'rule "margin", field "rat": a percent rule has no such field; its fields are {COMMON}, on, rate'),
    (changed_rule("margin", id=...), 'rule "#1", field "id": is missing'),
    (changed_rule("spif", id="margin"), 'rule "margin", field "id": another rule has the same id'),
    (changed_rule("spif", amount="1000"),
     'rule "spif", field "amount": "1000" is not a whole number (write it without quotes or decimals, such as 10000)'),
    (changed_rule("spif", amount=True),
     'rule "spif", field "amount": true is not a whole number (write it without quotes or decimals, such as 10000)'),
    (changed_rule("spif", amount=-1), 'rule "spif", field "amount": must be between 0 and 999999999999999'),
    (changed_rule("spif", **{"from": "2026/10/01"}),
     'rule "spif", field "from": "2026/10/01" is not an ISO 8601 date such as 2026-04-01'),
    (changed_rule("spif", to="2026-09-30"), 'rule "spif", field "to": comes before from'),
    (changed_rule("spif", cap_period="week"), 'rule "spif", field "cap_period": "week" is not one of month, quarter, year'),
    (changed_rule("spif", cap_period=...),
     'rule "spif", field "cap_period": is missing: a cap needs both cap_count and cap_period'),
    (changed_rule("spif", cap_count=...),
     'rule "spif", field "cap_count": is missing: a cap needs both cap_count and cap_period'),
    (changed_rule("spif", cap_count=0), 'rule "spif", field "cap_count": must be between 1 and 999999999999999'),
    (changed_rule("spif", products="kyoso-cloud"), 'rule "spif", field "products": must be a non-empty list of texts'),
    (changed_rule("spif", products=[]), 'rule "spif", field "products": must be a non-empty list of texts'),
    (changed_rule("step", mode="flat"), 'rule "step", field "mode": "flat" is not one of marginal, retroactive'),
    (changed_rule("step", period=...), 'rule "step", field "period": is missing'),
    (changed_rule("step", brackets=[{"from": 0, "rate": "0.01"}, {"from": 2000, "rate": "0.02"}, {"from": 1000, "rate": "0.03"}]),
     'rule "step", field "brackets[3].from": brackets must ascend: 1000 does not come after 2000'),
    (changed_rule("step", brackets=[{"from": 100, "rate": "0.01"}]),
     'rule "step", field "brackets[1].from": the first bracket must start at 0'),
    (changed_rule("step", brackets=[{"from": 0, "rate": "0.05"}, {"from": 1000, "rate": "0.01"}]),
     'rule "step", field "brackets[2].rate": a retroactive rate cannot go down from one bracket to the next'),
    (changed_rule("step", brackets=[{"from": 0, "rate": "0.05", "to": 1000}]),
     'rule "step", field "brackets[1].to": a bracket has no such field; its fields are from, rate'),
    (changed_rule("step", brackets=[]),
     'rule "step", field "brackets": must be a non-empty list such as [{"from": 0, "rate": "0.10"}]'),
    (changed_rule("bonus", threshold=0), 'rule "bonus", field "threshold": must be between 1 and 999999999999999'),
    (changed_rule("share", months=...), 'rule "share", field "months": is missing'),
    (changed_rule("clawback", share="1.5"), 'rule "clawback", field "share": must be more than 0 and at most 1'),
    (changed_rule("clawback", share="0"), 'rule "clawback", field "share": must be more than 0 and at most 1'),
    (changed_rule("clawback", within_days=...), 'rule "clawback", field "within_days": is missing'),
    (changed_rule("clawback", on="deal_cancelled"),
     f'rule "clawback", field "on": a clawback rule has no such field; its fields are {COMMON}, within_days, share'),
    (without(plan_data(*VALID_RULES), "currency"), 'field "currency": is missing'),
    ({**plan_data(*VALID_RULES), "currency": "yen"}, 'field "currency": must be "JPY": commissions are computed and paid in yen only'),
    ({**plan_data(*VALID_RULES), "currency": "USD"}, 'field "currency": must be "JPY": commissions are computed and paid in yen only'),
    ({**plan_data(*VALID_RULES), "valid_from": "2026/04/01"},
     'field "valid_from": "2026/04/01" is not an ISO 8601 date such as 2026-04-01'),
    ({**plan_data(*VALID_RULES), "valid_to": "2025-03-31"}, 'field "valid_to": comes before valid_from'),
    ({**plan_data(*VALID_RULES), "fiscal_year_start_month": 13},
     'field "fiscal_year_start_month": must be between 1 and 12'),
    ({**plan_data(*VALID_RULES), "applies-to": {"tiers": ["gold"]}},
     'field "applies-to": the plan has no such field; its fields are code, name, currency, fiscal_year_start_month, '
     'valid_from, valid_to, applies_to, rules'),
    ({**plan_data(*VALID_RULES), "applies_to": {"tiers": []}}, 'field "applies_to.tiers": must be a non-empty list of texts'),
    ({**plan_data(*VALID_RULES), "applies_to": {"tier": ["gold"]}},
     'field "applies_to.tier": applies_to has no such field; its fields are partner_types, tiers'),
    (plan_data(), 'field "rules": must be a non-empty list of rules'),
    ({**plan_data(*VALID_RULES), "rules": ["margin"]}, 'rule "#1": must be a JSON object'),
    ([MARGIN], "a plan must be a JSON object"),
])
def test_it_refuses_a_bad_plan_naming_the_rule_and_the_field(data, message):
    with pytest.raises(PlanError) as error:
        parse_plan(data)
    assert error.value.message == message


def test_a_plan_error_says_which_rule_and_field():
    with pytest.raises(PlanError) as error:
        parse_plan(changed_rule("step", brackets=[{"from": 100, "rate": "0.01"}]))
    assert (error.value.rule, error.value.field) == ("step", "brackets[1].from")
    assert parse_plan(plan_data(*VALID_RULES)).rules[-1] == engine.Clawback(id="clawback", on="deal_cancelled",
                                                                           within_days=90)


# --------------------------------------------------------------------------- refused events and partners


def csv_text(*lines: str, header: str = EVENTS_HEADER) -> str:
    return "\r\n".join([header, *lines, ""])


def problems_of(function, *args, **kwargs) -> list[tuple[int | None, str]]:
    with pytest.raises(InputError) as error:
        function(*args, **kwargs)
    return error.value.problems


def test_it_refuses_malformed_event_rows_naming_each_line():
    text = csv_text(
        "e1,2026-04-01,P1,deal_won,100,D1,",
        "e2,2026/04/01,P1,deal_won,100,D2,",
        "e3,2026-04-01,P1,deal_lost,,D3,",
        "e4,2026-04-01,P1,deal_won,1000.5,D4,",
        "e5,2026-04-01,P1,deal_won,,D5,",
        "",
        "e6,2026-04-01,P1,deal_registered,100,D6,",
        "e7,2026-04-01,P1,invoice_paid,100,,",
        "e8,2026-04-01,P1,certification_earned,,D8,",
        ",2026-04-01,P1,session_attended,,,",
        "e10,2026-04-01,,session_attended,,,",
        "e11,2026-04-01,P1",
        '"e12","2026-04-01","P1","deal_won","1,000","D12",""',
        "e1,2026-04-02,P1,session_attended,,,",
        "e13,2026-04-01,P1,deal_won,１０００,D13,",
    )
    assert problems_of(read_events_csv, text) == [
        (3, 'occurred_on: "2026/04/01" is not an ISO 8601 date such as 2026-04-01'),
        (4, 'event: "deal_lost" is not one of deal_registered, deal_won, deal_cancelled, invoice_paid, '
            'certification_earned, session_attended'),
        (5, 'amount: "1000.5" is not a whole number of yen (digits only, at most 15)'),
        (6, "amount is empty; deal_won needs one"),
        (8, "amount must be empty for deal_registered"),
        (9, "deal is empty; invoice_paid names its deal"),
        (10, "deal must be empty for certification_earned"),
        (11, "event_id is empty"),
        (12, "partner is empty"),
        (13, "expected 7 columns, found 3"),
        (14, 'amount: "1,000" is not a whole number of yen (digits only, at most 15)'),
        (15, "the event_id e1 appears twice (first on line 2)"),
        (16, 'amount: "１０００" is not a whole number of yen (digits only, at most 15)'),
    ]


def test_it_refuses_a_wrong_header():
    assert problems_of(read_events_csv, csv_text("e1,2026-04-01,P1,deal_won,100,D1", header="id,date,partner,event,amount,deal")) == [
        (1, "the first line must be the header event_id,occurred_on,partner,event,amount,deal,product")]
    assert problems_of(read_partners_csv, "") == [(1, "the first line must be the header partner,type,tier,parent")]


def test_it_reads_columns_in_any_order_and_rows_from_other_callers():
    text = "product,deal,amount,event,partner,occurred_on,event_id\nkyoso-cloud,D1,100,deal_won,P1,2026-04-01,e1\n"
    expected = Event("e1", date(2026, 4, 1), "P1", "deal_won", 100, "D1", "kyoso-cloud", 2)
    assert read_events_csv(text) == [expected]
    rows = [{"event_id": "e1", "occurred_on": date(2026, 4, 1), "partner": "P1", "event": "deal_won", "amount": 100,
             "deal": "D1", "product": "kyoso-cloud"}]
    assert parse_events(rows) == [expected]
    assert problems_of(parse_events, [{**rows[0], "amount": None}]) == [(2, "amount is empty; deal_won needs one")]
    # A datetime's day depends on the time zone: callers pass the day in the tenant's zone.
    assert problems_of(parse_events, [{**rows[0], "occurred_on": datetime(2026, 4, 1, 15, 0)}], line_offset=1) == [
        (1, 'occurred_on: "2026-04-01 15:00:00" is not an ISO 8601 date such as 2026-04-01')]


def test_it_refuses_events_that_contradict_each_other_or_the_partners():
    events = read_events_csv(csv_text(
        "e1,2026-04-01,P1,deal_won,100,D1,",
        "e2,2026-04-02,P1,deal_won,100,D2,",
        "e3,2026-04-03,P1,deal_won,100,D1,",
        "e4,2026-04-04,P1,deal_cancelled,,D2,",
        "e5,2026-04-05,P1,deal_cancelled,,D2,",
        "e6,2026-04-06,P9,session_attended,,,",
    ))
    assert problems_of(compute, make_plan(MARGIN), events, {"P1": PartnerInfo("P1")}) == [
        (4, "deal D1 is won twice: e1 and e3"),
        (6, "deal D2 is cancelled twice: e4 and e5"),
        (7, "partner P9 is not among the partners"),
    ]


def test_it_refuses_a_cancellation_that_runs_before_its_win():
    events = read_events_csv(csv_text("w1,2026-04-01,P1,deal_won,100,D1,", "c1,2026-04-01,P1,deal_cancelled,,D1,"))
    assert problems_of(compute, make_plan(MARGIN), events) == [
        (3, "c1 cancels deal D1 before its win w1 (events run by occurred_on, then event_id)")]


def test_it_refuses_malformed_partner_rows_naming_each_line():
    text = csv_text("P1,resale,gold,", "P1,resale,silver,", ",resale,gold,", "P3,resale,gold,P3", "P4,resale,gold,P9",
                    "P5,resale", header="partner,type,tier,parent")
    assert problems_of(read_partners_csv, text) == [
        (3, "partner P1 appears twice (first on line 2)"),
        (4, "partner is empty"),
        (5, "partner P3 cannot be its own parent"),
        (6, "parent P9 is not in the partners file"),
        (7, "expected 4 columns, found 2"),
    ]


def test_partner_columns_follow_the_header():
    text = "tier,parent,partner,type\nsilver,代理店A,販売店B,resale\ngold,,代理店A,distributor\n"
    assert read_partners_csv(text) == {"販売店B": PartnerInfo("販売店B", "resale", "silver", "代理店A"),
                                       "代理店A": PartnerInfo("代理店A", "distributor", "gold")}


# --------------------------------------------------------------------------- the command

EXPECTED_EXAMPLE = {"currency": "JPY", "partners": {
    "P001": {"total": 2_577_000, "lines": [
        {"event_id": "e02", "rule": "registration-bonus", "amount": 10_000},
        {"event_id": "e03", "rule": "resale-margin", "amount": 900_000},
        {"event_id": "e04", "rule": "subscription-share", "amount": 15_000},  # won 2025-09-30: shared to 2026-09-30
        {"event_id": "e06", "rule": "resale-margin", "amount": 750_000},
        {"event_id": "e06", "rule": "volume-step", "amount": 100_000},  # Q1 reaches 11,000,000: 2%
        {"event_id": "e06", "rule": "volume-step", "amount": 120_000},  # catch-up on e03's 6,000,000
        {"event_id": "e08", "rule": "resale-margin", "amount": 600_000},
        {"event_id": "e08", "rule": "volume-step", "amount": 80_000},
        {"event_id": "e08", "rule": "quarter-bonus", "amount": 300_000},  # Q1 reaches 15,000,000
        {"event_id": "e09", "rule": "certification-bonus", "amount": 30_000},
        {"event_id": "e10", "rule": "subscription-share", "amount": 20_000},
        {"event_id": "e11", "rule": "study-session", "amount": 2_000},  # e12: one session a month
        {"event_id": "e14", "rule": "cancellation-clawback", "amount": -600_000},  # D-1003 cancelled after 30 days
        {"event_id": "e14", "rule": "cancellation-clawback", "amount": -80_000},
        {"event_id": "e14", "rule": "cancellation-clawback", "amount": -300_000},
        # e15 cancels D-1001 after 103 days: too late
        {"event_id": "e20", "rule": "resale-margin", "amount": 120_000},
        {"event_id": "e20", "rule": "cloud-spif", "amount": 50_000},
        {"event_id": "e21", "rule": "resale-margin", "amount": 120_000},
        {"event_id": "e21", "rule": "cloud-spif", "amount": 50_000},
        {"event_id": "e22", "rule": "resale-margin", "amount": 120_000},  # third cloud deal in October: capped
        {"event_id": "e25", "rule": "resale-margin", "amount": 120_000},
        {"event_id": "e25", "rule": "cloud-spif", "amount": 50_000},
    ]},
    "P002": {"total": 150_000, "lines": [
        {"event_id": "e16", "rule": "registration-bonus", "amount": 10_000},
        {"event_id": "e17", "rule": "resale-margin", "amount": 300_000},
        {"event_id": "e18", "rule": "subscription-share", "amount": 3_333},
        {"event_id": "e19", "rule": "cancellation-clawback", "amount": -10_000},
        {"event_id": "e19", "rule": "cancellation-clawback", "amount": -300_000},
        {"event_id": "e19", "rule": "cancellation-clawback", "amount": -3_333},
        {"event_id": "e24", "rule": "resale-margin", "amount": 150_000},
    ]},
    "P003": {"total": 4_852_000, "lines": [
        {"event_id": "e17", "rule": "distributor-override", "amount": 100_000},
        {"event_id": "e19", "rule": "cancellation-clawback", "amount": -100_000},
        {"event_id": "e24", "rule": "distributor-override", "amount": 50_000},
        {"event_id": "e26", "rule": "resale-margin", "amount": 3_750_000},
        {"event_id": "e26", "rule": "volume-step", "amount": 750_000},  # 25,000,000 in Q4: 3%, nothing to catch up
        {"event_id": "e26", "rule": "quarter-bonus", "amount": 300_000},
        {"event_id": "e27", "rule": "study-session", "amount": 2_000},
    ]},
}}


def run_command(*args: str | Path, language: str = "en") -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with translation.override(language):
        try:
            call_command("simulate_incentives", *map(str, args), stdout=stdout, stderr=stderr)
        except SystemExit as exit_:
            return int(exit_.code), stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def example_args(**paths: Path) -> list[str | Path]:
    files = {"plan": EXAMPLES / "reseller-fy2026.json", "events": EXAMPLES / "events.csv",
             "partners": EXAMPLES / "partners.csv", **paths}
    return [item for key, path in files.items() if path is not None for item in (f"--{key}", path)]


def test_it_prints_the_example_plans_result_as_json():
    assert run_command(*example_args()) == (0, json.dumps(EXPECTED_EXAMPLE, ensure_ascii=False) + "\n", "")


def test_it_reads_shift_jis_and_bom_files_with_japanese_codes(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_data(MARGIN, OVERRIDE), ensure_ascii=False), encoding="utf-8-sig")
    events = tmp_path / "events.csv"
    events.write_bytes(csv_text("受注1,2026-04-01,販売店B,deal_won,1000000,案件1,クラウド").encode("cp932"))
    partners = tmp_path / "partners.csv"
    partners.write_bytes(csv_text("販売店B,resale,silver,代理店A", "代理店A,distributor,gold,",
                                  header="partner,type,tier,parent").encode("utf-8-sig"))
    code, stdout, stderr = run_command("--plan", plan, "--events", events, "--partners", partners)
    assert (code, json.loads(stdout), stderr) == (0, {"currency": "JPY", "partners": {
        "代理店A": {"total": 50_000, "lines": [{"event_id": "受注1", "rule": "override", "amount": 50_000}]},
        "販売店B": {"total": 150_000, "lines": [{"event_id": "受注1", "rule": "margin", "amount": 150_000}]}}}, "")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_refuses_a_bad_plan_with_exit_2_and_nothing_on_stdout(tmp_path):
    bad_kind = write(tmp_path, "kind.json", json.dumps(changed_rule("margin", kind="bonus")))
    assert run_command(*example_args(plan=bad_kind)) == (
        2, "", f'{bad_kind}: rule "margin", field "kind": "bonus" is not one of {KINDS}\n')
    not_json = write(tmp_path, "broken.json", '{"code": "x",\n "rules": [}')
    assert run_command(*example_args(plan=not_json)) == (
        2, "", f"{not_json}: not JSON: Expecting value (line 2, column 12)\n")
    twice = write(tmp_path, "twice.json", '{"code": "x", "code": "y"}')
    assert run_command(*example_args(plan=twice)) == (2, "", f'{twice}: the key "code" appears twice in one object\n')
    missing = tmp_path / "missing.json"
    assert run_command(*example_args(plan=missing)) == (2, "", f"{missing}: cannot be read: No such file or directory\n")


def test_it_refuses_bad_csv_rows_naming_the_file_and_line(tmp_path):
    events = write(tmp_path, "events.csv", csv_text("e1,2026-04-01,P001,deal_won,100,D1,", "e2,2026-04-01,P001,deal_won,1e3,D2,"))
    partners = write(tmp_path, "partners.csv", csv_text("P001,resale,gold,P404", header="partner,type,tier,parent"))
    assert run_command(*example_args(events=events, partners=partners)) == (2, "", (
        f"{partners}, line 2: parent P404 is not in the partners file\n"
        f'{events}, line 3: amount: "1e3" is not a whole number of yen (digits only, at most 15)\n'))
    unknown = write(tmp_path, "unknown.csv", csv_text("e1,2026-04-01,P001,deal_won,100,D1,", "e2,2026-04-01,P404,deal_won,100,D2,"))
    assert run_command(*example_args(events=unknown)) == (2, "", f"{unknown}, line 3: partner P404 is not among the partners\n")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81\x00")
    code, stdout, stderr = run_command(*example_args(events=binary))
    assert (code, stdout) == (2, "") and stderr.startswith(f"{binary}: ")


def test_it_refuses_the_example_plan_without_partners():
    assert run_command("--plan", EXAMPLES / "reseller-fy2026.json", "--events", EXAMPLES / "events.csv") == (2, "", (
        "the plan's applies_to needs each partner's type and tier: give the partners\n"
        'rule "distributor-override" pays the parent of the partner: give the partners\n'))


def test_it_needs_no_database():
    """With the database unreachable, the command still answers: it never opens a connection."""
    env = {**os.environ, "DATABASE_URL": "postgresql://x@127.0.0.1:1/none", "DJANGO_SETTINGS_MODULE": "prm.settings.local"}
    result = subprocess.run([sys.executable, "manage.py", "simulate_incentives", *map(str, example_args())], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert (result.returncode, json.loads(result.stdout or "null")) == (0, EXPECTED_EXAMPLE), result.stderr
    without_partners = example_args(partners=None)
    result = subprocess.run([sys.executable, "manage.py", "simulate_incentives", *map(str, without_partners)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("the plan's applies_to needs each partner's type and tier: give the partners")
    assert (result.returncode, result.stdout, result.stderr.splitlines()[0]) == (2, "", expected)


def test_the_engine_imports_no_django_models():
    code = "import sys, incentives.engine; print(any(name.startswith('django.db') for name in sys.modules))"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


# --------------------------------------------------------------------------- scale


def synthetic(deals: int, seed: int = 1) -> tuple[list[Event], dict[str, PartnerInfo]]:
    """Per deal: a registration, the win, two invoices; one deal in ten is cancelled."""
    rng = random.Random(seed)
    partners = {f"D{n}": PartnerInfo(f"D{n}", "distributor", "gold") for n in range(5)}
    partners |= {f"P{n}": PartnerInfo(f"P{n}", "resale", "gold", f"D{n % 5}") for n in range(40)}
    events: list[Event] = []
    start = date(2026, 4, 1)
    for n in range(deals):
        partner, day = f"P{rng.randrange(40)}", start + timedelta(days=rng.randrange(330))
        events += [ev(f"r{n}", day.isoformat(), partner, "deal_registered", deal=f"X{n}"),
                   won(f"w{n}", (day + timedelta(days=3)).isoformat(), partner, rng.randrange(100_000, 5_000_000), f"X{n}",
                       rng.choice(["kyoso-cloud", "kyoso-crm"])),
                   invoice(f"i{n}", (day + timedelta(days=20)).isoformat(), f"X{n}", 30_000, partner),
                   invoice(f"j{n}", (day + timedelta(days=50)).isoformat(), f"X{n}", 30_000, partner)]
        if n % 10 == 0:
            events.append(ev(f"c{n}", (day + timedelta(days=60)).isoformat(), partner, "deal_cancelled", deal=f"X{n}"))
    return events, partners


def example_plan() -> engine.Plan:
    data = json.loads((EXAMPLES / "reseller-fy2026.json").read_text(encoding="utf-8"))
    return parse_plan({**data, "valid_to": "2028-03-31"})


def lines_run(events: list[Event], partners: dict[str, PartnerInfo]) -> int:
    """How many lines of the engine's modules run to compute the result."""
    count = 0
    package = os.path.dirname(engine.__file__) + os.sep

    def in_engine(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return in_engine

    def calls(frame, event, arg):
        return in_engine if frame.f_code.co_filename.startswith(package) else None

    sys.settrace(calls)
    try:
        compute(example_plan(), events, partners)
    finally:
        sys.settrace(None)
    return count


def test_the_work_per_event_does_not_grow_with_the_earlier_events():
    """Four times the events take four times the steps: nothing rescans what came before."""
    small, large = lines_run(*synthetic(250)), lines_run(*synthetic(1_000))
    assert 3.6 < large / small < 4.4, (small, large)


def test_it_computes_20000_events():
    events, partners = synthetic(5_000)
    assert len(events) >= 20_000
    result = compute(example_plan(), events, partners)
    assert set(result.partners) == set(partners)
    clawed = {line.reverses for lines in result.partners.values() for line in lines.lines if line.kind == "clawback"}
    reversible = {line for lines in result.partners.values() for line in lines.lines
                  if line.event_id[0] in "rwij" and int(line.event_id[1:]) % 10 == 0}
    assert clawed == reversible  # every line of a cancelled deal (all cancelled within 90 days), once
    assert all(lines.total == sum(line.amount for line in lines.lines) for lines in result.partners.values())
