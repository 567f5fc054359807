"""The hostile requests that gave 500s (or another month's file) now get a clear error naming the field."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from deals.models import DealRegistration, Lead
from incentives.models import MdfAllocation, MdfRequest
from partners.models import BusinessPlan


def _mdf_request(people) -> MdfRequest:
    with tenant_context(people.tenant):
        MdfAllocation.objects.create(partner=people.partner, fiscal_year=2026, amount=500_000, source="manual")
        return MdfRequest.objects.create(partner=people.partner, activity="共同セミナー", starts_on=date(2026, 10, 1),
                                         ends_on=date(2026, 10, 31), budget=100_000, requested_by=people.partner_admin)


@pytest.mark.parametrize("query, name", [("?partner=²", "partner"), ("?partner=99999999999999999999", "partner"),
                                         ("?partner=-1", "partner")])
def test_it_refuses_a_bad_partner_on_the_pipeline_naming_it(people_a, query, name):
    response = people_a.console(people_a.channel_manager).get("/deals/pipeline/" + query)
    assert response.status_code == 400
    assert f"「{name}」" in response.content.decode()


def test_it_refuses_a_bad_session_on_the_deal_form(people_a):
    response = people_a.portal(people_a.partner_rep).get("/deals/new/?session=²")
    assert response.status_code == 400 and "「session」" in response.content.decode()


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "²026-01", "0001-01", "2026-1-1"])
def test_it_never_serves_another_months_transfer_file(people_a, period):
    response = people_a.console(people_a.vendor_admin).get(f"/incentives/payouts/transfer/?period={period}")
    assert response.status_code == 400 and "「period」" in response.content.decode()
    assert people_a.console(people_a.vendor_admin).get(f"/incentives/payouts/?period={period}").status_code == 400


@pytest.mark.parametrize("url", ["/library/?q=a%00b", "/faq/?q=a%00b", "/deals/?a%00b=1"])
def test_it_answers_400_to_a_nul_byte_in_the_portal_naming_the_parameter(people_a, url):
    response = people_a.portal(people_a.partner_admin).get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_it_answers_400_to_a_nul_byte_in_a_post_and_changes_nothing(people_a):
    response = people_a.portal(people_a.partner_admin).post("/mdf/", {
        "activity": "共同\x00セミナー", "starts_on": "2026-10-01", "ends_on": "2026-10-31", "budget": "1000",
        "expected_leads": "1"})
    assert response.status_code == 400 and "「activity」" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not MdfRequest.objects.exists()


@pytest.mark.parametrize("value", ["²", "99999999999999999999"])
def test_bulk_decisions_refuse_bad_ids(people_a, value):
    response = people_a.console(people_a.channel_manager).post("/deals/bulk/", {"deal": ["1", value], "action": "approve"})
    assert response.status_code == 400 and "「deal」" in response.content.decode()


@pytest.mark.parametrize("amount", ["²", "99999999999999999999", str(2**63)])
def test_mdf_decisions_refuse_bad_amounts(people_a, amount):
    request = _mdf_request(people_a)
    response = people_a.console(people_a.channel_manager).post(f"/incentives/mdf/{request.pk}/decide/",
                                                               {"action": "approve", "amount": amount}, follow=True)
    assert response.status_code == 200
    assert "Approved amount" in response.content.decode() or "承認額" in response.content.decode()
    with tenant_context(people_a.tenant):
        request.refresh_from_db()
        assert request.status == MdfRequest.Status.REQUESTED


@pytest.mark.parametrize("field, value", [("budget", "99999999999999999999"), ("budget", "²"),
                                          ("budget", str(10**12 + 1)), ("expected_leads", str(2**63)),
                                          ("starts_on", "0001-01-01"), ("ends_on", "9999-12-31")])
def test_mdf_requests_are_bounded(people_a, field, value):
    data = {"activity": "共同セミナー", "starts_on": "2026-10-01", "ends_on": "2026-10-31", "budget": "1000",
            "expected_leads": "1", field: value}
    response = people_a.portal(people_a.partner_admin).post("/mdf/", data)
    assert response.status_code == 200
    assert f'id="id_{field}"' in response.content.decode() and "is-invalid" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not MdfRequest.objects.exists()


@pytest.mark.parametrize("value", ["99999999999999999999", str(2**63), "²", "-1"])
def test_deal_registration_amounts_are_bounded(people_a, value):
    response = people_a.portal(people_a.partner_rep).post("/deals/new/", {
        "customer_name": "株式会社境界値", "amount": value, "expected_close": "2099-01-01",
        **{f"role_{r}": "partner" for r in ("lead", "proposal", "contract", "billing", "support")}})
    assert response.status_code == 200
    with tenant_context(people_a.tenant):
        assert not DealRegistration.objects.filter(customer_name="株式会社境界値").exists()


@pytest.mark.parametrize("field", ["revenue_target", "deals_target", "leads_target", "certified_target"])
def test_business_plan_targets_are_bounded(people_a, field):
    data = {"fiscal_year": "2026", "revenue_target": "0", "deals_target": "0", "leads_target": "0",
            "active_contacts_target": "0", "certified_target": "0", field: "99999999999999999999"}
    response = people_a.console(people_a.channel_manager).post(f"/partners/{people_a.partner.pk}/plans/new/", data)
    assert response.status_code == 200
    with tenant_context(people_a.tenant):
        assert not BusinessPlan.objects.exists()


@pytest.mark.parametrize("amount", ["99999999999999999999", "²", "1000000000001"])
def test_lead_csv_amounts_are_bounded(people_a, amount):
    csv = f"customer_name,amount\n株式会社リード,{amount}\n".encode()
    response = people_a.console(people_a.channel_manager).post(
        "/deals/leads/import/", {"file": SimpleUploadedFile("leads.csv", csv, content_type="text/csv")}, follow=True)
    assert response.status_code == 200
    assert "amount" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not Lead.objects.exists()


def test_the_400_page_is_translated_and_branded(people_a):
    client = people_a.console(people_a.channel_manager)
    client.cookies["django_language"] = "ja"
    response = client.get("/deals/pipeline/?partner=²")
    assert response.status_code == 400
    assert "kyoso" in response.content.decode().lower()
