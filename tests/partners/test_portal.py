"""The partner side of Planning–Onboarding in the portal."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import tenant_context

from partners import services
from partners.models import Contact, ContactSignal, PartnerType, SignalKind, Stage
from tests.factories import UserFactory
from tests.partners.factories import ContactFactory, PartnerFactory

BANK = {"bank_code": "0009", "bank_name": "三井住友銀行", "branch_code": "015", "branch_name": "東京営業部",
        "account_type": "1", "account_number": "7654321", "account_holder": "カ）アルファパートナー"}


def test_a_partner_admin_edits_the_invoice_number_and_bank_account(people_a):
    client = people_a.portal(people_a.partner_admin)
    response = client.post("/company/", {"invoice_number": "T7000012050002", **BANK})
    assert response["Location"] == "/company/"
    with tenant_context(people_a.tenant):
        people_a.partner.refresh_from_db()
        assert people_a.partner.invoice_number == "T7000012050002"
        assert people_a.partner.account_holder == "ｶ)ｱﾙﾌｱﾊﾟ-ﾄﾅ-"
        assert people_a.partner.events.filter(kind="updated", actor=people_a.partner_admin).exists()


def test_it_names_the_bad_fields_and_saves_nothing(people_a):
    response = people_a.portal(people_a.partner_admin).post(
        "/company/", {"invoice_number": "T1234567890123", **BANK, "branch_code": "15x"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"invoice_number", "branch_code"}
    with tenant_context(people_a.tenant):
        people_a.partner.refresh_from_db()
        assert people_a.partner.invoice_number == "" and people_a.partner.bank_code == ""


def test_a_rep_sees_the_profile_but_cannot_change_it(people_a):
    client = people_a.portal(people_a.partner_rep)
    assert client.get("/company/").status_code == 200
    assert client.post("/company/", {"invoice_number": "T7000012050002"}).status_code == 403


def test_a_partner_admin_deactivates_a_colleague_but_not_themselves_or_strangers(people_a):
    client = people_a.portal(people_a.partner_admin)
    assert client.post(f"/team/{people_a.partner_rep.pk}/deactivate/")["Location"] == "/team/"
    client.post(f"/team/{people_a.partner_admin.pk}/deactivate/")
    assert client.post(f"/team/{people_a.other_partner_admin.pk}/deactivate/").status_code == 404
    with tenant_context(people_a.tenant):
        for user in (people_a.partner_rep, people_a.partner_admin, people_a.other_partner_admin):
            user.refresh_from_db()
        assert (people_a.partner_rep.is_active, people_a.partner_admin.is_active, people_a.other_partner_admin.is_active) == (
            False, True, True)
    with tenant_context(people_a.tenant):
        another_rep = UserFactory(role="partner_rep", partner=people_a.partner)
    assert people_a.portal(another_rep).post(f"/team/{people_a.partner_admin.pk}/deactivate/").status_code == 403


def test_the_portal_shows_only_the_partners_own_checklist_and_plan(people_a):
    with tenant_context(people_a.tenant):
        for partner in (people_a.partner, people_a.other_partner):
            partner.stage = Stage.RECRUITING
            partner.save()
            services.partner_set_stage(partner=partner, stage=Stage.ONBOARDING, actor=people_a.channel_manager)
        people_a.other_partner.checklist.update(title="他社だけの項目")
        services.plan_save(partner=people_a.partner, fiscal_year=services.fiscal_year_of(timezone.localdate()),
                           actor=people_a.channel_manager, revenue_target=12_000_000, initiatives="共同セミナー")
    client = people_a.portal(people_a.partner_rep)
    onboarding = client.get("/onboarding/").content.decode()
    assert "NDA・パートナー契約の締結" in onboarding and "他社だけの項目" not in onboarding
    plan = client.get("/plan/").content.decode()
    assert "¥12,000,000" in plan and "共同セミナー" in plan
    other = people_a.portal(people_a.other_partner_admin).get("/plan/").content.decode()
    assert "共同セミナー" not in other


def test_a_distributor_admin_sees_a_summary_of_its_sub_resellers(people_a):
    with tenant_context(people_a.tenant):
        people_a.partner.partner_type = PartnerType.DISTRIBUTOR
        people_a.partner.save()
        child = PartnerFactory(name="二次店ひまわり", parent=people_a.partner)
        contact = ContactFactory(partner=child)
        services.signal_record(partner=child, contact=contact, kind=SignalKind.LEAD_REGISTERED)
        PartnerFactory(name="無関係の販売店")
    page = people_a.portal(people_a.partner_admin).get("/network/")
    assert [(c.name, c.active_contacts) for c in page.context["children"]] == [("二次店ひまわり", 1)]
    assert "無関係の販売店" not in page.content.decode()
    assert people_a.portal(people_a.partner_rep).get("/network/").status_code == 403
    assert people_a.portal(people_a.other_partner_admin).get("/network/").status_code == 404


def test_signing_in_to_the_portal_links_the_contact_and_records_the_login(people_a):
    client = people_a.portal()
    client.post("/accounts/login/", {"login": people_a.partner_rep.email, "password": "test-password-123"})
    with tenant_context(people_a.tenant):
        contact = Contact.objects.get(user=people_a.partner_rep)
        assert contact.partner == people_a.partner
        assert ContactSignal.objects.filter(contact=contact, kind=SignalKind.PORTAL_LOGIN).count() == 1
        assert contact.stage == "valid"
