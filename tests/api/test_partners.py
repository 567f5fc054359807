"""GET /api/v1/partners over HTTP with real keys: the vendor's list, a partner's own company only."""

from __future__ import annotations

import re
import time

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django_tenants.utils import tenant_context

OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00$")


def _early_in_a_minute(seconds_needed: float = 15.0) -> None:
    """Counts kept per calendar minute (the key's rate, its use in the audit log) see every request of a test
    in one minute only when the test starts with enough of the minute left: wait for the next one otherwise."""
    into = time.time() % 60
    if into > 60 - seconds_needed:
        time.sleep(60 - into + 0.05)


def _walk(world, path: str, key: str) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        answer = world.get(path + (f"&cursor={cursor}" if cursor else ""), key=key)
        assert answer.status == 200, answer.body
        items += answer.json["items"]
        pages += 1
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return items
        assert pages < 10_000


def test_it_lists_every_partner_of_the_vendor_to_a_vendor_key_one_cursor_page_at_a_time(world):
    answer = world.get("/api/v1/partners?limit=200", key="vendor_read")
    assert answer.status == 200 and answer.content_type == "application/json"
    names = {item["name"] for item in answer.json["items"]}
    assert {world.partner_a.name, world.partner_b.name} <= names
    walked = _walk(world, "/api/v1/partners?limit=1", "vendor_read")
    assert [item["id"] for item in walked] == [item["id"] for item in answer.json["items"]]
    assert len({item["id"] for item in walked}) == len(walked)


def test_it_gives_a_partner_key_its_own_company_and_nothing_else(world):
    answer = world.get("/api/v1/partners", key="partner_a")
    assert answer.status == 200
    assert [item["id"] for item in answer.json["items"]] == [world.partner_a.pk]
    assert world.get(f"/api/v1/partners/{world.partner_a.pk}", key="partner_a").json["name"] == world.partner_a.name
    other = world.get(f"/api/v1/partners/{world.partner_b.pk}", key="partner_a")
    missing = world.get("/api/v1/partners/999999999", key="partner_a")
    assert other.status == missing.status == 404
    assert other.json["title"] == missing.json["title"]  # another partner's id cannot be told from a missing one


def test_it_writes_times_with_the_vendors_offset_and_external_ids(world):
    item = world.get(f"/api/v1/partners/{world.partner_a.pk}", key="vendor_read").json
    assert OFFSET.match(item["created_at"]) and OFFSET.match(item["updated_at"]), item
    assert item["external_ids"] == world.partner_a.external_ids
    found = world.get(f"/api/v1/partners?external_id=salesforce:{world.partner_a.external_ids['salesforce']}",
                      key="vendor_read").json["items"]
    assert [row["id"] for row in found] == [world.partner_a.pk]


def test_it_returns_only_partners_changed_since_a_time(world, unblocked):
    first = world.get(f"/api/v1/partners/{world.partner_b.pk}", key="vendor_read").json
    with tenant_context(world.vendor):
        type(world.partner_b).objects.filter(pk=world.partner_b.pk).update(phone="03-0000-0000")  # a bulk update
    connection.set_schema_to_public()
    since = first["updated_at"].replace("+", "%2B")
    items = world.get(f"/api/v1/partners?updated_since={since}&limit=200", key="vendor_read").json["items"]
    assert world.partner_b.pk in [row["id"] for row in items]
    changed = next(row for row in items if row["id"] == world.partner_b.pk)
    assert changed["updated_at"] > first["updated_at"] and changed["phone"] == "03-0000-0000"
    assert world.partner_a.pk not in [row["id"] for row in items]


def test_it_refuses_a_time_without_offset_and_an_oversized_page_naming_the_field(world):
    naive = world.get("/api/v1/partners?updated_since=2026-12-01T09:00:00", key="vendor_write")
    assert naive.status == 422 and naive.content_type == "application/problem+json"
    assert naive.json["errors"][0]["field"] == "updated_since"
    big = world.get("/api/v1/partners?limit=201", key="vendor_write")
    assert big.status == 422 and big.json["errors"] == [
        {"field": "limit", "message": "Ensure this value is less than or equal to 200."}]
    zero = world.get("/api/v1/partners?limit=0", key="vendor_read")  # a Japanese key
    assert zero.json["errors"] == [{"field": "limit", "message": "この値は 1 以上でなければなりません。"}]
    bad_cursor = world.get("/api/v1/partners?cursor=nonsense", key="vendor_write")
    assert bad_cursor.status == 422 and bad_cursor.json["errors"][0]["field"] == "cursor"
    huge_id = world.get("/api/v1/partners/99999999999999999999", key="vendor_write")
    assert huge_id.status == 422 and huge_id.json["errors"][0]["field"] == "partner_id"


