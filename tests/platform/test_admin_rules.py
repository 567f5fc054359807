"""The tenant's Django admin cannot bypass the services: deal stages and won deals, ledger lines, payouts and
plan versions are shown, not changed or deleted, even to the vendor admin (a superuser signed in with TOTP)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals.models import DealEvent, DealRegistration
from incentives.models import CommissionRun, LedgerLine, Payout, Plan, PlanVersion
from tests.partners.factories import PartnerFactory

PERIOD = date(2026, 10, 1)
RULE_FIELDS = ["stage", "amount", "won_amount", "won_on", "priority", "partner", "registered_at", "expires_on"]


def _deal(partner, *, stage: str, n: int) -> DealRegistration:
    won = stage == "won"
    return DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{n}", name_key=f"admin-{n}", amount=1_000_000, stage=stage,
        expected_close=PERIOD, won_amount=1_000_000 if won else None, won_on=PERIOD if won else None)


@pytest.fixture
def records(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        open_deal = _deal(partner, stage="registered", n=1)
        won_deal = _deal(partner, stage="won", n=2)
        DealEvent.objects.create(deal=won_deal, partner=partner, kind="won", actor=people_a.channel_manager, data={"amount": 1_000_000})
        plan = Plan.objects.create(code="admin-plan", name="管理テスト")
        version = PlanVersion.objects.create(plan=plan, number=1, document={"rules": []}, status="published",
                                             published_at=timezone.now())
        run = CommissionRun.objects.create(period=PERIOD, status="done")
        line = LedgerLine.objects.create(partner=partner, plan_version=version, event_id=f"deal:{won_deal.pk}:2-won",
                                         rule_id="margin", amount=150_000, period=PERIOD, event_date=PERIOD, run=run)
        payout = Payout.objects.create(partner=partner, period=PERIOD, status="approved", commissions=150_000,
                                       subtotal=150_000, tax=15_000, total=165_000, close_date=date(2026, 10, 31),
                                       due_date=date(2026, 11, 30), payee_name=partner.name)
    return {"open": open_deal, "won": won_deal, "version": version, "line": line, "payout": payout}


def _admin(people_a):
    return people_a.console(people_a.vendor_admin)


def _reload(people_a, obj):
    with tenant_context(people_a.tenant):
        return type(obj).objects.filter(pk=obj.pk).first()


def _change_post(**fields) -> dict:
    return {"customer_name": "書き換え", "customer_contact_name": "", "customer_contact_email": "", "notes": "",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000", "_save": "Save", **fields}


def test_it_shows_a_deals_stage_amount_and_won_fields_read_only(people_a, records):
    response = _admin(people_a).get(f"/admin/deals/dealregistration/{records['open'].pk}/change/")
    assert response.status_code == 200
    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields == {"customer_contact_name", "customer_contact_email", "notes"}
    html = response.content.decode()
    for name in RULE_FIELDS:
        assert f'name="{name}"' not in html


def test_a_post_cannot_change_an_open_deals_stage_amount_or_partner(people_a, records):
    deal = records["open"]
    response = _admin(people_a).post(f"/admin/deals/dealregistration/{deal.pk}/change/", _change_post(
        stage="won", amount="999999999", won_amount="999999999", won_on="2026-10-01", priority="holder",
        partner=str(people_a.other_partner.pk), notes="管理画面からのメモ"))
    assert response.status_code == 302, response.content[:2000]
    after = _reload(people_a, deal)
    assert (after.stage, after.amount, after.won_amount, after.won_on, after.customer_name) == (
        "registered", 1_000_000, None, None, "顧客1")
    # A deal keeps its partner, which its events carry for the partner's timeline.
    assert after.partner_id == deal.partner_id != people_a.other_partner.pk
    assert after.notes == "管理画面からのメモ"  # the descriptive fields stay editable


def test_a_won_deal_cannot_be_changed_or_deleted(people_a, records):
    deal, client = records["won"], _admin(people_a)
    page = client.get(f"/admin/deals/dealregistration/{deal.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]
    changed = client.post(f"/admin/deals/dealregistration/{deal.pk}/change/", _change_post(
        stage="lost", amount="1", won_amount="1", notes="消す"))
    assert changed.status_code == 403
    assert client.get(f"/admin/deals/dealregistration/{deal.pk}/delete/").status_code == 403
    assert client.post(f"/admin/deals/dealregistration/{deal.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post("/admin/deals/dealregistration/", {"action": "delete_selected", "_selected_action": [deal.pk],
                                                   "post": "yes"})
    after = _reload(people_a, deal)
    assert after is not None and (after.stage, after.won_amount, after.notes) == ("won", 1_000_000, "")
    with tenant_context(people_a.tenant):
        assert DealEvent.objects.filter(deal=deal).count() == 1


def test_an_open_deal_can_still_be_deleted(people_a, records):
    response = _admin(people_a).post(f"/admin/deals/dealregistration/{records['open'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and _reload(people_a, records["open"]) is None


def test_deals_are_not_added_in_the_admin(people_a, records):
    client = _admin(people_a)
    assert client.get("/admin/deals/dealregistration/add/").status_code in (302, 404)
    with tenant_context(people_a.tenant):
        assert DealRegistration.objects.count() == 2


@pytest.mark.parametrize("key, url, changes", [
    ("line", "/admin/incentives/ledgerline/{pk}/", {"amount": "999999", "period": "2026-11-01"}),
    ("payout", "/admin/incentives/payout/{pk}/", {"status": "paid", "total": "1", "paid_at_0": "2026-11-30"}),
    ("version", "/admin/incentives/planversion/{pk}/", {"status": "draft", "document": '{"rules": [1]}'}),
])
def test_ledger_lines_payouts_and_plan_versions_are_read_only(people_a, records, key, url, changes):
    obj, client = records[key], _admin(people_a)
    url = url.format(pk=obj.pk)
    before = {field: getattr(obj, field) for field in ("status", "amount", "total", "document", "period") if hasattr(obj, field)}
    page = client.get(url + "change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"] and not page.context["has_delete_permission"]
    html = page.content.decode()
    for name in changes:
        assert f'name="{name}"' not in html
    assert client.post(url + "change/", changes).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code in (302, 403, 404)
    model_url = url.rsplit("/", 2)[0] + "/"
    client.post(model_url, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert client.get(model_url + "add/").status_code in (302, 404)
    after = _reload(people_a, obj)
    assert after is not None
    assert {field: getattr(after, field) for field in before} == before
