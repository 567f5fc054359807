"""Lead distribution's further rule: offer a lead first to a partner whose customer list already
holds the customer (point 5), matched on the stored keys and never across tenants."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from deals import leads
from deals.models import DealSettings, LeadOffer
from mapping import selectors, services
from partners.models import Partner
from tests.factories import UserFactory
from tests.mapping.factories import number, upload_list
from tests.partners.factories import PartnerFactory

CUSTOMER = "株式会社見込み"


@pytest.fixture
def recipients(people_a):
    """Osaka is in the lead's territory (27), so the rule alone offers it to Osaka first."""
    with tenant_context(people_a.tenant):
        tokyo = PartnerFactory(name="東京の販売店", prefectures=["13"], stage="activation")
        osaka = PartnerFactory(name="大阪の販売店", prefectures=["27"], stage="retention")
        nagoya = PartnerFactory(name="名古屋の販売店", prefectures=["23"], stage="onboarding")
        for partner in (tokyo, osaka, nagoya):
            leads.LeadRecipient.objects.create(partner=partner, weight=1)
        admins = {p.pk: UserFactory(role="partner_admin", partner=p) for p in (tokyo, osaka, nagoya)}
    return {"tokyo": tokyo, "osaka": osaka, "nagoya": nagoya, "admins": admins}


def _prefer_serving(on: bool = True) -> None:
    DealSettings.objects.update_or_create(pk=DealSettings.current().pk, defaults={"lead_prefer_serving_partner": on})


def _lead(people, name: str = CUSTOMER, corporate_number: str = ""):
    return leads.lead_create(actor=people.channel_manager, customer_name=name, corporate_number=corporate_number,
                             web_domain="", amount=1_000_000, prefecture="27")


def _customers(recipients, key: str, *names: str):
    partner = recipients[key]
    return upload_list(recipients["admins"][partner.pk], partner, *[[name, "", "", "", "", ""] for name in names])


def test_it_offers_the_lead_first_to_the_partner_that_serves_the_customer(people_a, recipients):
    with tenant_context(people_a.tenant):
        _customers(recipients, "tokyo", "見込み", "別の会社")  # 株式会社 or not: the same name key
        _customers(recipients, "nagoya", "無関係の会社")
        _prefer_serving()
        offer = leads.lead_offer_next(lead=_lead(people_a))
        assert offer.partner == recipients["tokyo"]
        # nothing on the offer says why: it is the same offer any partner gets
        assert (offer.status, offer.reason) == (LeadOffer.Status.PENDING, "")


