"""Deal registrations through the API over real HTTP: the portal's conflict check, locks, timeline,
notifications and events; the pipeline's allowed moves; wins confirmed and cancelled by the vendor."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from tests.api.parallel import all_at_once
from tests.api.write_fixtures import customer, in_vendor, write_records  # noqa: F401  (fixture)


def _body(**fields):
    return {"customer_name": customer(), "amount": 1_200_000,
            "expected_close": (timezone.localdate() + timedelta(days=60)).isoformat(), **fields}


def _state(world, name: str) -> dict:
    """What is stored about a customer: registrations, their events, outbox events, notifications."""
    from deals.models import DealEvent, DealRegistration
    from prm.notifications.models import Notification
    from prm.outbox.models import OutboxEvent

    def work():
        deals = list(DealRegistration.objects.filter(customer_name=name).values_list("pk", flat=True))
        return {"deals": len(deals), "events": DealEvent.objects.filter(deal_id__in=deals).count(),
                "outbox": OutboxEvent.objects.filter(object_type="deal", object_id__in=[str(pk) for pk in deals]).count(),
                "notes": Notification.objects.filter(body__contains=name).count()
                + Notification.objects.filter(title__contains=name).count()}

    return in_vendor(world, work)


def _deal(world, pk: int):
    from deals.models import DealRegistration

    return in_vendor(world, lambda: DealRegistration.objects.get(pk=pk))


def test_a_partner_key_registers_as_the_portal_does(world, unblocked, write_records):
    body = _body(corporate_number="", web_domain="https://www.api-example.co.jp/",
                 external_ids={"salesforce": "006-" + uuid.uuid4().hex[:8]})
    answer = world.post("/api/v1/deals", body, key="partner_a")
    assert answer.status == 201, answer.body
    deal = answer.json
    assert deal["customer"] == "none" and deal["stage"] == "registered" and deal["partner_id"] == world.partner_a.pk
    assert deal["amount"] == 1_200_000 and isinstance(deal["amount"], int) and deal["external_ids"] == body["external_ids"]
    assert deal["registered_at"].endswith("+09:00")
    stored = _deal(world, deal["id"])
    assert stored.registered_by_id == world.people["partner_a_admin"].pk and stored.domain_key == "api-example.co.jp"
    state = _state(world, body["customer_name"])
    assert state["events"] == 1 and state["outbox"] == 1 and state["notes"] >= 2  # staff to review, the rep's receipt
    found = world.get(f"/api/v1/deals?external_id=salesforce:{body['external_ids']['salesforce']}", key="vendor_read")
    assert [item["id"] for item in found.json["items"]] == [deal["id"]]
    assert world.get(f"/api/v1/deals/{deal['id']}", key="partner_b").status == 404
    assert world.get(f"/api/v1/deals/{deal['id']}", key="partner_a").json["id"] == deal["id"]


def test_a_partner_still_recruiting_is_told_why_it_cannot_register_yet(world, unblocked, write_records):
    from partners.models import Partner, PartnerSettings

    partner = world.partner_a
    in_vendor(world, lambda: Partner.objects.filter(pk=partner.pk).update(stage="recruiting"))
    try:
        body = _body()
        answer = world.post("/api/v1/deals", body, key="partner_a")
        assert answer.status == 403 and answer.json["code"] == "not_signed", answer.body
        assert answer.json["detail"]  # the reason, not only "forbidden"
        assert _state(world, body["customer_name"])["deals"] == 0
        in_vendor(world, lambda: PartnerSettings.objects.update_or_create(pk=1, defaults={"deals_before_signing": True}))
        assert world.post("/api/v1/deals", _body(), key="partner_a").status == 201
    finally:
        in_vendor(world, lambda: (Partner.objects.filter(pk=partner.pk).update(stage=partner.stage),
                                  PartnerSettings.objects.filter(pk=1).update(deals_before_signing=False)))


def test_a_customer_taken_by_another_partner_says_taken_and_stores_nothing(world, unblocked, write_records):
    name = customer()
    assert world.post("/api/v1/deals", _body(customer_name=name), key="partner_a").status == 201
    before = _state(world, name.replace("株式会社", "(株)"))
    variant = name.replace("株式会社", "（株）")  # the matcher's normalisation: the same customer
    taken = world.post("/api/v1/deals", _body(customer_name=variant), key="partner_b")
    assert taken.status == 409 and taken.content_type == "application/problem+json", taken.body
    assert taken.json["code"] == "customer_taken" and taken.json["errors"][0]["field"] == "customer_name"
    assert world.partner_a.name not in taken.body.decode()  # never says who
    assert _state(world, variant) == {"deals": 0, "events": 0, "outbox": 0, "notes": 0}
    assert _state(world, name.replace("株式会社", "(株)")) == before
    kept = world.post("/api/v1/deals", _body(customer_name=variant, if_taken="register"), key="partner_b")
    assert kept.status == 201 and kept.json["customer"] == "taken"
    assert _deal(world, kept.json["id"]).priority == "conflict"  # for the vendor's review, as from the portal
    own = world.post("/api/v1/deals", _body(customer_name=name), key="partner_a")
    assert own.status == 422 and own.json["code"] == "customer_own" and own.json["errors"][0]["field"] == "customer_name"
    assert _state(world, name)["deals"] == 1


def test_concurrent_registrations_of_one_customer_give_it_to_one_partner(world, unblocked, write_records):
    name = customer()
    answers = all_at_once(lambda key: world.post("/api/v1/deals", _body(customer_name=name), key=key),
                          ("partner_a", "partner_b", "partner_a", "partner_b"))
    statuses = sorted(answer.status for answer in answers)
    assert statuses.count(201) == 1 and all(status in (201, 409, 422) for status in statuses), statuses
    assert _state(world, name)["deals"] == 1


def test_bad_registrations_name_the_field_and_store_nothing(world, unblocked, write_records):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    cases = [
        ("partner_a", _body(nickname="x"), 422, "nickname", None),
        ("partner_a", {k: v for k, v in _body().items() if k != "amount"}, 422, "amount", "このフィールドは必須です。"),
        ("partner_a", _body(amount="many"), 422, "amount", None),
        ("partner_a", _body(amount=-1), 422, "amount", None),
        ("partner_a", _body(amount=10**13), 422, "amount", None),
        ("partner_a", _body(expected_close="tomorrow"), 422, "expected_close", None),
        ("partner_a", _body(expected_close=past), 422, "expected_close", None),
        ("partner_a", _body(corporate_number="1234567890123"), 422, "corporate_number", None),
        ("partner_a", _body(web_domain="not a domain"), 422, "web_domain", None),
        ("partner_a", _body(product_ids=[999_999_999]), 422, "product_ids", None),
        ("partner_a", _body(if_taken="maybe"), 422, "if_taken", None),
        ("partner_a_read", _body(), 403, None, None),
    ]
    for key, body, status, field, message in cases:
        answer = world.post("/api/v1/deals", body, key=key)
        assert answer.status == status and answer.content_type == "application/problem+json", (field, answer.body)
        if field:
            assert [error["field"] for error in answer.json["errors"]] == [field], (field, answer.json)
        if message:
            assert answer.json["errors"][0]["message"] == message, answer.json
        assert _state(world, body.get("customer_name", "-"))["deals"] == 0, field
    on_console = world.post("/api/v1/deals", _body(), key="vendor_write")  # the console registers for nobody
    assert on_console.status == 405


def test_a_replayed_idempotency_key_with_another_body_changes_nothing(world, unblocked, write_records):
    key = str(uuid.uuid4())
    first, second = _body(), _body()
    assert world.post("/api/v1/deals", first, key="partner_a", headers={"Idempotency-Key": key}).status == 201
    again = world.post("/api/v1/deals", first, key="partner_a", headers={"Idempotency-Key": key})
    assert again.status == 201 and again.headers["idempotent-replayed"] == "true"
    other = world.post("/api/v1/deals", second, key="partner_a", headers={"Idempotency-Key": key})
    assert other.status == 422 and other.json["code"] == "idempotency_key_reused"
    assert _state(world, first["customer_name"])["deals"] == 1 and _state(world, second["customer_name"])["deals"] == 0


def test_the_pipeline_allows_only_the_services_moves(world, unblocked, write_records):
    created = world.post("/api/v1/deals", _body(), key="partner_a").json
    path = f"/api/v1/deals/{created['id']}"
    early = world.post(f"{path}/move", {"stage": "proposal"}, key="partner_a")  # not approved yet
    assert early.status == 422 and early.json["errors"][0]["field"] == "stage"
    assert world.post(f"{path}/move", {"stage": "approved"}, key="partner_a").json["errors"][0]["field"] == "stage"
    assert _deal(world, created["id"]).stage == "registered"
    assert world.post(f"{path}/approve", {}, key="partner_a").status in (403, 404)  # the portal has no approvals
    assert _deal(world, created["id"]).stage == "registered"
    approved = world.post(f"{path}/approve", {"reason": "OK"}, key="vendor_write")
    assert approved.status == 200 and approved.json["stage"] == "approved" and approved.json["expires_on"]
    moved = world.post(f"{path}/move", {"stage": "proposal", "reason": "提案書送付"}, key="partner_a")
    assert moved.status == 200 and moved.json["stage"] == "proposal"
    assert world.post(f"{path}/move", {"stage": "proposal"}, key="partner_a").status == 422  # not a move
    assert world.post(f"{path}/move", {"stage": "negotiation"}, key="partner_b").status == 404
    reported = world.post(f"{path}/move", {"stage": "won", "won_amount": 1_100_000}, key="partner_a")
    assert reported.status == 200 and reported.json["stage"] == "won_pending" and reported.json["won_amount"] is None
    assert world.post(f"{path}/win", {}, key="vendor_read").json["code"] == "scope_missing"
    assert world.post(f"{path}/win", {"won_amount": "lots"}, key="vendor_write").json["errors"][0]["field"] == "won_amount"
    won = world.post(f"{path}/win", {}, key="vendor_write")
    assert won.status == 200 and won.json["stage"] == "won" and won.json["won_amount"] == 1_100_000
    assert world.post(f"{path}/cancel", {"reason": "x"}, key="partner_a").status == 422  # a partner cannot cancel a win
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = world.post(f"{path}/cancel", {"cancelled_on": future, "reason": "解約"}, key="vendor_write")
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "cancelled_on"
    no_reason = world.post(f"{path}/cancel", {"cancelled_on": timezone.localdate().isoformat(), "reason": " "},
                           key="vendor_write")
    assert no_reason.json["errors"][0]["field"] == "reason" and _deal(world, created["id"]).stage == "won"
    cancelled = world.post(f"{path}/cancel", {"cancelled_on": timezone.localdate().isoformat(), "reason": "解約"},
                           key="vendor_write")
    assert cancelled.status == 200 and cancelled.json["stage"] == "cancelled"
    assert cancelled.json["cancelled_on"] == timezone.localdate().isoformat()
    from deals.models import WinCorrection

    assert in_vendor(world, lambda: WinCorrection.objects.filter(deal_id=created["id"], kind="cancel").count()) == 1


def test_a_partner_withdraws_an_open_deal(world, unblocked, write_records):
    deal = write_records.deals[0]
    answer = world.post(f"/api/v1/deals/{deal.pk}/cancel", {"reason": "顧客都合"}, key="partner_a")
    assert answer.status == 200 and answer.json["stage"] == "cancelled"
    again = world.post(f"/api/v1/deals/{deal.pk}/cancel", {"reason": "顧客都合"}, key="partner_a")
    assert again.status == 422 and again.json["errors"][0]["field"] == "stage"


def test_lists_are_cursor_pages_with_updated_since(world, unblocked, write_records):
    made = [world.post("/api/v1/deals", _body(), key="partner_b").json["id"] for _ in range(3)]
    since = _deal(world, made[0]).updated_at.isoformat()
    seen, cursor = [], None
    for _ in range(10):
        query = f"/api/v1/deals?limit=2&updated_since={since.replace('+', '%2B')}" + (f"&cursor={cursor}" if cursor else "")
        page = world.get(query, key="partner_b").json
        seen += [item["id"] for item in page["items"]]
        assert {item["partner_id"] for item in page["items"]} <= {world.partner_b.pk}
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    assert world.get("/api/v1/deals?stage=nonsense", key="partner_b").json["errors"][0]["field"] == "stage"


def test_concurrent_retries_of_one_registration_register_once(world, unblocked, write_records):
    body, key = _body(), str(uuid.uuid4())
    answers = all_at_once(lambda _: world.post("/api/v1/deals", body, key="partner_a",
                                               headers={"Idempotency-Key": key}), range(5))
    assert [answer.status for answer in answers] == [201] * 5, [answer.body for answer in answers]
    assert len({answer.json["id"] for answer in answers}) == 1
    assert _state(world, body["customer_name"])["deals"] == 1


def test_a_crm_writes_back_its_id_for_a_deal_and_one_id_names_one_deal(world, unblocked, write_records):
    first, second = write_records.deals[0].pk, write_records.deals[1].pk
    crm_id = "006" + uuid.uuid4().hex[:10]
    answer = world.call("PUT", f"/api/v1/deals/{first}/external-ids/salesforce", body={"external_id": crm_id},
                        key="vendor_write")
    assert answer.status == 200 and answer.json["external_ids"]["salesforce"] == crm_id, answer.body
    found = world.get(f"/api/v1/deals?external_id=salesforce:{crm_id}", key="partner_a").json["items"]
    assert [item["id"] for item in found] == [first]
    taken = world.call("PUT", f"/api/v1/deals/{second}/external-ids/salesforce", body={"external_id": crm_id},
                       key="vendor_write")
    assert taken.status == 422 and taken.json["errors"][0]["field"] == "external_id"
    assert "salesforce" not in _deal(world, second).external_ids
    assert world.call("PUT", f"/api/v1/deals/{first}/external-ids/Sales Force".replace(" ", "%20"),
                      body={"external_id": "x"}, key="vendor_write").status == 422
    assert world.call("PUT", f"/api/v1/deals/{first}/external-ids/salesforce", body={"external_id": "x"},
                      key="vendor_read").json["code"] == "scope_missing"
    cleared = world.call("PUT", f"/api/v1/deals/{first}/external-ids/salesforce", body={"external_id": ""},
                         key="vendor_write")
    assert cleared.status == 200 and "salesforce" not in cleared.json["external_ids"]
