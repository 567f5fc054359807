"""The lifecycle stage derived from data: the rules as a table, the set-based recompute, the manual stage
that runs out, and the registration refused before signing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import schema_context, tenant_context

from partners.lifecycle import services as lifecycle
from partners.lifecycle.rules import Facts, Rules, decide, shift_months
from partners.models import (
    Agreement,
    AgreementKind,
    ChecklistItem,
    ContactStage,
    EventKind,
    OnboardingTemplate,
    Partner,
    PartnerEvent,
    PartnerSettings,
    Stage,
)
from partners.timeline import describe
from prm.after_commit import pending_sends
from tests.partners.factories import ContactFactory, PartnerFactory

TODAY = date(2026, 12, 5)
DAY = timedelta(days=1)
RULES = Rules(agreements=4, retention_months=6, dormant_days=180)


def _ago(days: int) -> date:
    return TODAY - timedelta(days=days)


# ----------------------------------------------------------------------------- the rules, as a table

CASES = [
    # (name, facts, rules, stage, reason, next rule)
    ("a prospect waits for someone to start recruiting",
     Facts(stage="prospect"), RULES, "prospect", "prospect", "start_recruiting"),
    ("recruiting waits on the agreements",
     Facts(stage="recruiting", agreements=2, signed_on=_ago(3)), RULES, "recruiting", "recruiting", "agreements"),
    ("a stage typed by hand with nothing behind it falls back to recruiting",
     Facts(stage="onboarding"), RULES, "recruiting", "recruiting", "agreements"),
    ("all four agreements make onboarding",
     Facts(stage="recruiting", agreements=4, signed_on=_ago(10)), RULES, "onboarding", "agreements_signed",
     "first_deal"),
    ("the vendor may ask for fewer agreements",
     Facts(stage="recruiting", agreements=2, signed_on=_ago(10)), Rules(2, 6, 180), "onboarding",
     "agreements_signed", "first_deal"),
    ("a first deal activates",
     Facts(stage="onboarding", agreements=4, signed_on=_ago(60), first_deal_on=_ago(30), last_deal_on=_ago(30),
           active_contacts=1), RULES, "activation", "first_deal", "deal_age"),
    ("a partner with deals is in business even without recorded agreements",
     Facts(stage="onboarding", first_deal_on=_ago(5), last_deal_on=_ago(5)), RULES, "activation", "first_deal",
     "deal_age"),
    ("retention needs an active contact",
     Facts(stage="activation", agreements=4, signed_on=_ago(400), first_deal_on=_ago(240), last_deal_on=_ago(20)),
     RULES, "activation", "first_deal", "active_contact"),
    ("retention needs a deal in the period",
     Facts(stage="activation", agreements=4, signed_on=_ago(400), first_deal_on=_ago(300), last_deal_on=_ago(250),
           last_activity_on=_ago(3), active_contacts=2), RULES, "activation", "first_deal", "recent_deal"),
    ("months of deals with an active contact retain",
     Facts(stage="activation", agreements=4, signed_on=_ago(400), first_deal_on=_ago(240), last_deal_on=_ago(20),
           active_contacts=1), RULES, "retention", "retained", ""),
    ("silence after signing makes dormant",
     Facts(stage="onboarding", agreements=4, signed_on=_ago(181)), RULES, "dormant", "no_activity", "activity"),
    ("silence after deals makes dormant too",
     Facts(stage="retention", agreements=4, signed_on=_ago(900), first_deal_on=_ago(800), last_deal_on=_ago(200),
           last_activity_on=_ago(190)), RULES, "dormant", "no_activity", "activity"),
    ("any sign of life wakes a dormant partner",
     Facts(stage="dormant", agreements=4, signed_on=_ago(900), first_deal_on=_ago(800), last_deal_on=_ago(200),
           last_activity_on=_ago(1)), RULES, "activation", "first_deal", "recent_deal"),
    ("the dormant threshold is the vendor's",
     Facts(stage="onboarding", agreements=4, signed_on=_ago(40)), Rules(4, 6, 30), "dormant", "no_activity",
     "activity"),
    ("a terminated partner stays terminated",
     Facts(stage="terminated", agreements=4, first_deal_on=_ago(5)), RULES, "terminated", "terminated", ""),
    ("a stage set by hand holds until its day",
     Facts(stage="retention", agreements=4, signed_on=_ago(60), first_deal_on=_ago(30), last_deal_on=_ago(30),
           override_until=TODAY), RULES, "retention", "manual", "deal_age"),
    ("and the rules decide again the day after",
     Facts(stage="retention", agreements=4, signed_on=_ago(60), first_deal_on=_ago(30), last_deal_on=_ago(30),
           override_until=TODAY - DAY), RULES, "activation", "first_deal", "deal_age"),
]


@pytest.mark.parametrize(("facts", "rules", "stage", "reason", "next_rule"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_it_decides_the_stage_and_names_the_next_rule(facts, rules, stage, reason, next_rule):
    decision = decide(facts, rules, TODAY)
    assert (decision.stage, decision.reason, decision.next_rule) == (stage, reason, next_rule)


def test_it_says_when_an_activated_partner_is_old_enough_to_retain():
    decision = decide(Facts(stage="activation", agreements=4, signed_on=_ago(60), first_deal_on=date(2026, 8, 31),
                            last_deal_on=_ago(2), active_contacts=1), RULES, TODAY)
    assert decision.params["ready_on"] == "2027-02-28"  # six months on, the month's last day
    assert shift_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


# ----------------------------------------------------------------------------- the recompute


def _sign(partner, kinds=AgreementKind.values, *, days_ago: int = 10):
    for kind in kinds:
        Agreement.objects.create(partner=partner, kind=kind, agreed_on=timezone.localdate() - timedelta(days=days_ago))


def test_it_moves_a_partner_whose_agreements_are_signed_and_writes_the_reason_on_the_timeline(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING, partner_type="resale")
        _sign(partner)
        assert lifecycle.stages_recompute(partner_ids=[partner.pk]) == 1
        partner.refresh_from_db()
        assert partner.stage == Stage.ONBOARDING
        assert partner.stage_reason["reason"] == "agreements_signed" and partner.stage_reason["next"] == "first_deal"
        event = PartnerEvent.objects.get(partner=partner, kind=EventKind.STAGE_CHANGED)
        assert (event.data["previous"], event.data["stage"], event.data["cause"]) == ("recruiting", "onboarding", "rule")
        with translation.override("en"):
            assert "4 of 4 agreements signed" in describe(event)
        if OnboardingTemplate.objects.filter(partner_type="resale").exists():
            assert ChecklistItem.objects.filter(partner=partner).exists()
        assert lifecycle.stages_recompute(partner_ids=[partner.pk]) == 0  # a second run moves nothing
        assert PartnerEvent.objects.filter(partner=partner, kind=EventKind.STAGE_CHANGED).count() == 1


def test_a_registered_deal_activates_the_partner_after_commit(people_a, django_capture_on_commit_callbacks):
    from tests.deals.test_registration import _register

    with tenant_context(people_a.tenant):
        partner = people_a.partner
        Partner.objects.filter(pk=partner.pk).update(stage=Stage.ONBOARDING)
        partner.refresh_from_db()
        _sign(partner)
        with django_capture_on_commit_callbacks() as callbacks:
            _register(partner, people_a.partner_rep)
        sends = [send for callback in callbacks for send in pending_sends(callback) or ()]
        assert [send.kwargs for send in sends if send.task == "partners.tasks.partner_stages_recompute"] == [
            {"schema_name": people_a.tenant.schema_name, "partner_ids": [partner.pk]}]
        lifecycle.stages_recompute(partner_ids=[partner.pk])  # what the queued task runs
        partner.refresh_from_db()
        assert partner.stage == Stage.ACTIVATION
        assert partner.stage_reason["params"]["first"] == timezone.localdate().isoformat()


def _partners(count: int, tag: str) -> list[int]:
    partners = Partner.objects.bulk_create(
        Partner(name=f"段階{tag}-{n}", partner_type="resale", stage=Stage.RECRUITING) for n in range(count))
    Agreement.objects.bulk_create(
        Agreement(partner=partner, kind=kind, agreed_on=timezone.localdate() - timedelta(days=5))
        for partner in partners for kind in AgreementKind.values)
    for partner in partners[::3]:
        ContactFactory(partner=partner, stage=ContactStage.ACTIVE)
    return [partner.pk for partner in partners]


def test_the_recompute_costs_the_same_queries_for_10_or_50_partners(people_a):
    with tenant_context(people_a.tenant):
        PartnerSettings.current()
        counts = []
        for count, tag in ((10, "a"), (50, "b")):
            ids = _partners(count, tag)
            with CaptureQueriesContext(connection) as captured:
                assert lifecycle.stages_recompute(partner_ids=ids) == count
            counts.append(len(captured))
            assert set(Partner.objects.filter(pk__in=ids).values_list("stage", flat=True)) == {Stage.ONBOARDING}
            assert PartnerEvent.objects.filter(partner_id__in=ids, kind=EventKind.STAGE_CHANGED).count() == count
        assert counts[0] == counts[1]


# ----------------------------------------------------------------------------- the stage set by hand


def test_a_stage_set_by_hand_holds_until_its_day_and_then_the_rules_decide(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING)
        until = timezone.localdate() + timedelta(days=30)
        lifecycle.stage_override(partner=partner, actor=people_a.channel_manager, stage=Stage.ACTIVATION,
                                 until=until, reason="展示会で先行して案件化")
        lifecycle.stages_recompute(partner_ids=[partner.pk])
        partner.refresh_from_db()
        assert (partner.stage, partner.stage_override_until) == (Stage.ACTIVATION, until)
        assert partner.stage_reason["reason"] == "manual" and partner.stage_reason["params"]["derived"] == "recruiting"

        assert lifecycle.stages_recompute(partner_ids=[partner.pk], today=until + DAY) == 1
        partner.refresh_from_db()
        assert (partner.stage, partner.stage_override_until, partner.stage_override_by) == (Stage.RECRUITING, None, None)
        event = PartnerEvent.objects.filter(partner=partner, kind=EventKind.STAGE_CHANGED).first()
        assert event.data["cause"] == "override_expired"


@pytest.mark.parametrize("days", [-1, 366])
def test_a_stage_set_by_hand_needs_a_day_within_a_year(people_a, days):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING)
        with pytest.raises(ValidationError) as caught:
            lifecycle.stage_override(partner=partner, actor=people_a.channel_manager, stage=Stage.ACTIVATION,
                                     until=timezone.localdate() + timedelta(days=days), reason="理由")
        assert "until" in caught.value.message_dict
        partner.refresh_from_db()
        assert partner.stage == Stage.RECRUITING and partner.stage_override_until is None


def test_the_partner_page_sets_a_stage_by_hand_shows_it_as_such_and_lets_the_rules_back(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING)
    client = people_a.console(people_a.channel_manager)
    until = timezone.localdate() + timedelta(days=14)
    response = client.post(f"/partners/{partner.pk}/stage/", {"stage": "onboarding", "until": until.isoformat(),
                                                              "reason": "契約書は郵送中"})
    assert response.status_code == 302
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert "kyoso-stage-manual" in page and people_a.channel_manager.get_short_name() in page
    assert f"/partners/{partner.pk}/stage/release/" in page
    with tenant_context(people_a.tenant):
        partner.refresh_from_db()
        assert (partner.stage, partner.stage_override_by) == (Stage.ONBOARDING, people_a.channel_manager)

    too_far = client.post(f"/partners/{partner.pk}/stage/", {"stage": "retention", "reason": "x",
                                                             "until": (until + timedelta(days=400)).isoformat()})
    assert too_far.status_code == 302
    with tenant_context(people_a.tenant):
        partner.refresh_from_db()
        assert partner.stage == Stage.ONBOARDING  # refused: nothing changed

    timeline = client.get(f"/partners/{partner.pk}/timeline/").content.decode()
    assert "契約書は郵送中" in timeline  # the entry says why, with who and until when
    assert client.get(f"/partners/{partner.pk}/stage/").status_code == 405
    assert client.get(f"/partners/{partner.pk}/stage/release/").status_code == 405
    assert client.post(f"/partners/{partner.pk}/stage/release/").status_code == 302
    with tenant_context(people_a.tenant):
        partner.refresh_from_db()
        assert (partner.stage, partner.stage_override_until) == (Stage.RECRUITING, None)
    assert "kyoso-stage-manual" not in client.get(f"/partners/{partner.pk}/").content.decode()


def test_only_the_vendors_staff_set_a_stage_by_hand(people_a, people_b):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING)
    data = {"stage": "retention", "until": (timezone.localdate() + DAY).isoformat(), "reason": "x"}
    assert people_a.portal(people_a.partner_admin).post(f"/partners/{partner.pk}/stage/", data).status_code == 404
    assert people_a.console(people_a.partner_admin).post(f"/partners/{partner.pk}/stage/", data).status_code in (302, 403)
    assert people_b.console(people_b.channel_manager).post(f"/partners/{partner.pk}/stage/", data).status_code == 404
    with tenant_context(people_a.tenant):
        partner.refresh_from_db()
        assert partner.stage == Stage.RECRUITING


# ----------------------------------------------------------------------------- registrations before signing


def _deal_form() -> dict:
    return {"customer_name": "株式会社ミナミ工業", "corporate_number": "", "web_domain": "minami-kogyo.co.jp",
            "amount": "2400000", "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "role_lead": "partner", "role_proposal": "partner", "role_contract": "vendor", "role_billing": "vendor",
            "role_support": "partner"}


def test_a_recruiting_partner_cannot_register_a_deal_in_the_portal_unless_the_vendor_allows_it(people_a):
    from deals.models import DealRegistration
    from deals.services import NotYetSigned

    with tenant_context(people_a.tenant):
        Partner.objects.filter(pk=people_a.partner.pk).update(stage=Stage.RECRUITING)
    client = people_a.portal(people_a.partner_rep)
    with translation.override("ja"):
        refusal = str(NotYetSigned())
    assert refusal in client.get("/deals/new/").content.decode()  # said before the form is filled in
    response = client.post("/deals/new/", _deal_form())
    assert response.status_code == 200 and refusal in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not DealRegistration.objects.exists()
        PartnerSettings.objects.update_or_create(pk=1, defaults={"deals_before_signing": True})
    assert refusal not in client.get("/deals/new/").content.decode()
    assert client.post("/deals/new/", _deal_form()).status_code == 302
    with tenant_context(people_a.tenant):
        assert DealRegistration.objects.filter(partner=people_a.partner).count() == 1


@pytest.mark.worker
def test_the_nightly_task_recomputes_on_a_real_worker(celery_worker, django_db_blocker):
    from partners.tasks import partner_stages_recompute
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="bravo")
        with tenant_context(vendor):
            partner = Partner.objects.create(name="夜間段階テスト株式会社", partner_type="resale", stage=Stage.RECRUITING)
            try:
                _sign(partner)
                result = partner_stages_recompute.apply_async(kwargs={"schema_name": vendor.schema_name},
                                                              headers={"_schema_name": vendor.schema_name},
                                                              queue=celery_worker)
                assert result.get(timeout=60) >= 1
                partner.refresh_from_db()
                assert partner.stage == Stage.ONBOARDING
                assert PartnerEvent.objects.filter(partner=partner, kind=EventKind.STAGE_CHANGED,
                                                   data__cause="rule").exists()
                again = partner_stages_recompute.apply_async(
                    kwargs={"schema_name": vendor.schema_name, "partner_ids": [partner.pk]},
                    headers={"_schema_name": vendor.schema_name}, queue=celery_worker)
                assert again.get(timeout=60) == 0
            finally:
                partner.delete()
        connection.set_schema_to_public()


def test_the_funnel_says_how_many_partners_wait_on_which_rule(people_a):
    from insights.dashboards import presentation, selectors
    from tests.insights.test_dashboards import FILTERS

    with tenant_context(people_a.tenant):
        waiting = PartnerFactory.create_batch(3, stage=Stage.RECRUITING)
        _sign(waiting[0], AgreementKind.values[:2])
        signed = PartnerFactory(stage=Stage.RECRUITING)
        _sign(signed)
        lifecycle.stages_recompute(partner_ids=[*(p.pk for p in waiting), signed.pk])
        rows = {row.stage: row for row in selectors.stage_rows(FILTERS)}
        assert rows["recruiting"].waiting == (("agreements", 3),)
        assert rows["onboarding"].waiting == (("first_deal", 1),)
        with translation.override("en"):
            table = presentation.stages_table(list(rows.values()), FILTERS)
        recruiting = next(row for row in table.rows if row[0].value == "Recruiting")
        assert recruiting[-1].value == "Agreements 3"


def test_a_vendor_admin_sets_the_rules_within_bounds_and_saving_applies_them(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING)
        _sign(partner, AgreementKind.values[:2])
    client = people_a.console(people_a.vendor_admin)
    data = {"weight_customer_overlap": 3, "weight_core_business": 3, "weight_characteristics": 2,
            "weight_sales_capacity": 2, "customer_affinity_source": "typed", "trained_window_days": 365,
            "active_window_days": 90, "lifecycle_agreements": 2, "lifecycle_retention_months": 6,
            "lifecycle_dormant_days": 180}
    for field, value in (("lifecycle_agreements", 5), ("lifecycle_retention_months", 0),
                         ("lifecycle_dormant_days", 10), ("lifecycle_dormant_days", 1000)):
        refused = client.post("/partners/settings/", {**data, field: value})
        assert refused.status_code == 200 and field in refused.context["form"].errors
    assert client.post("/partners/settings/", data).status_code == 302
    with tenant_context(people_a.tenant):
        assert PartnerSettings.current().lifecycle_agreements == 2
        partner.refresh_from_db()
        assert partner.stage == Stage.ONBOARDING  # two agreements are now enough
    assert people_a.console(people_a.channel_manager).post("/partners/settings/", data).status_code == 403


def test_the_partner_form_offers_only_the_stages_a_person_decides(people_a):
    from partners.forms import PartnerForm

    with tenant_context(people_a.tenant):
        recruiting = PartnerFactory(stage=Stage.RECRUITING)
        active = PartnerFactory(stage=Stage.ACTIVATION)
        assert {code for code, _label in PartnerForm(partner=recruiting).fields["stage"].choices} == {
            "prospect", "applied", "recruiting", "terminated"}
        assert "activation" in {code for code, _label in PartnerForm(partner=active).fields["stage"].choices}
    response = people_a.console(people_a.channel_manager).post(f"/partners/{recruiting.pk}/edit/", {
        "name": recruiting.name, "partner_type": "resale", "stage": "retention"})
    assert response.status_code == 200 and "stage" in response.context["form"].errors
