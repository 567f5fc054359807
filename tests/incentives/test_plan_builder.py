"""The plan builder over HTTP: a form per rule, the engine's refusals on the right row and field,
a preview computed by the engine, JSON import/export that round-trips, and the tier's margin from the plan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django_tenants.utils import tenant_context

from incentives import engine, plan_builder, runs
from incentives.models import Plan, PlanVersion
from programs.forms import TierForm
from programs.models import Tier

EXAMPLE = json.loads((Path(plan_builder.__file__).parent / "examples" / "reseller-fy2026.json").read_text())


def _plan_fields(**extra) -> dict:
    return {"code": "partner-fy2026", "name": "パートナー報奨 FY2026", "fiscal_year_start_month": "4",
            "valid_from": "2026-04-01", "valid_to": "2027-03-31", "partner_types": ["resale"], "tiers": ["gold"],
            "example_amount": "1000000", "example_day": "2026-10-15", **extra}


def _rows(*rows: dict) -> dict:
    """Rows as the builder posts them: rows=<key> in order, each field prefixed r<key>-."""
    data: dict = {"rows": [str(key) for key in range(1, len(rows) + 1)]}
    for key, row in enumerate(rows, start=1):
        data |= {f"r{key}-{name}": value for name, value in row.items()}
    return data


MARGIN = {"id": "margin", "kind": "percent", "name_ja": "販売マージン", "name_en": "Resale margin", "on": "deal_won",
          "rate": "15"}
REGISTRATION = {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": "10,000",
                "cap_count": "3", "cap_period": "month"}
STEPPED = {"id": "volume", "kind": "stepped", "on": "deal_won", "period": "quarter", "mode": "marginal",
           "brackets": "2", "b1-from": "0", "b1-rate": "1", "b2-from": "500000", "b2-rate": "2.5"}
CLAWBACK = {"id": "clawback", "kind": "clawback", "within_days": "90", "share": "50"}
BUILT = {
    "code": "partner-fy2026", "name": "パートナー報奨 FY2026", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31", "applies_to": {"partner_types": ["resale"], "tiers": ["gold"]},
    "rules": [
        {"id": "margin", "kind": "percent", "name": {"ja": "販売マージン", "en": "Resale margin"}, "on": "deal_won",
         "rate": "0.15"},
        {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 10000, "cap_count": 3,
         "cap_period": "month"},
        {"id": "volume", "kind": "stepped", "on": "deal_won", "period": "quarter", "mode": "marginal",
         "brackets": [{"from": 0, "rate": "0.01"}, {"from": 500000, "rate": "0.025"}]},
        {"id": "clawback", "kind": "clawback", "within_days": 90, "share": "0.50"},
    ],
}


def _counts(people):
    with tenant_context(people.tenant):
        return Plan.objects.count(), PlanVersion.objects.count()


def test_a_plan_with_several_rule_kinds_is_built_saved_as_a_draft_and_published(people_a):
    client = people_a.console(people_a.channel_manager)
    page = client.get("/incentives/plans/new/")
    assert page.status_code == 200
    assert 'value="gold"' in page.content.decode() and 'value="distributor"' in page.content.decode()
    response = client.post("/incentives/plans/new/", _plan_fields(action="save") | _rows(MARGIN, REGISTRATION,
                                                                                         STEPPED, CLAWBACK))
    assert response.status_code == 302, response.context and response.context["builder"].errors
    with tenant_context(people_a.tenant):
        plan = Plan.objects.get(code="partner-fy2026")
        draft = plan.versions.get()
        assert (draft.status, draft.number, draft.document) == ("draft", 1, BUILT)
        assert plan.current_version is None  # a draft pays nothing
    assert response["Location"] == f"/incentives/plans/{plan.pk}/"
    edit = client.get(response["Location"])
    assert edit.status_code == 200 and "販売マージン" in edit.content.decode()
    published = client.post(f"/incentives/plans/{plan.pk}/", _plan_fields(action="publish", code="ignored")
                            | _rows(MARGIN, REGISTRATION, STEPPED, CLAWBACK))
    assert published.status_code == 302
    with tenant_context(people_a.tenant):
        version = plan.versions.get()  # the draft became the published version
        assert (version.status, version.number, version.document) == ("published", 1, BUILT)


def _refused(client, url, rows, *, before):
    response = client.post(url, _plan_fields(action="publish") | _rows(*rows))
    assert response.status_code == 400
    return response.context["builder"]


def _engine_problem(change) -> str:
    """The engine's own words for the problem (in Japanese, as the console shows them)."""
    document = json.loads(json.dumps(BUILT))
    change(document)
    with translation.override("ja"), pytest.raises(engine.PlanError) as caught:
        engine.parse_plan(document)
    return caught.value.problem