def test_it_refuses_without_a_usable_key_as_problem_json(world):
    cases = {
        None: "unauthenticated",
        "vendor_revoked": "key_revoked",
        "vendor_expired": "key_expired",
    }
    for key, code in cases.items():
        answer = world.get("/api/v1/partners", key=key) if key else world.get("/api/v1/partners")
        assert answer.status == 401, (key, answer.body)
        assert answer.content_type == "application/problem+json"
        assert answer.json["code"] == code and answer.headers["www-authenticate"].startswith("Bearer")
    forged = world.get("/api/v1/partners", token=world.tokens["vendor_read"][:-2] + "xx")
    assert forged.status == 401 and forged.json["code"] == "key_unknown"


def test_it_keeps_each_key_on_its_own_site_and_vendor(world):
    assert world.get("/api/v1/partners", key="partner_a", site="console").json["code"] == "key_wrong_site"
    assert world.get("/api/v1/partners", key="vendor_read", site="portal").json["code"] == "key_wrong_site"
    other_vendor = world.get("/api/v1/partners", key="vendor_read", vendor=world.other_vendor)
    assert other_vendor.status == 401 and other_vendor.json["code"] == "key_unknown"


def test_it_refuses_a_key_without_the_scope(world):
    answer = world.get("/api/v1/partners", key="vendor_noscope")
    assert answer.status == 403 and answer.json["code"] == "scope_missing"
    assert answer.json["detail"] == "The key needs read access to partners."


def test_it_does_not_accept_a_signed_in_session(world, unblocked):
    with tenant_context(world.vendor):
        user = world.people["channel_manager"]
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    connection.set_schema_to_public()
    try:
        page = world.get("/partners/", headers={"Cookie": f"sessionid={session.session_key}"})
        assert page.status == 200  # the session is good for pages
        answer = world.get("/api/v1/partners", headers={"Cookie": f"sessionid={session.session_key}"})
        assert answer.status == 401 and answer.json["code"] == "unauthenticated"
    finally:
        with tenant_context(world.vendor):
            session.delete()
        connection.set_schema_to_public()


def test_it_answers_429_with_retry_after_past_the_keys_rate(world, settings):
    settings.KYOSO_API_RATE_PER_MINUTE = 3
    _early_in_a_minute()
    statuses = [world.get("/api/v1/partners?limit=1", key="partner_a_read").status for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429], statuses
    refused = world.get("/api/v1/partners?limit=1", key="partner_a_read")
    assert refused.content_type == "application/problem+json" and refused.json["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    assert world.get("/api/v1/partners?limit=1", key="partner_a").status == 200  # another key has its own count


def test_it_records_the_keys_use_in_the_audit_log_and_last_used(world, unblocked):
    from api.models import ApiKey
    from incentives.models import AuditEntry

    _early_in_a_minute()
    world.get("/api/v1/partners?limit=1", key="partner_b")
    world.get("/api/v1/partners?limit=2", key="partner_b")
    key = world.keys["partner_b"]
    with tenant_context(world.vendor):
        used = AuditEntry.objects.filter(action="api_key_used", object_id=str(key.pk))
        assert used.count() == 1  # one entry per key per minute
        assert used.get().changes["request"] == "GET /api/v1/partners?limit=1"
        assert used.get().partner_id == world.partner_b.pk
        assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
    connection.set_schema_to_public()


def test_updated_at_moves_on_a_real_change_only_bulk_updates_included(tenant_a):
    from django.db.models import F

    from partners.models import Contact
    from tests.factories import PartnerFactory

    with tenant_context(tenant_a):
        partner = PartnerFactory()
        contact = Contact.objects.create(partner=partner, full_name="変化 確認")
        before = Contact.objects.get(pk=contact.pk).updated_at
        Contact.objects.filter(pk=contact.pk).update(stage=F("stage"))  # written back as it was
        assert Contact.objects.get(pk=contact.pk).updated_at == before
        Contact.objects.filter(pk=contact.pk).update(phone="06-1111-2222")
        assert Contact.objects.get(pk=contact.pk).updated_at > before
    connection.set_schema_to_public()
