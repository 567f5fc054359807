"""The console's partner list and detail pages, and partner writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from partners import services
from partners.models import Activity, EventKind, Partner, PartnerEvent, SignalKind, Stage
from tests.partners.factories import ContactFactory, PartnerFactory, corporate_number


def _queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), response


def test_it_lists_partners_with_filters_search_and_sorting(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="株式会社北海道テック", name_kana="ホッカイドウテック", partner_type="distributor",
                       prefectures=["01"], owner=people_a.channel_manager, corporate_number=corporate_number(11))
        PartnerFactory(name="沖縄ソフト株式会社", name_kana="オキナワソフト", partner_type="referral", stage=Stage.PROSPECT,
                       prefectures=["47"])
    client = people_a.console(people_a.channel_manager)

    def names(query):
        return [p.name for p in client.get(f"/partners/?{query}").context["page"]]

    assert names("partner_type=distributor") == ["株式会社北海道テック"]
    assert names("q=オキナワ") == ["沖縄ソフト株式会社"]
    assert names(f"q={corporate_number(11)}") == ["株式会社北海道テック"]
    assert names("prefecture=47") == ["沖縄ソフト株式会社"]
    assert names(f"owner={people_a.channel_manager.pk}") == ["株式会社北海道テック"]
    assert names("stage=prospect") == ["沖縄ソフト株式会社"]
    with tenant_context(people_a.tenant):
        expected = list(Partner.objects.order_by("name_kana", "name", "pk").values_list("name", flat=True))
    assert names("sort=name") == expected
    assert names("sort=-name") == list(reversed(expected))


def test_it_returns_only_the_table_to_htmx_and_varies_on_it(people_a):
    client = people_a.console(people_a.channel_manager)
    partial = client.get("/partners/?q=zzz", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body
    assert 'id="partner-table"' not in body and "<table" in body
    assert "HX-Request" in partial["Vary"]
    assert "<html" in client.get("/partners/").content.decode()


def test_it_paginates_the_list(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory.create_batch(55)
    page = people_a.console(people_a.channel_manager).get("/partners/?page=2").context["page"]
    assert page.number == 2 and len(page.object_list) == 57 - 50  # 55 + the two personas' partners


def test_the_list_costs_the_same_queries_for_10_or_60_partners(people_a):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        for partner in PartnerFactory.create_batch(8, owner=people_a.channel_manager):
            ContactFactory.create_batch(2, partner=partner)
    client.get("/partners/")  # fills the caches (the bell's count, the owner filter's staff)
    few, _ = _queries(client, "/partners/")
    with tenant_context(people_a.tenant):
        parent = PartnerFactory(partner_type="distributor")
        for partner in PartnerFactory.create_batch(50, owner=people_a.channel_manager, parent=parent):
            ContactFactory.create_batch(3, partner=partner)
    many, response = _queries(client, "/partners/")
    assert len(response.context["page"].object_list) == 50
    assert many == few


def _fill(partner, people, contacts: int, events: int, activities: int):
    with tenant_context(people.tenant):
        for contact in ContactFactory.create_batch(contacts, partner=partner):
            services.signal_record(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED)
        for n in range(activities):
            services.activity_log(partner=partner, actor=people.channel_manager, kind="call", subject=f"call {n}",
                                  contacts=list(partner.contacts.all()[:2]), staff=[people.channel_manager])
        PartnerEvent.objects.bulk_create(PartnerEvent(partner=partner, kind=EventKind.UPDATED, actor=people.vendor_admin,
                                                      data={"fields": ["phone"]}) for _ in range(events))
        services.plan_save(partner=partner, fiscal_year=services.fiscal_year_of(timezone.localdate()),
                           actor=people.channel_manager, revenue_target=1_000_000)


@pytest.mark.parametrize("partner_type", ["resale", "distributor"])
def test_the_detail_page_costs_the_same_queries_however_much_happened(people_a, partner_type):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        small = PartnerFactory(partner_type=partner_type, stage=Stage.RECRUITING)
        big = PartnerFactory(partner_type=partner_type, stage=Stage.RECRUITING)
        services.partner_set_stage(partner=small, stage=Stage.ONBOARDING, actor=people_a.channel_manager)
        services.partner_set_stage(partner=big, stage=Stage.ONBOARDING, actor=people_a.channel_manager)
        PartnerFactory.create_batch(1, parent=small)
        PartnerFactory.create_batch(12, parent=big)
    _fill(small, people_a, contacts=1, events=1, activities=1)
    _fill(big, people_a, contacts=25, events=60, activities=12)
    client.get(f"/partners/{small.pk}/")  # fills the caches (the bell's count)
    few, _ = _queries(client, f"/partners/{small.pk}/")
    many, response = _queries(client, f"/partners/{big.pk}/")
    assert many == few
    assert len(response.context["contacts"]) == 25


def test_it_refuses_an_invalid_corporate_number_and_creates_nothing(people_a):
    client = people_a.console(people_a.channel_manager)
    response = client.post("/partners/new/", {"name": "新規株式会社", "partner_type": "resale", "stage": "prospect",
                                              "corporate_number": "1234567890123", "score_customer_overlap": 0,
                                              "score_core_business": 0, "score_characteristics": 0, "score_sales_capacity": 0})
    assert response.status_code == 200
    assert "corporate_number" in response.context["form"].errors
    assert "チェックデジット" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not Partner.objects.filter(name="新規株式会社").exists()


def test_it_refuses_a_second_partner_with_the_same_corporate_number(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="元の会社", corporate_number=corporate_number(42))
    response = people_a.console(people_a.channel_manager).post("/partners/new/", {
        "name": "別の会社", "partner_type": "resale", "stage": "prospect", "corporate_number": corporate_number(42),
        "score_customer_overlap": 0, "score_core_business": 0, "score_characteristics": 0, "score_sales_capacity": 0})
    assert "元の会社" in " ".join(response.context["form"].errors["corporate_number"])
    with tenant_context(people_a.tenant):
        assert not Partner.objects.filter(name="別の会社").exists()


def test_it_creates_and_edits_a_partner_with_everything_on_the_timeline(people_a):
    client = people_a.console(people_a.channel_manager)
    data = {
        "name": "株式会社みらい販売", "name_kana": "ミライハンバイ", "partner_type": "resale", "stage": "prospect",
        "owner": people_a.channel_manager.pk, "prefectures": ["13", "14"], "industries": ["it"],
        "corporate_number": "７０００ー０１２０５ー０００２", "invoice_number": "t7000012050002",
        "bank_code": "0005", "bank_name": "三菱UFJ銀行", "branch_code": "001", "branch_name": "本店",
        "account_type": "1", "account_number": "12345", "account_holder": "カ）ミライハンバイ",
        "score_customer_overlap": 4, "score_core_business": 3, "score_characteristics": 2, "score_sales_capacity": 5,
    }
    response = client.post("/partners/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    with tenant_context(people_a.tenant):
        partner = Partner.objects.get(name="株式会社みらい販売")
        assert (partner.corporate_number, partner.invoice_number) == ("7000012050002", "T7000012050002")
        assert (partner.account_number, partner.account_holder) == ("0012345", "ｶ)ﾐﾗｲﾊﾝﾊﾞｲ")
    client.post(f"/partners/{partner.pk}/edit/", {**data, "corporate_number": "7000012050002", "phone": "03-1234-5678",
                                                  "stage": "recruiting"})
    detail = client.get(f"/partners/{partner.pk}/")
    icons = {entry.icon for entry in detail.context["timeline"]}
    assert {"signpost-2", "pencil"} <= icons  # the stage change and the profile update
    assert "株式会社みらい販売" in detail.content.decode()


def test_it_refuses_an_incomplete_bank_account(people_a):
    with tenant_context(people_a.tenant), pytest.raises(Exception) as caught:
        services.partner_update(partner=people_a.partner, actor=people_a.channel_manager, bank_code="0005",
                                branch_code="12", account_number="", account_holder="", account_type="1")
    assert set(caught.value.message_dict) == {"branch_code", "account_number", "account_holder"}


def test_it_shows_another_tenants_partner_as_not_found(people_a, people_b):
    response = people_b.console(people_b.channel_manager).get(f"/partners/{people_a.partner.pk + 100000}/")
    assert response.status_code == 404
    with tenant_context(people_b.tenant):
        assert not Partner.objects.filter(name=people_a.partner.name).exists()


def test_it_logs_activities_with_attendees(people_a):
    with tenant_context(people_a.tenant):
        contact = ContactFactory(partner=people_a.partner)
        foreign = ContactFactory(partner=people_a.other_partner)
    client = people_a.console(people_a.channel_manager)
    response = client.post(f"/partners/{people_a.partner.pk}/activities/new/", {
        "kind": "qbr", "subject": "2026年度 Q3 QBR", "occurred_at": "2026-10-01T14:00", "contacts": [contact.pk],
        "staff": [people_a.channel_manager.pk], "notes": "受注見込みを確認", "next_actions": "提案書送付"})
    assert response.status_code == 302
    refused = client.post(f"/partners/{people_a.partner.pk}/activities/new/", {
        "kind": "call", "subject": "x", "occurred_at": "2026-10-01T14:00", "contacts": [foreign.pk]})
    assert refused.status_code == 200 and "contacts" in refused.context["form"].errors
    with tenant_context(people_a.tenant):
        activity = Activity.objects.get(partner=people_a.partner)
        assert list(activity.contacts.all()) == [contact]
        assert people_a.partner.events.filter(kind=EventKind.ACTIVITY, activity=activity).exists()