def test_a_missing_field_is_named_on_its_row_and_nothing_is_saved(people_a):
    client = people_a.console(people_a.channel_manager)
    before = _counts(people_a)
    builder = _refused(client, "/incentives/plans/new/", [MARGIN, {**REGISTRATION, "amount": ""}, STEPPED],
                       before=before)
    assert builder.rows[1].form.errors == {"amount": [_engine_problem(lambda d: d["rules"][1].pop("amount"))]}
    assert not builder.rows[0].form.errors and not builder.rows[2].form.errors
    assert _counts(people_a) == before


@pytest.mark.parametrize("rate", ["abc", "-5", "１５", "15.12345678901", "²", "9" * 20])
def test_a_bad_rate_is_refused_on_its_row(people_a, rate):
    client = people_a.console(people_a.channel_manager)
    before = _counts(people_a)
    builder = _refused(client, "/incentives/plans/new/", [REGISTRATION, {**MARGIN, "rate": rate}], before=before)
    assert list(builder.rows[1].form.errors) == ["rate"]
    assert _counts(people_a) == before


def test_reversed_brackets_are_refused_on_the_bracket(people_a):
    client = people_a.console(people_a.channel_manager)
    before = _counts(people_a)
    reversed_brackets = {**STEPPED, "brackets": "3", "b3-from": "100000", "b3-rate": "3"}
    builder = _refused(client, "/incentives/plans/new/", [MARGIN, reversed_brackets], before=before)
    problem = _engine_problem(lambda d: d["rules"][2]["brackets"].append({"from": 100000, "rate": "0.03"}))
    assert builder.rows[1].brackets[2].errors == {"from": [problem]}
    assert _counts(people_a) == before


def test_a_second_rule_with_the_same_id_and_a_plan_field_are_refused_where_they_are(people_a):
    client = people_a.console(people_a.channel_manager)
    before = _counts(people_a)
    builder = _refused(client, "/incentives/plans/new/", [MARGIN, {**REGISTRATION, "id": "margin"}], before=before)
    assert list(builder.rows[1].form.errors) == ["id"] and not builder.rows[0].form.errors
    response = client.post("/incentives/plans/new/", _plan_fields(action="save", valid_to="2026-01-01")
                           | _rows(MARGIN))
    assert response.status_code == 400 and list(response.context["builder"].plan_form.errors) == ["valid_to"]
    assert _counts(people_a) == before


@pytest.mark.parametrize(("field", "value"), [
    ("valid_from", "0001-01-01"), ("valid_to", "9999-12-31"), ("code", "a\x00b"), ("name", "x" * 10_000),
    ("example_amount", str(2**63)), ("fiscal_year_start_month", "13"), ("r1-amount", "-1"),
    ("r1-cap_count", "99999999999999999999"), ("r1-start", "2026-02-30"), ("r1-id", "\x00"), ("rows", "²"),
])
def test_hostile_input_is_a_form_error_not_a_500(people_a, field, value):
    client = people_a.console(people_a.channel_manager)
    before = _counts(people_a)
    data = _plan_fields(action="save") | _rows(REGISTRATION)
    data[field] = value
    response = client.post("/incentives/plans/new/", data)
    assert response.status_code == 400, (field, response.status_code)
    assert _counts(people_a) == before


