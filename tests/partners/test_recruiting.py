"""Planning (prospect ranking) and Recruiting (applications, the four agreements)."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.core import signing
from django_tenants.utils import tenant_context

from partners import selectors
from partners.forms import _SIGNER_SALT
from partners.models import (
    AgreementKind,
    ApplicationStatus,
    Contact,
    EventKind,
    Partner,
    PartnerApplication,
    PartnerSettings,
    Stage,
)
from partners.planning import Weights, prospect_score
from prm.invitations.models import Invitation
from tests.partners.factories import PartnerFactory, corporate_number


def _prospect(name, scores, **extra):
    a, b, c, d = scores
    return PartnerFactory(name=name, stage=Stage.PROSPECT, score_customer_overlap=a, score_core_business=b,
                          score_characteristics=c, score_sales_capacity=d, **extra)


def test_it_ranks_prospects_by_the_weighted_affinities(people_a):
    with tenant_context(people_a.tenant):
        _prospect("顧客が重なる社", (5, 1, 1, 1))
        _prospect("販売力がある社", (1, 1, 1, 5))
        signed = _prospect("契約済み", (5, 5, 5, 5))
        Partner.objects.filter(pk=signed.pk).update(stage=Stage.RETENTION)
    client = people_a.console(people_a.channel_manager)
    ranking = client.get("/partners/prospects/").context["page"]
    assert [p.name for p in ranking] == ["顧客が重なる社", "販売力がある社"]
    with tenant_context(people_a.tenant):
        weights = Weights.from_settings(PartnerSettings.current())
        assert ranking[0].score == prospect_score(
            {"customer_overlap": 5, "core_business": 1, "characteristics": 1, "sales_capacity": 1}, weights)
        settings_row = PartnerSettings.current()
        settings_row.weight_sales_capacity = 10
        settings_row.save()
    reranked = client.get("/partners/prospects/").context["page"]
    assert [p.name for p in reranked] == ["販売力がある社", "顧客が重なる社"]


def test_it_scores_between_0_and_100():
    weights = Weights(3, 3, 2, 2)
    assert prospect_score(dict.fromkeys(("customer_overlap", "core_business", "characteristics", "sales_capacity"), 5), weights) == 100
    assert prospect_score(dict.fromkeys(("customer_overlap", "core_business", "characteristics", "sales_capacity"), 0), weights) == 0
    assert prospect_score({"customer_overlap": 5, "core_business": 0, "characteristics": 0, "sales_capacity": 0}, weights) == 30


def test_converting_a_prospect_starts_recruiting(people_a):
    with tenant_context(people_a.tenant):
        prospect = _prospect("見込み株式会社", (3, 3, 3, 3))
    response = people_a.console(people_a.channel_manager).post(f"/partners/{prospect.pk}/convert/")
    assert response["Location"] == f"/partners/{prospect.pk}/"
    with tenant_context(people_a.tenant):
        prospect.refresh_from_db()
        assert prospect.stage == Stage.RECRUITING and prospect.owner == people_a.channel_manager
        assert prospect.events.filter(kind=EventKind.STAGE_CHANGED, data__stage="recruiting").exists()
    again = people_a.console(people_a.channel_manager).post(f"/partners/{prospect.pk}/convert/", follow=True)
    assert "見込み" in again.content.decode()


def _application_data(**overrides):
    started = signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(int(time.time()) - 30))
    return {"company_name": "株式会社新星システム", "company_name_kana": "シンセイシステム",
            "corporate_number": corporate_number(777), "partner_type": "resale", "prefectures": ["13"],
            "contact_name": "星野 光", "contact_email": "hoshino@shinsei.example.jp", "message": "よろしくお願いします",
            "started": started, "fax": ""} | overrides


def test_anyone_can_apply_on_the_portal_and_a_second_send_changes_nothing(people_a):
    visitor = people_a.portal()
    page = visitor.get("/apply/")
    assert page.status_code == 200 and "株式会社アルファ" in page.content.decode()
    assert visitor.post("/apply/", _application_data())["Location"] == "/apply/thanks/"
    again = visitor.post("/apply/", _application_data())
    assert again.status_code == 200
    assert "既にお申し込み" in again.content.decode()
    with tenant_context(people_a.tenant):
        assert PartnerApplication.objects.count() == 1


@pytest.mark.parametrize(("overrides", "message"), [
    ({"fax": "0120-000-000"}, "受け付けられませんでした"),
    ({"started": "a minute from now"}, "受け付けられませんでした"),
    ({"started": "forged"}, "期限"),
    ({"corporate_number": "1234567890123"}, "チェックデジット"),
])
def test_it_refuses_bots_and_bad_input_and_records_nothing(people_a, overrides, message):
    if overrides.get("started") == "a minute from now":  # signed when the test runs, not when it is collected
        overrides = overrides | {"started": signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(int(time.time()) + 60))}
    response = people_a.portal().post("/apply/", _application_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not PartnerApplication.objects.exists()


def test_it_rate_limits_applications_per_address(people_a):
    visitor = people_a.portal()
    for n in range(5):
        assert visitor.post("/apply/", _application_data(contact_email=f"a{n}@x.example.jp", corporate_number=""))["Location"]
    blocked = visitor.post("/apply/", _application_data(contact_email="a9@x.example.jp", corporate_number=""))
    assert blocked.status_code == 429


def test_approving_creates_the_partner_and_invites_its_admin(people_a, mailoutbox, django_capture_on_commit_callbacks):
    people_a.portal().post("/apply/", _application_data())
    with tenant_context(people_a.tenant):
        application = PartnerApplication.objects.get()
    client = people_a.console(people_a.channel_manager)
    queue = client.get("/partners/applications/")
    assert [a.company_name for a in queue.context["page"]] == ["株式会社新星システム"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/partners/applications/{application.pk}/approve/")
    with tenant_context(people_a.tenant):
        partner = Partner.objects.get(name="株式会社新星システム")
        assert response["Location"] == f"/partners/{partner.pk}/"
        assert (partner.stage, partner.corporate_number, partner.owner) == (Stage.RECRUITING, corporate_number(777),
                                                                            people_a.channel_manager)
        key = Contact.objects.get(partner=partner)
        assert key.is_key_person and key.email == "hoshino@shinsei.example.jp"
        invitation = Invitation.objects.get(email="hoshino@shinsei.example.jp")
        assert (invitation.role, invitation.partner) == ("partner_admin", partner)
        application.refresh_from_db()
        assert (application.status, application.partner, application.reviewed_by) == ("approved", partner, people_a.channel_manager)
    assert "http://partners.alpha.localhost:8000/invitations/" in mailoutbox[0].body
    twice = client.post(f"/partners/applications/{application.pk}/approve/", follow=True)
    assert "既に審査済み" in twice.content.decode()


def test_rejecting_needs_a_reason(people_a):
    people_a.portal().post("/apply/", _application_data())
    with tenant_context(people_a.tenant):
        application = PartnerApplication.objects.get()
    client = people_a.console(people_a.channel_manager)
    assert client.post(f"/partners/applications/{application.pk}/reject/", {"reason": ""}).status_code == 400
    client.post(f"/partners/applications/{application.pk}/reject/", {"reason": "対象地域外のため"})
    with tenant_context(people_a.tenant):
        application.refresh_from_db()
        assert (application.status, application.rejection_reason) == (ApplicationStatus.REJECTED, "対象地域外のため")
        assert not Partner.objects.filter(name=application.company_name).exists()


def test_an_application_from_a_known_company_is_flagged_and_cannot_create_a_duplicate(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="既存パートナー", corporate_number=corporate_number(777))
    people_a.portal().post("/apply/", _application_data())
    client = people_a.console(people_a.channel_manager)
    assert client.get("/partners/applications/").context["page"][0].known_partner
    with tenant_context(people_a.tenant):
        application = PartnerApplication.objects.get()
    response = client.post(f"/partners/applications/{application.pk}/approve/", follow=True)
    assert "既存パートナー" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert Partner.objects.filter(corporate_number=corporate_number(777)).count() == 1
        assert PartnerApplication.objects.get().status == "pending"


def test_the_four_agreements_make_a_program_participant_and_start_onboarding(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING, partner_type="resale")
        assert selectors.program_participation_count() == 0
    client = people_a.console(people_a.channel_manager)
    posts = {
        AgreementKind.CO_CREATION: {"summary": "既存顧客の業務改善を共同で提案"},
        AgreementKind.BUSINESS_GOAL: {"goal_3y": 300000000, "target_year1": 30000000, "target_year2": 100000000},
        AgreementKind.PROGRAM: {"starting_tier": "シルバー", "homework": "認定1名・リード10件"},
        AgreementKind.CONTRACT: {"margin_percent": "20", "payment_terms": "月末締め翌月末払い", "nda": "on"},
    }
    for n, (kind, data) in enumerate(posts.items()):
        response = client.post(f"/partners/{partner.pk}/agreements/{kind}/", {"agreed_on": "2026-10-01", **data})
        assert response.status_code == 302, response.context["form"].errors
        with tenant_context(people_a.tenant):
            partner.refresh_from_db()
            expected = Stage.ONBOARDING if n == 3 else Stage.RECRUITING
            assert partner.stage == expected
    with tenant_context(people_a.tenant):
        assert selectors.program_participation_count() == 1
        agreement = partner.agreements.get(kind="business_goal")
        assert agreement.details["targets"][:2] == [30000000, 100000000]
        assert agreement.recorded_by == people_a.channel_manager and agreement.agreed_on == date(2026, 10, 1)
        assert partner.events.filter(kind=EventKind.PROGRAM_JOINED).count() == 1
        assert partner.checklist.exists()


def test_an_agreement_needs_its_own_fields_and_a_past_date(people_a):
    client = people_a.console(people_a.channel_manager)
    missing = client.post(f"/partners/{people_a.partner.pk}/agreements/program/", {"agreed_on": "2026-10-01"})
    assert set(missing.context["form"].errors) == {"starting_tier", "homework"}
    future = client.post(f"/partners/{people_a.partner.pk}/agreements/co_creation/", {"agreed_on": "2999-01-01", "summary": "x"})
    assert "agreed_on" in future.context["form"].errors
    assert client.get(f"/partners/{people_a.partner.pk}/agreements/other/").status_code == 404
