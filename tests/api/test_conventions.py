"""POST conventions over HTTP: Idempotency-Key (under concurrency too), problem+json naming the field in the
key's language, and no state change on any refusal. Also the OpenAPI document and the reference page."""

from __future__ import annotations

import uuid

from django.db import connection
from django_tenants.utils import tenant_context

from tests.api.parallel import all_at_once


def _contacts(world, email: str) -> int:
    from partners.models import Contact

    with tenant_context(world.vendor):
        count = Contact.objects.filter(email=email).count()
    connection.set_schema_to_public()
    return count


def _body(world, **fields):
    return {"partner_id": world.partner_a.pk, "full_name": "山田 花子", "email": f"{uuid.uuid4().hex[:10]}@api.example",
            "external_ids": {"salesforce": "003-" + uuid.uuid4().hex[:8]}, **fields}


def test_a_retried_post_creates_once_and_answers_the_same(world, unblocked):
    body = _body(world)
    key = str(uuid.uuid4())
    first = world.post("/api/v1/contacts", body, key="vendor_write", headers={"Idempotency-Key": key})
    assert first.status == 201, first.body
    again = world.post("/api/v1/contacts", body, key="vendor_write", headers={"Idempotency-Key": key})
    assert again.status == 201 and again.body == first.body and again.headers["idempotent-replayed"] == "true"
    assert first.json["external_ids"] == body["external_ids"] and first.json["partner_id"] == world.partner_a.pk
    assert _contacts(world, body["email"]) == 1
    found = world.get(f"/api/v1/contacts?external_id=salesforce:{body['external_ids']['salesforce']}", key="vendor_read")
    assert [item["id"] for item in found.json["items"]] == [first.json["id"]]


def test_concurrent_retries_of_one_post_create_once(world, unblocked):
    body = _body(world)
    key = str(uuid.uuid4())
    answers = all_at_once(lambda _: world.post("/api/v1/contacts", body, key="vendor_write",
                                               headers={"Idempotency-Key": key}), range(6))
    assert [answer.status for answer in answers] == [201] * 6, [a.body for a in answers]
    assert len({answer.json["id"] for answer in answers}) == 1
    assert _contacts(world, body["email"]) == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(world, unblocked):
    key = str(uuid.uuid4())
    first = _body(world)
    assert world.post("/api/v1/contacts", first, key="vendor_write", headers={"Idempotency-Key": key}).status == 201
    other = _body(world)
    answer = world.post("/api/v1/contacts", other, key="vendor_write", headers={"Idempotency-Key": key})
    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert answer.json["code"] == "idempotency_key_reused" and answer.json["errors"][0]["field"] == "Idempotency-Key"
    assert _contacts(world, other["email"]) == 0


def test_a_post_without_idempotency_key_is_refused(world, unblocked):
    body = _body(world)
    answer = world.call("POST", "/api/v1/contacts", body=body, key="vendor_write")
    assert answer.status == 400 and answer.json["errors"][0]["field"] == "Idempotency-Key"
    assert _contacts(world, body["email"]) == 0


def test_bad_input_names_the_field_in_the_keys_language_and_changes_nothing(world, unblocked):
    cases = [
        ("vendor_write", _body(world, nickname="x"), "nickname", "This field is not part of the request; remove it."),
        ("vendor_write", _body(world, is_key_person="maybe"), "is_key_person", "Enter true or false."),
        ("vendor_write", _body(world, email="not-an-address"), "email", None),
        ("vendor_write", _body(world, role="boss"), "role", None),
        ("vendor_write", _body(world, full_name=""), "full_name", None),
        ("vendor_write", _body(world, partner_id=10**30), "partner_id", None),
        ("vendor_write", _body(world, partner_id=999_999_999), "partner_id", "No partner has this id."),
        ("partner_a", _body(world, partner_id=world.partner_b.pk), "partner_id", None),
        ("partner_a", {k: v for k, v in _body(world).items() if k != "full_name"}, "full_name", "このフィールドは必須です。"),
    ]
    for key, body, field, message in cases:
        answer = world.post("/api/v1/contacts", body, key=key)
        assert answer.status == 422, (field, answer.body)
        assert answer.content_type == "application/problem+json"
        assert [error["field"] for error in answer.json["errors"]] == [field], (field, answer.json)
        if message:
            assert answer.json["errors"][0]["message"] == message
        assert _contacts(world, body.get("email", "")) == 0 or not body.get("email")


def test_a_services_refusal_is_a_problem_on_its_field(world, unblocked):
    body = _body(world, partner_id=None)
    assert world.post("/api/v1/contacts", body, key="partner_a").status == 201  # a partner key: its own partner
    twice = world.post("/api/v1/contacts", {**body, "full_name": "別人"}, key="partner_a")
    assert twice.status == 422
    assert twice.json["errors"] == [{"field": "email", "message": "このパートナーには、このメールアドレスのコンタクトが既に存在します。"}]
    english = world.post("/api/v1/contacts", {**body, "full_name": "別人", "partner_id": world.partner_a.pk},
                         key="vendor_write")
    assert english.json["errors"][0]["message"] == "This partner already has a contact with this e-mail address."
    assert _contacts(world, body["email"]) == 1