def test_the_preview_is_what_the_engine_pays_on_the_example_deal(people_a):
    client = people_a.console(people_a.channel_manager)
    data = _plan_fields(op="preview", example_amount="2,000,000", example_day="2026-10-15") | _rows(
        MARGIN, REGISTRATION, STEPPED, CLAWBACK)
    response = client.post("/incentives/plans/new/", data)
    assert response.status_code == 200
    shown = {row.form.cleaned_data["id"]: row.preview for row in response.context["builder"].rows}
    plan = engine.parse_plan(BUILT)
    result = engine.compute(plan, plan_builder.example_events(2_000_000, date(2026, 10, 15)),
                            plan_builder.example_partners(plan))
    expected = {rule.id: sum(line.amount for line in result.partners["example"].lines if line.rule == rule.id)
                for rule in plan.rules}
    assert shown == expected
    # 15% of ¥2,000,000; ¥10,000; 1% of the first ¥500,000 and 2.5% of the rest; half of all that given back
    assert shown == {"margin": 300_000, "registration": 10_000, "volume": 42_500,
                     "clawback": -(150_000 + 5_000 + 21_250)}
    body = response.content.decode()
    assert "¥300,000" in body and "-¥176,250" in body
    with tenant_context(people_a.tenant):
        assert not Plan.objects.exists()  # a preview saves nothing


def test_the_example_day_outside_the_plan_pays_nothing(people_a):
    response = people_a.console(people_a.channel_manager).post(
        "/incentives/plans/new/", _plan_fields(op="preview", example_day="2030-01-01") | _rows(MARGIN))
    assert [row.preview for row in response.context["builder"].rows] == [0]


def test_rows_are_added_moved_and_removed_and_the_kind_swaps_the_fields(people_a):
    client = people_a.console(people_a.channel_manager)
    base = _plan_fields() | _rows(MARGIN, REGISTRATION)
    added = client.post("/incentives/plans/new/", base | {"op": "add"}).context["builder"]
    assert [row.key for row in added.rows] == [1, 2, 3]
    moved = client.post("/incentives/plans/new/", base | {"op": "up:2"}).context["builder"]
    assert [row.form["id"].value() for row in moved.rows] == ["registration", "margin"]
    removed = client.post("/incentives/plans/new/", base | {"op": "remove:1"}).context["builder"]
    assert [row.form["id"].value() for row in removed.rows] == ["registration"]
    row = client.post("/incentives/plans/builder/row/", base | {"row": "1", "r1-kind": "stepped"})
    assert row.status_code == 200
    html = row.content.decode()
    assert 'name="r1-b1-from"' in html and 'name="r1-period"' in html and 'name="r1-rate"' not in html
    assert client.post("/incentives/plans/builder/row/", {"row": "x"}).status_code == 400


def test_json_export_import_and_the_builder_round_trip(people_a):
    client = people_a.console(people_a.channel_manager)
    upload = SimpleUploadedFile("plan.json", json.dumps(EXAMPLE, ensure_ascii=False).encode())
    imported = client.post("/incentives/plans/new/json/", {"document": "", "upload": upload, "action": "publish"})
    assert imported.status_code == 302
    with tenant_context(people_a.tenant):
        plan = Plan.objects.get(code=EXAMPLE["code"])
    exported = client.get(f"/incentives/plans/{plan.pk}/v1.json")
    assert json.loads(exported.content) == EXAMPLE
    again = client.post(f"/incentives/plans/{plan.pk}/json/", {"document": exported.content.decode(), "action": "save"})
    assert again.status_code == 302
    with tenant_context(people_a.tenant):
        assert plan.versions.get(number=2).document == EXAMPLE
    # The builder shows the draft as form fields; posting them back saves the same document.
    shown = client.get(f"/incentives/plans/{plan.pk}/")
    assert shown.status_code == 200 and "一次店オーバーライド" in shown.content.decode()
    data = dict(plan_builder.initial_data(EXAMPLE), action="save", example_amount="1000000", example_day="2026-10-01")
    saved = client.post(f"/incentives/plans/{plan.pk}/", data)
    assert saved.status_code == 302, saved.context and [r.form.errors for r in saved.context["builder"].rows]
    with tenant_context(people_a.tenant):
        assert plan.versions.get(number=2).document == EXAMPLE
        assert plan.versions.count() == 2