def test_the_rule_keeps_its_order_within_each_group_and_its_exclusions(people_a, recipients,
                                                                        django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        _customers(recipients, "tokyo", CUSTOMER)
        _customers(recipients, "nagoya", CUSTOMER)
        _prefer_serving()
        lead = _lead(people_a)
        order = leads.candidates(lead)
        assert order[-1] == recipients["osaka"] and set(order[:2]) == {recipients["tokyo"], recipients["nagoya"]}
        first = leads.lead_offer_next(lead=lead)
        with django_capture_on_commit_callbacks(execute=True):
            leads.lead_respond(offer=first, actor=recipients["admins"][first.partner.pk], accept=False)
        second = LeadOffer.objects.get(lead=lead, status="pending")
        assert second.partner == order[1]  # the declining partner is never offered it again
        assert leads.candidates(lead) == [recipients["osaka"]]


def test_with_the_setting_off_the_rule_alone_decides(people_a, recipients):
    with tenant_context(people_a.tenant):
        _customers(recipients, "tokyo", CUSTOMER)
        _prefer_serving(False)
        assert leads.lead_offer_next(lead=_lead(people_a)).partner == recipients["osaka"]


def test_a_deleted_list_no_longer_counts(people_a, recipients):
    with tenant_context(people_a.tenant):
        customer_list = _customers(recipients, "tokyo", CUSTOMER)
        _prefer_serving()
        assert leads.candidates(_lead(people_a))[0] == recipients["tokyo"]
        services.list_delete(customer_list=customer_list, actor=recipients["admins"][recipients["tokyo"].pk])
        assert leads.lead_offer_next(lead=_lead(people_a, name="株式会社見込み")).partner == recipients["osaka"]


def test_a_prospects_list_is_not_a_customer_list_of_the_partner(people_a, recipients):
    with tenant_context(people_a.tenant):
        partner = recipients["tokyo"]
        upload_list(recipients["admins"][partner.pk], partner, [CUSTOMER, "", "", "", "", ""], population="prospects")
        _prefer_serving()
        assert leads.lead_offer_next(lead=_lead(people_a)).partner == recipients["osaka"]


def test_it_matches_as_the_one_matcher_does(people_a, recipients):
    with tenant_context(people_a.tenant):
        partner = recipients["tokyo"]
        upload_list(recipients["admins"][partner.pk], partner,
                    ["カブシキガイシャ別表記", number(71), "", "", "", ""],
                    ["同名異社株式会社", number(72), "", "", "", ""])
        lead = _lead(people_a, name="全然違う名前", corporate_number=number(71))
        assert selectors.partners_serving(lead.name_key, lead.corporate_key, lead.domain_key) == {partner.pk}
        # same name but both have corporate numbers, and they differ: another company
        other = _lead(people_a, name="同名異社株式会社", corporate_number=number(73))
        assert selectors.partners_serving(other.name_key, other.corporate_key, other.domain_key) == set()
        # the lead has no number: the name decides
        named = _lead(people_a, name="同名異社")
        assert selectors.partners_serving(named.name_key, named.corporate_key, named.domain_key) == {partner.pk}


def _partner_with_pk(pk: int) -> Partner:
    """In the current tenant, a partner whose id is `pk` (ids are per schema, so they repeat)."""
    existing = Partner.objects.filter(pk=pk).first()
    if existing is not None:
        return existing
    while (partner := PartnerFactory(stage="activation")).pk < pk:
        pass
    return partner if partner.pk == pk else PartnerFactory(pk=pk, stage="activation")


def test_another_tenants_lists_never_count(people_a, people_b, recipients):
    tokyo_pk = recipients["tokyo"].pk
    with tenant_context(people_b.tenant):
        twin = _partner_with_pk(tokyo_pk)
        upload_list(UserFactory(role="partner_admin", partner=twin), twin, [CUSTOMER, "", "", "", "", ""])
        assert selectors.partners_serving(*_keys(CUSTOMER)) == {tokyo_pk}
    with tenant_context(people_a.tenant):
        _prefer_serving()
        assert selectors.partners_serving(*_keys(CUSTOMER)) == set()
        assert leads.lead_offer_next(lead=_lead(people_a)).partner == recipients["osaka"]


def _keys(name: str) -> tuple[str, str, str]:
    from deals.services import customer_keys_for

    keys = customer_keys_for(name, "", "")
    return keys.name_key, keys.corporate_number or "", keys.domain or ""


def test_the_setting_is_edited_with_the_other_deal_rules(people_a):
    client = people_a.console(people_a.vendor_admin)
    data = {"mode": "first_come", "validity_days": 90, "warn_days_before": 14, "max_extension_days": 90,
            "lead_sla_hours": 48, "lead_distribution": "territory"}
    with tenant_context(people_a.tenant):
        assert DealSettings.current().lead_prefer_serving_partner is False  # off unless the vendor turns it on
    client.post("/deals/rules/", {**data, "lead_prefer_serving_partner": "on"})
    with tenant_context(people_a.tenant):
        assert DealSettings.current().lead_prefer_serving_partner is True
    client.post("/deals/rules/", data)
    with tenant_context(people_a.tenant):
        assert DealSettings.current().lead_prefer_serving_partner is False
    assert 'name="lead_prefer_serving_partner"' in client.get("/deals/rules/").content.decode()
