"""Rules are named in people's words, in the reader's language, never by their id."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.conf import settings
from django.utils import translation

from incentives import engine, rule_text
from tests.incentives.test_engine import changed_rule, make_plan, plan_data


def test_a_rule_named_in_both_languages_reads_in_each():
    plan = make_plan({"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.15",
                      "name": {"ja": "販売マージン", "en": "Resale margin"}})
    assert rule_text.rule_name(plan.rules[0], "ja") == "販売マージン"
    assert rule_text.rule_name(plan.rules[0], "en") == "Resale margin"


def test_a_name_in_one_text_serves_every_language():
    plan = make_plan({"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.15", "name": "Margin 15"})
    assert rule_text.rule_name(plan.rules[0], "ja") == rule_text.rule_name(plan.rules[0], "en") == "Margin 15"


@pytest.mark.parametrize(("rule", "ja", "en"), [
    ({"id": "m", "kind": "percent", "on": "deal_won", "rate": "0.15"}, "成約金額の15%", "15% of the won amount"),
    ({"id": "f", "kind": "fixed", "on": "deal_registered", "amount": 10000},
     "承認された案件登録1件につき¥10,000", "¥10,000 for each approved deal registration"),
    ({"id": "r", "kind": "recurring", "on": "invoice_paid", "rate": "0.1", "months": 12},
     "成約から12か月間の入金額の10%", "10% of paid invoices for 12 months after the win"),
    ({"id": "c", "kind": "clawback", "within_days": 90},
     "成約から90日以内の解約による報酬取消", "Reversal when the customer cancels within 90 days of the win"),
])
def test_an_unnamed_rule_is_named_by_what_it_pays(rule, ja, en):
    plan = make_plan(rule)
    assert rule_text.rule_name(plan.rules[0], "ja") == ja
    assert rule_text.rule_name(plan.rules[0], "en") == en
    assert rule["id"] not in (ja, en)


def test_conditions_name_the_window_the_cap_and_the_products():
    plan = make_plan({"id": "spif", "kind": "fixed", "on": "deal_won", "amount": 50000, "products": ["kyoso-cloud"],
                      "from": "2026-10-01", "to": "2026-12-31", "cap_count": 2, "cap_period": "month"})
    text = rule_text.rule_description(plan.rules[0], "ja")
    assert "2026年10月1日" in text and "2026年12月31日" in text and "kyoso-cloud" in text and "2" in text


@pytest.mark.parametrize(("name", "message"), [
    ("", 'rule "margin", field "name": must be a text of 1 to 200 characters'),
    ({"fr": "Marge"}, 'rule "margin", field "name.fr": is not a supported language; use ja, en'),
    ({"ja": 5}, 'rule "margin", field "name.ja": must be a text of 1 to 200 characters'),
    (["x"], 'rule "margin", field "name": must be a text or an object such as {"ja": "販売マージン", "en": "Resale margin"}'),
])
def test_a_bad_name_is_refused_naming_the_field(name, message):
    with translation.override("en"), pytest.raises(engine.PlanError) as error:
        engine.parse_plan(changed_rule("margin", name=name))
    assert str(error.value) == message


def test_a_name_changes_nothing_the_engine_pays():
    events = [engine.Event("w1", date(2026, 5, 1), "P1", "deal_won", 1_000_000, "d1")]
    plain = engine.compute(make_plan({"id": "m", "kind": "percent", "on": "deal_won", "rate": "0.15"}), events)
    named = engine.compute(make_plan({"id": "m", "kind": "percent", "on": "deal_won", "rate": "0.15",
                                      "name": "販売マージン"}), events)
    assert plain.to_json() == named.to_json()


def test_every_demo_rule_has_a_name_in_both_languages():
    document = json.loads((settings.BASE_DIR / "incentives" / "examples" / "reseller-fy2026.json").read_text())
    for rule in engine.parse_plan(document).rules:
        assert dict(rule.names).keys() == {"ja", "en"}


def test_names_for_reads_plan_documents_by_version():
    names = rule_text.names_for([(7, plan_data({"id": "m", "kind": "percent", "on": "deal_won", "rate": "0.15"}))], "en")
    assert names == {(7, "m"): "15% of the won amount"}