def test_the_json_page_refuses_another_plans_code_and_saves_nothing(people_a):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        runs.plan_publish(plan=Plan.objects.create(code=BUILT["code"], name="x"), document=BUILT,
                          actor=people_a.vendor_admin)
    before = _counts(people_a)
    response = client.post("/incentives/plans/new/json/", {"document": json.dumps(BUILT), "action": "save"})
    assert response.status_code == 200 and "partner-fy2026" in response.content.decode()
    assert _counts(people_a) == before


def test_the_tier_page_shows_the_rate_the_published_plan_pays(people_a):
    with tenant_context(people_a.tenant):
        runs.plan_publish(plan=Plan.objects.create(code=BUILT["code"], name=BUILT["name"]), document=BUILT,
                          actor=people_a.vendor_admin)
        gold, bronze = Tier.objects.get(code="gold"), Tier.objects.get(code="bronze")
        assert "margin_rate" not in TierForm.base_fields  # one source: the tier has no margin to type
    client = people_a.console(people_a.vendor_admin)
    overview = client.get("/programs/").content.decode()
    gold_card = overview.split("ゴールド", 1)[1].split("kyoso-tier-", 1)[0]
    bronze_card = overview.split("ブロンズ", 1)[1].split("kyoso-tier-", 1)[0]
    assert "15%" in gold_card and "販売マージン" in gold_card and BUILT["name"] in gold_card
    assert "15%" not in bronze_card
    assert "15%" in client.get(f"/programs/tiers/{gold.pk}/").content.decode()
    assert "15%" not in client.get(f"/programs/tiers/{bronze.pk}/").content.decode()


def test_the_partner_sees_the_margin_its_tier_is_paid_by_the_plan(people_a):
    from programs.models import PartnerTier

    with tenant_context(people_a.tenant):
        runs.plan_publish(plan=Plan.objects.create(code=BUILT["code"], name=BUILT["name"]), document=BUILT,
                          actor=people_a.vendor_admin)
        PartnerTier.objects.update_or_create(partner=people_a.partner, defaults={"tier": Tier.objects.get(code="gold")})
        PartnerTier.objects.update_or_create(partner=people_a.other_partner,
                                             defaults={"tier": Tier.objects.get(code="silver")})
    gold = people_a.portal(people_a.partner_admin).get("/program/")
    assert gold.status_code == 200 and "15%" in gold.content.decode()
    silver = people_a.portal(people_a.other_partner_admin).get("/program/")
    assert silver.status_code == 200 and "15%" not in silver.content.decode()


def test_a_stored_plan_the_builder_cannot_read_opens_without_a_500(people_a):
    with tenant_context(people_a.tenant):
        plan = Plan.objects.create(code="legacy", name="旧プラン")
        PlanVersion.objects.create(plan=plan, number=1, status="draft", document={
            "code": "legacy", "name": "旧プラン", "applies_to": "all", "rules": [
                "x", {"id": "s", "kind": "stepped", "brackets": [1, {"from": "a"}], "products": "abc"}]})
    response = people_a.console(people_a.channel_manager).get(f"/incentives/plans/{plan.pk}/")
    assert response.status_code == 200
