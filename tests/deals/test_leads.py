"""Vendor leads passed to partners: by rule, with an SLA, never twice to a partner that declined."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import leads
from deals.models import DealRegistration, DealSettings, Lead, LeadOffer, LeadRecipient, LeadStatus, Priority
from tests.factories import UserFactory
from tests.partners.factories import PartnerFactory


@pytest.fixture
def recipients(people_a):
    with tenant_context(people_a.tenant):
        tokyo = PartnerFactory(name="東京の販売店", prefectures=["13"], stage="activation")
        osaka = PartnerFactory(name="大阪の販売店", prefectures=["27"], stage="retention")
        nagoya = PartnerFactory(name="名古屋の販売店", prefectures=["23"], stage="onboarding")
        PartnerFactory(name="休眠中の販売店", prefectures=["27"], stage="dormant")
        for partner, weight in ((tokyo, 1), (osaka, 3), (nagoya, 1)):
            LeadRecipient.objects.create(partner=partner, weight=weight)
        users = {p.pk: UserFactory(role="partner_admin", partner=p) for p in (tokyo, osaka, nagoya)}
    return {"tokyo": tokyo, "osaka": osaka, "nagoya": nagoya, "users": users}


def _lead(people, **fields):
    return leads.lead_create(actor=people.channel_manager, customer_name=fields.pop("customer_name", "株式会社見込み"),
                             corporate_number="", web_domain="", amount=3_000_000, **fields)


def test_a_lead_goes_to_the_partner_in_its_territory_first(people_a, recipients):
    with tenant_context(people_a.tenant):
        offer = leads.lead_offer_next(lead=_lead(people_a, prefecture="27"))
        assert offer.partner == recipients["osaka"]
        assert offer.expires_at - offer.offered_at == timedelta(hours=48)


def test_declined_and_expired_offers_move_on_and_never_come_back(people_a, recipients, django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        lead = _lead(people_a, prefecture="27")
        first = leads.lead_offer_next(lead=lead)
        with django_capture_on_commit_callbacks(execute=True):
            leads.lead_respond(offer=first, actor=recipients["users"][first.partner.pk], accept=False, reason="対応不可")
        second = LeadOffer.objects.get(lead=lead, status="pending")
        assert second.partner != first.partner
        LeadOffer.objects.filter(pk=second.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        assert leads.lead_offers_expire() == 1
        third = LeadOffer.objects.get(lead=lead, status="pending")
        assert third.partner not in (first.partner, second.partner)
        LeadOffer.objects.filter(pk=third.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        leads.lead_offers_expire()
        lead.refresh_from_db()
        assert lead.status == LeadStatus.UNPLACED  # everyone was asked once; the dormant partner never
        assert LeadOffer.objects.filter(lead=lead).count() == 3


def test_an_accepted_lead_becomes_the_partners_deal_registration(people_a, recipients):
    with tenant_context(people_a.tenant):
        lead = _lead(people_a, customer_name="株式会社リード受諾", prefecture="13", contact_name="佐藤 一郎")
        offer = leads.lead_offer_next(lead=lead)
    client = people_a.portal(recipients["users"][offer.partner.pk])
    page = client.get("/leads/").content.decode()
    assert "株式会社リード受諾" in page
    response = client.post(f"/leads/{offer.pk}/answer/", {"action": "accept"})
    with tenant_context(people_a.tenant):
        deal = DealRegistration.objects.get(lead=lead)
        assert response["Location"] == f"/deals/{deal.pk}/"
        assert (deal.partner, deal.priority, deal.role_lead, deal.customer_contact_name) == (
            recipients["tokyo"], Priority.HOLDER, "vendor", "佐藤 一郎")
        lead.refresh_from_db()
        assert (lead.status, lead.accepted_by) == (LeadStatus.ACCEPTED, recipients["tokyo"])


def test_a_partner_cannot_answer_another_partners_offer(people_a, recipients):
    with tenant_context(people_a.tenant):
        offer = leads.lead_offer_next(lead=_lead(people_a, prefecture="13"))
    intruder = people_a.portal(recipients["users"][recipients["osaka"].pk])
    assert intruder.post(f"/leads/{offer.pk}/answer/", {"action": "accept"}).status_code == 404
    with tenant_context(people_a.tenant):
        assert LeadOffer.objects.get(pk=offer.pk).status == "pending"


def test_weighted_round_robin_shares_leads_by_weight(people_a, recipients):
    with tenant_context(people_a.tenant):
        DealSettings.objects.update_or_create(pk=1, defaults={"lead_distribution": "round_robin"})
        received = []
        for n in range(10):
            offer = leads.lead_offer_next(lead=_lead(people_a, customer_name=f"株式会社ラウンド{n}"))
            received.append(offer.partner.name)
            LeadOffer.objects.filter(pk=offer.pk).update(status="accepted")
        assert received.count("大阪の販売店") == 6  # weight 3 of 5
        assert received.count("東京の販売店") == 2 and received.count("名古屋の販売店") == 2


def test_the_console_creates_and_offers_leads(people_a, recipients):
    client = people_a.console(people_a.channel_manager)
    client.post("/deals/leads/", {"customer_name": "株式会社コンソール", "prefecture": "23", "amount": "500000"})
    with tenant_context(people_a.tenant):
        lead = Lead.objects.get(customer_name="株式会社コンソール")
        assert lead.offers.get().partner == recipients["nagoya"]


def test_a_lead_cannot_be_accepted_twice(people_a, recipients):
    with tenant_context(people_a.tenant):
        offer = leads.lead_offer_next(lead=_lead(people_a, prefecture="13"))
    client = people_a.portal(recipients["users"][offer.partner.pk])
    client.post(f"/leads/{offer.pk}/answer/", {"action": "accept"})
    again = client.post(f"/leads/{offer.pk}/answer/", {"action": "accept"}, follow=True)
    assert "回答を受け付けていません" in again.content.decode()
    with tenant_context(people_a.tenant):
        assert DealRegistration.objects.filter(lead=offer.lead).count() == 1
