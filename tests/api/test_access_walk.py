"""Every API operation × every key persona, over HTTP. The operations are read from the two APIs, so a
route added later is walked without anyone adding it here (a path argument without a sample fails).

Personas: no key, a revoked and an expired key, vendor keys (read everything, write everything, a scope
for leads only), partner A's keys (write, read-only) and partner B's key, on both sites and on another
vendor's domain. A partner key never sees another partner's record, and no answer is a 500.
"""

from __future__ import annotations

import re

import pytest

from api.v1 import console_api, operations, portal_api
from tests.api.write_fixtures import CRM, write_records  # noqa: F401  (fixture)

CONSOLE = operations(console_api)
PORTAL = operations(portal_api)


@pytest.fixture
def samples(world, records, write_records) -> dict[str, tuple]:
    """Path argument → (partner A's record, partner B's record); the vendor's own records twice."""
    account = write_records.accounts[0]
    return {
        "partner_id": (world.partner_a.pk, world.partner_b.pk),
        "contact_id": (records.contacts[0].pk, records.contacts[1].pk),
        "payout_id": (records.payouts[0].pk, records.payouts[1].pk),
        "deal_id": (write_records.deals[0].pk, write_records.deals[1].pk),
        "offer_id": (write_records.offers[0].pk, write_records.offers[1].pk),
        "lead_id": (write_records.leads[0].pk, write_records.leads[1].pk),
        "account_id": (account.pk, account.pk),
        "source": (CRM, CRM),
        "external_id": (account.external_ids[CRM], account.external_ids[CRM]),
    }


def _fill(path: str, samples: dict, which: int) -> str:
    def sub(match):
        name = match.group(1)
        assert name in samples, f"no sample for {name} in {path}: add one to the samples fixture"
        return str(samples[name][which])

    return re.sub(r"\{(\w+)\}", sub, path)


def _send(world, op, path, *, key=None, site=None, vendor=None):
    if op.method == "POST":
        return world.post(path, {}, key=key, site=site, vendor=vendor)
    if op.method == "PUT":
        return world.call("PUT", path, body={}, key=key, site=site, vendor=vendor)
    return world.call(op.method, path, key=key, site=site, vendor=vendor)


def test_the_walk_covers_every_resource_of_both_sites():
    assert {op.resource for op in CONSOLE} >= {"partners", "contacts", "tiers", "certifications", "health", "payouts",
                                               "deals", "leads", "direct_accounts", "invoice_payments"}
    assert {op.resource for op in PORTAL} >= {"partners", "contacts", "tiers", "certifications", "payouts", "deals",
                                              "leads"}
    assert not {"direct_accounts", "invoice_payments"} & {op.resource for op in PORTAL}
    assert "health" not in {op.resource for op in PORTAL}


def test_every_operation_needs_a_scope_and_every_post_is_idempotent():
    """One auth per operation (KeyAuth with a resource); a write without Idempotency-Key would create twice on a retry."""
    for op in CONSOLE + PORTAL:
        assert op.resource and op.access in ("read", "write"), op
        if op.method == "POST":
            assert op.idempotent and op.access == "write", f"{op.method} {op.path} is not wrapped in @idempotent"
        else:
            assert op.method == "GET" or op.access == "write", op


@pytest.mark.parametrize("site", ["console", "portal"])
def test_no_key_and_unusable_keys_open_nothing(world, samples, site):
    failures = []
    for op in CONSOLE if site == "console" else PORTAL:
        path = _fill(op.path, samples, 0)
        for key in (None, "vendor_revoked", "vendor_expired"):
            answer = _send(world, op, path, key=key, site=site)
            if answer.status != 401 or answer.content_type != "application/problem+json":
                failures.append(f"{op.method} {path} {key}: {answer.status}")
        for key in (("partner_a", "partner_b") if site == "console" else ("vendor_read", "vendor_write")):
            answer = _send(world, op, path, key=key, site=site)
            if answer.status != 401 or answer.json.get("code") != "key_wrong_site":
                failures.append(f"{op.method} {path} {key} on the other site: {answer.status}")
        answer = _send(world, op, path, key="vendor_read" if site == "console" else "partner_a", site=site,
                       vendor=world.other_vendor)
        if answer.status != 401:
            failures.append(f"{op.method} {path} on another vendor's domain: {answer.status}")
    assert not failures, "\n".join(failures)


def test_vendor_keys_get_what_their_scopes_allow_on_the_console(world, samples):
    failures = []
    for op in CONSOLE:
        for which in (0, 1):
            path = _fill(op.path, samples, which)
            for key in ("vendor_read", "vendor_write", "vendor_noscope"):
                answer = _send(world, op, path, key=key)
                allowed = key == "vendor_write" or (key == "vendor_read" and op.access == "read")
                if key == "vendor_noscope":
                    allowed = op.resource == "leads" and op.access == "read"
                if answer.status >= 500:
                    failures.append(f"{op.method} {path} {key}: server error")
                elif allowed and answer.status in (401, 403, 404):
                    failures.append(f"{op.method} {path} {key}: refused {answer.status}")
                elif not allowed and (answer.status != 403 or answer.json.get("code") != "scope_missing"):
                    failures.append(f"{op.method} {path} {key}: not refused ({answer.status})")
    assert not failures, "\n".join(failures)


def _partners_in(body) -> set[int]:
    items = body["items"] if isinstance(body, dict) and "items" in body else [body]
    found = set()
    for item in items:
        found.add(item["partner_id"] if "partner_id" in item else item["id"])
    return found


@pytest.mark.parametrize("key,own,other", [("partner_a", 0, 1), ("partner_a_read", 0, 1), ("partner_b", 1, 0)])
def test_a_partner_key_reads_its_own_partner_only_on_every_route(world, samples, key, own, other):
    mine = (world.partner_a.pk, world.partner_b.pk)[own]
    failures = []
    for op in PORTAL:
        writes = key != "partner_a_read"
        if op.access == "write":
            answer = _send(world, op, _fill(op.path, samples, own), key=key)
            expected = 422 if writes else 403  # an empty body passes the key check and fails validation
            if answer.status != expected:
                failures.append(f"{op.method} {op.path} {key}: {answer.status}, expected {expected}")
            continue
        answer = _send(world, op, _fill(op.path, samples, own), key=key)
        if answer.status != 200:
            failures.append(f"{op.method} {op.path} {key} own record: {answer.status}")
        elif _partners_in(answer.json) - {mine}:
            failures.append(f"{op.method} {op.path} {key}: another partner's data {_partners_in(answer.json) - {mine}}")
        if "{" in op.path:
            answer = _send(world, op, _fill(op.path, samples, other), key=key)
            if answer.status != 404 or answer.content_type != "application/problem+json":
                failures.append(f"{op.method} {op.path} {key} other partner's record: {answer.status}")
    assert not failures, "\n".join(failures)