def test_a_read_key_may_not_post(world, unblocked):
    body = _body(world)
    answer = world.post("/api/v1/contacts", body, key="vendor_read")
    assert answer.status == 403 and answer.json["code"] == "scope_missing"
    assert world.post("/api/v1/contacts", _body(world, partner_id=None), key="partner_a_read").status == 403
    assert _contacts(world, body["email"]) == 0


def test_it_serves_the_openapi_document_and_a_reference_from_local_files(world):
    for site in ("console", "portal"):
        document = world.get("/api/v1/openapi.json", site=site)
        assert document.status == 200 and document.json["openapi"].startswith("3.1")
        assert "/api/v1/partners" in document.json["paths"]
        page = world.get("/api/v1/docs/", site=site)
        assert page.status == 200 and b"/static/ninja/redoc.standalone.js" in page.body and b"https://" not in page.body
        assert world.get("/static/ninja/redoc.standalone.js", site=site).status == 200
    assert "/api/v1/health-scores" not in world.get("/api/v1/openapi.json", site="portal").json["paths"]
    unknown = world.get("/api/v1/nothing-here", key="vendor_read")
    assert unknown.status == 404 and unknown.content_type == "application/problem+json"


def test_every_write_is_in_the_audit_log_with_its_status(world, unblocked):
    from incentives.models import AuditEntry

    key = world.keys["partner_a_read"]
    with tenant_context(world.vendor):
        before = AuditEntry.objects.filter(action="api_key_wrote", object_id=str(key.pk)).count()
    connection.set_schema_to_public()
    assert world.post("/api/v1/contacts", _body(world, partner_id=None), key="partner_a_read").status == 403
    with tenant_context(world.vendor):
        entries = AuditEntry.objects.filter(action="api_key_wrote", object_id=str(key.pk))
        assert entries.count() == before + 1
        assert entries.first().changes["request"] == "POST /api/v1/contacts" and entries.first().changes["status"] == 403
    connection.set_schema_to_public()


def test_a_vendor_key_sets_a_partners_external_ids_one_partner_per_id(world, unblocked):
    path = f"/api/v1/partners/{world.partner_b.pk}/external-ids"
    source_id = "ACC-" + uuid.uuid4().hex[:8]
    answer = world.call("PATCH", path, body={"external_ids": {"hubspot": source_id}}, key="vendor_write")
    assert answer.status == 200, answer.body
    assert answer.json["external_ids"] == {"hubspot": source_id}
    again = world.call("PATCH", path, body={"external_ids": {"hubspot": source_id}}, key="vendor_write")
    assert again.status == 200 and again.json["external_ids"] == {"hubspot": source_id}
    taken = world.call("PATCH", f"/api/v1/partners/{world.partner_a.pk}/external-ids",
                       body={"external_ids": {"hubspot": source_id}}, key="vendor_write")
    assert taken.status == 422 and taken.json["errors"][0]["field"] == "external_ids"
    assert "hubspot" not in world.get(f"/api/v1/partners/{world.partner_a.pk}", key="vendor_read").json["external_ids"]
    bad = world.call("PATCH", path, body={"external_ids": {"Bad Source!": "1"}}, key="vendor_write")
    assert bad.status == 422 and bad.json["errors"][0]["field"].startswith("external_ids")
    removed = world.call("PATCH", path, body={"external_ids": {"hubspot": ""}}, key="vendor_write")
    assert removed.status == 422 and removed.json["errors"][0]["field"] == "external_ids.hubspot"  # ids are not empty
    # partners cannot set ids on the portal: the route is not there
    assert world.call("PATCH", path.replace(str(world.partner_b.pk), str(world.partner_a.pk)),
                      body={"external_ids": {"x": "1"}}, key="partner_a").json["code"] == "not_found"


def test_a_wrong_method_is_a_problem(world):
    answer = world.call("DELETE", "/api/v1/partners", key="vendor_read")
    assert answer.status == 405 and answer.content_type == "application/problem+json"
    assert answer.json["code"] == "method_not_allowed" and "GET" in answer.headers["allow"]


def test_kept_answers_are_forgotten_after_two_days(world, unblocked):
    from datetime import timedelta

    from django.utils import timezone

    from api.models import IdempotentRequest
    from api.services import idempotency_prune

    key = str(uuid.uuid4())
    assert world.post("/api/v1/contacts", _body(world), key="vendor_write", headers={"Idempotency-Key": key}).status == 201
    with tenant_context(world.vendor):
        assert idempotency_prune(now=timezone.now() + timedelta(hours=47)) == 0
        assert IdempotentRequest.objects.filter(key=key).exists()
        assert idempotency_prune(now=timezone.now() + timedelta(hours=49)) >= 1
        assert not IdempotentRequest.objects.filter(key=key).exists()
    connection.set_schema_to_public()
