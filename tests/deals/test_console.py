"""Console extras: direct-sales CSV import, rules, notifications."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import services
from deals.models import DealSettings, DirectAccount, Priority
from prm.notifications.models import Notification
from prm.notifications.services import notify
from tests.partners.factories import corporate_number

GOOD = f"""customer_name,corporate_number,web_domain,owner_email,opportunity,amount,expected_close
株式会社直販一号,{corporate_number(901)},chokuhan1.co.jp,,全社導入,5000000,2027-03-31
直販二号株式会社,,chokuhan2.co.jp,,,,
"""


def test_direct_accounts_import_all_or_nothing_and_then_block_partners(people_a):
    client = people_a.console(people_a.channel_manager)
    bad = GOOD + "株式会社直販三号,1234567890123,,nobody@example.jp,案件,abc,2027/13/01\n"
    response = client.post("/deals/direct/import/", {"file": SimpleUploadedFile("direct.csv", bad.encode("cp932"))}, follow=True)
    page = response.content.decode()
    assert "4" in page and "corporate_number" in page and "owner_email" in page and "amount" in page
    with tenant_context(people_a.tenant):
        assert not DirectAccount.objects.exists()
    client.post("/deals/direct/import/", {"file": SimpleUploadedFile("direct.csv", GOOD.encode("utf-8-sig"))})
    with tenant_context(people_a.tenant):
        assert DirectAccount.objects.count() == 2
        deal = services.deal_register(partner=people_a.partner, user=people_a.partner_rep, customer_name="直販一号",
                                      corporate_number="", web_domain="https://www.chokuhan1.co.jp",
                                      amount=100, expected_close=timezone.localdate() + timedelta(days=9))
        assert deal.priority == Priority.DIRECT
        # An account without an open opportunity does not block anyone.
        free = services.deal_register(partner=people_a.partner, user=people_a.partner_rep, customer_name="直販二号",
                                      corporate_number="", web_domain="", amount=100,
                                      expected_close=timezone.localdate() + timedelta(days=9))
        assert free.priority == Priority.HOLDER


def test_the_rules_are_a_vendor_admin_setting_with_checked_values(people_a):
    client = people_a.console(people_a.vendor_admin)
    refused = client.post("/deals/rules/", {"mode": "first_come", "validity_days": 30, "warn_days_before": 30,
                                            "max_extension_days": 30, "lead_sla_hours": 48, "lead_distribution": "tier"})
    assert "warn_days_before" in refused.context["form"].errors
    client.post("/deals/rules/", {"mode": "manual", "partner_over_direct": "on", "validity_days": 60, "warn_days_before": 7,
                                  "max_extension_days": 30, "lead_sla_hours": 24, "lead_distribution": "round_robin"})
    with tenant_context(people_a.tenant):
        rules = DealSettings.current()
        assert (rules.mode, rules.partner_over_direct, rules.validity_days, rules.lead_sla_hours) == ("manual", True, 60, 24)
    assert people_a.console(people_a.channel_manager).get("/deals/rules/").status_code == 403


def test_people_see_and_clear_only_their_own_notifications(people_a):
    with tenant_context(people_a.tenant):
        notify(users=[people_a.partner_rep], kind="x", message=lambda: ("あなた宛て", ""), url="/deals/")
        notify(users=[people_a.partner_admin], kind="x", message=lambda: ("管理者宛て", ""))
    client = people_a.portal(people_a.partner_rep)
    page = client.get("/notifications/").content.decode()
    assert "あなた宛て" in page and "管理者宛て" not in page
    assert 'badge rounded-pill' in client.get("/").content.decode()
    with tenant_context(people_a.tenant):
        mine = Notification.objects.get(user=people_a.partner_rep)
        theirs = Notification.objects.get(user=people_a.partner_admin)
    assert client.post(f"/notifications/{mine.pk}/read/")["Location"] == "/deals/"
    client.post(f"/notifications/{theirs.pk}/read/")
    with tenant_context(people_a.tenant):
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert mine.read_at is not None and theirs.read_at is None
