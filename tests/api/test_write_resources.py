"""Leads and lead offers, direct-sales accounts upserted by CRM id, and invoice payments, over real HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from tests.api.parallel import all_at_once
from tests.api.write_fixtures import CRM, customer, in_vendor, write_records  # noqa: F401  (fixture)


def _lead_recipient(world, partner):
    from deals.models import LeadRecipient

    in_vendor(world, lambda: LeadRecipient.objects.update_or_create(partner=partner, defaults={"priority": 999,
                                                                                                 "weight": 1}))


def test_a_vendor_lead_is_offered_and_the_partner_accepts_it_through_the_api(world, unblocked, write_records):
    from deals.models import LeadRecipient

    _lead_recipient(world, world.partner_a)
    others = in_vendor(world, lambda: list(LeadRecipient.objects.exclude(partner=world.partner_a).filter(is_active=True)
                                           .values_list("pk", flat=True)))
    in_vendor(world, lambda: LeadRecipient.objects.filter(pk__in=others).update(is_active=False))
    try:
        body = {"customer_name": customer(), "amount": 500_000, "prefecture": "東京都", "external_ids": {"hubspot": "L-1"}}
        made = world.post("/api/v1/leads", body, key="vendor_write")
    finally:
        in_vendor(world, lambda: LeadRecipient.objects.filter(pk__in=others).update(is_active=True))
    assert made.status == 201, made.body
    lead = made.json
    assert lead["status"] == "offered" and lead["prefecture"] == "13" and lead["external_ids"] == {"hubspot": "L-1"}
    assert [offer["partner_id"] for offer in lead["offers"]] == [world.partner_a.pk]
    offer_id = lead["offers"][0]["id"]
    mine = world.get("/api/v1/leads/offers?status=pending", key="partner_a").json["items"]
    assert offer_id in [item["id"] for item in mine] and all(item["partner_id"] == world.partner_a.pk for item in mine)
    [offered] = [item for item in mine if item["id"] == offer_id]  # the offer carries its lead's own fields
    assert (offered["customer_name"], offered["amount"], offered["prefecture"], offered["deal_id"]) == (
        body["customer_name"], 500_000, "13", None)
    assert world.get(f"/api/v1/leads/offers/{offer_id}", key="partner_b").status == 404
    assert world.post(f"/api/v1/leads/offers/{offer_id}/answer", {"action": "accept"}, key="partner_b").status == 404
    assert world.post(f"/api/v1/leads/offers/{offer_id}/answer", {"action": "maybe"},
                      key="partner_a").json["errors"][0]["field"] == "action"
    accepted = world.post(f"/api/v1/leads/offers/{offer_id}/answer", {"action": "accept"}, key="partner_a")
    assert accepted.status == 200 and accepted.json["status"] == "accepted" and accepted.json["deal_id"]
    deal = world.get(f"/api/v1/deals/{accepted.json['deal_id']}", key="partner_a").json
    assert deal["lead_id"] == lead["id"] and deal["customer_name"] == body["customer_name"]
    twice = world.post(f"/api/v1/leads/offers/{offer_id}/answer", {"action": "decline"}, key="partner_a")
    assert twice.status == 422 and twice.content_type == "application/problem+json"
    assert world.get(f"/api/v1/leads/{lead['id']}", key="vendor_noscope").json["status"] == "accepted"


def test_declining_an_offer_and_bad_leads(world, unblocked, write_records):
    offer = write_records.offers[1]
    declined = world.post(f"/api/v1/leads/offers/{offer.pk}/answer", {"action": "decline", "reason": "対応地域外"},
                          key="partner_b")
    assert declined.status == 200 and declined.json["status"] == "declined"
    for body, field in (({"customer_name": ""}, "customer_name"), ({"customer_name": "x", "prefecture": "火星"}, "prefecture"),
                        ({"customer_name": "x", "corporate_number": "1234567890123"}, "corporate_number"),
                        ({"customer_name": "x", "amount": 1.5}, "amount"), ({"customer_name": "x", "owner": 1}, "owner")):
        answer = world.post("/api/v1/leads", body, key="vendor_write")
        assert answer.status == 422 and [e["field"] for e in answer.json["errors"]] == [field], answer.json
    assert world.post("/api/v1/leads", {"customer_name": "x"}, key="vendor_read").json["code"] == "scope_missing"


def _accounts(world, external_id: str) -> list:
    from deals.models import DirectAccount

    return in_vendor(world, lambda: list(DirectAccount.objects.filter(external_ids__contains={CRM: external_id})))


def test_a_crm_account_is_upserted_by_its_id_with_the_matchers_keys(world, unblocked, write_records):
    from deals import services

    crm_id = uuid.uuid4().hex
    name = customer()
    body = {"customer_name": f"  {name.replace('株式会社', '㈱')} ", "corporate_number": "",
            "web_domain": "sales@direct-example.co.jp", "opportunities": [{"name": "更新案件", "amount": 3_000_000}]}
    created = world.call("PUT", f"/api/v1/direct-accounts/{CRM}/{crm_id}", body=body, key="vendor_write")
    assert created.status == 201, created.body
    assert created.json["external_ids"] == {CRM: crm_id} and created.json["opportunities"][0]["amount"] == 3_000_000
    [account] = _accounts(world, crm_id)
    keys = services.customer_keys_for(name, "", "direct-example.co.jp")
    assert (account.name_key, account.domain_key) == (keys.name_key, keys.domain)
    updated = world.call("PUT", f"/api/v1/direct-accounts/{CRM}/{crm_id}",
                         body={**body, "opportunities": [{"name": "更新案件", "amount": 3_500_000}]}, key="vendor_write")
    assert updated.status == 200 and updated.json["id"] == created.json["id"]
    assert len(_accounts(world, crm_id)) == 1
    # the account holds the customer against partners' registrations, as one from the console's form would
    taken = world.post("/api/v1/deals", {"customer_name": name, "amount": 1,
                                         "expected_close": (timezone.localdate() + timedelta(days=9)).isoformat()},
                       key="partner_a")
    assert taken.status == 409 and taken.json["code"] == "customer_taken"
    listed = world.get(f"/api/v1/direct-accounts?external_id={CRM}:{crm_id}", key="vendor_read").json["items"]
    assert [item["id"] for item in listed] == [created.json["id"]]


def test_concurrent_upserts_of_one_crm_id_make_one_account(world, unblocked, write_records):
    crm_id = uuid.uuid4().hex
    answers = all_at_once(lambda index: world.call("PUT", f"/api/v1/direct-accounts/{CRM}/{crm_id}",
                                                   body={"customer_name": customer(f"並行{index}")}, key="vendor_write"),
                          range(5))
    assert sorted(answer.status for answer in answers) == [200, 200, 200, 200, 201]
    assert len(_accounts(world, crm_id)) == 1


def test_bad_accounts_are_refused_and_store_nothing(world, unblocked, write_records):
    crm_id = uuid.uuid4().hex
    cases = [({"customer_name": "x", "corporate_number": "1234567890123"}, "corporate_number"),
             ({"customer_name": "x", "owner_email": "nobody@nowhere.example"}, "owner_email"),
             ({"customer_name": "x", "colour": "red"}, "colour"),
             ({"customer_name": "x", "opportunities": [{"name": "a", "amount": "lots"}]}, "opportunities.0.amount"),
             ({"customer_name": "x", "prefecture": "99"}, "prefecture"),
             ({}, "customer_name")]
    for body, field in cases:
        answer = world.call("PUT", f"/api/v1/direct-accounts/{CRM}/{crm_id}", body=body, key="vendor_write")
        assert answer.status == 422 and [e["field"] for e in answer.json["errors"]] == [field], answer.json
    assert world.call("PUT", f"/api/v1/direct-accounts/Bad%20Source/{crm_id}", body={"customer_name": "x"},
                      key="vendor_write").status == 422
    assert world.call("PUT", f"/api/v1/direct-accounts/{CRM}/{crm_id}", body={"customer_name": "x"},
                      key="vendor_read").json["code"] == "scope_missing"
    assert _accounts(world, crm_id) == []


def _won_deal(world, name: str):
    from deals import services

    def work():
        deal = services.deal_register(partner=world.partner_b, user=world.people["partner_b_admin"], customer_name=name,
                                      amount=100_000, expected_close=timezone.localdate() + timedelta(days=5))
        services.deal_approve(deal=deal, actor=world.people["vendor_admin"])
        return services.deal_win_confirm(deal=deal, actor=world.people["vendor_admin"], won_amount=100_000)

    return in_vendor(world, work)


def _payments(world, deal) -> int:
    from incentives.models import InvoicePayment

    return in_vendor(world, lambda: InvoicePayment.objects.filter(deal=deal).count())


def test_invoice_payments_by_deal_number_or_customer_counted_once(world, unblocked, write_records):
    name = customer()
    deal = _won_deal(world, name)
    today = timezone.localdate().isoformat()
    first = world.post("/api/v1/invoice-payments", {"deal_number": deal.pk, "paid_on": today, "amount": 20_000,
                                                    "reference": "INV-1"}, key="vendor_write")
    assert first.status == 201 and first.json["deal_id"] == deal.pk and first.json["amount"] == 20_000, first.body
    again = world.post("/api/v1/invoice-payments", {"deal_number": deal.pk, "paid_on": today, "amount": 20_000,
                                                    "reference": "INV-1"}, key="vendor_write")
    assert again.status == 422 and again.json["errors"][0]["field"] == "reference"
    by_name = world.post("/api/v1/invoice-payments", {"customer_name": name.replace("株式会社", "(株)"), "paid_on": today,
                                                      "amount": 20_000, "reference": "INV-2"}, key="vendor_write")
    assert by_name.status == 201 and by_name.json["deal_id"] == deal.pk, by_name.body
    assert _payments(world, deal) == 2


def test_bad_invoice_payments_name_the_field(world, unblocked, write_records):
    name = customer()
    deal = _won_deal(world, name)
    open_deal = write_records.deals[1]
    today = timezone.localdate()
    base = {"deal_number": deal.pk, "paid_on": today.isoformat(), "amount": 1000, "reference": "INV-X"}
    cases = [({**base, "deal_number": open_deal.pk}, "deal_number"),
             ({**base, "deal_number": 999_999_999}, "deal_number"),
             ({**base, "paid_on": (today + timedelta(days=2)).isoformat()}, "paid_on"),
             ({**base, "amount": 0}, "amount"), ({**base, "amount": "1,000"}, "amount"),
             ({**base, "reference": ""}, "reference"), ({**base, "memo": "x"}, "memo"),
             ({k: v for k, v in base.items() if k != "deal_number"}, "deal_number"),
             ({**{k: v for k, v in base.items() if k != "deal_number"}, "customer_name": customer()}, "customer_name")]
    for body, field in cases:
        answer = world.post("/api/v1/invoice-payments", body, key="vendor_write")
        assert answer.status == 422 and answer.content_type == "application/problem+json", (field, answer.body)
        assert [e["field"] for e in answer.json["errors"]] == [field], (field, answer.json)
    assert world.post("/api/v1/invoice-payments", base, key="vendor_read").json["code"] == "scope_missing"
    assert _payments(world, deal) == 0


def test_a_put_is_in_the_audit_log_with_its_answer(world, unblocked, write_records):
    from incentives.models import AuditEntry

    def entries():
        return in_vendor(world, lambda: list(AuditEntry.objects.filter(
            action="api_key_wrote", object_id=str(world.keys["vendor_write"].pk)).order_by("pk").values_list("changes", flat=True)))

    before = len(entries())
    crm_id = uuid.uuid4().hex
    assert world.call("PUT", f"/api/v1/direct-accounts/{CRM}/{crm_id}", body={"customer_name": customer()},
                      key="vendor_write").status == 201
    assert world.call("PUT", f"/api/v1/direct-accounts/{CRM}/{crm_id}", body={"customer_name": customer(),
                                                                              "corporate_number": "1"},
                      key="vendor_write").status == 422
    written = entries()[before:]
    assert len(written) == 2 and [entry.get("status") for entry in written] == [201, 422], written
