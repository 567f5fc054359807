"""The read resources over HTTP: the vendor key sees every partner's records, a partner key its own only."""

from __future__ import annotations

import pytest

LISTS = {
    "contacts": ("/api/v1/contacts", lambda r: [c.pk for c in r.contacts], "id"),
    "tiers": ("/api/v1/tiers", lambda r: None, "partner_id"),
    "tier_history": ("/api/v1/tiers/history", lambda r: [c.pk for c in r.tier_changes], "id"),
    "certifications": ("/api/v1/certifications", lambda r: [a.pk for a in r.awards], "id"),
    "payouts": ("/api/v1/payouts", lambda r: [p.pk for p in r.payouts], "id"),
}


def _all(world, path: str, key: str) -> list[dict]:
    items, cursor = [], None
    while True:
        answer = world.get(path + ("&" if "?" in path else "?") + "limit=200" + (f"&cursor={cursor}" if cursor else ""),
                           key=key)
        assert answer.status == 200, answer.body
        items += answer.json["items"]
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.parametrize("resource", sorted(LISTS))
def test_it_lists_every_partners_records_to_the_vendor_and_only_its_own_to_a_partner(world, records, resource):
    path, ids_of, field = LISTS[resource]
    ids = ids_of(records)
    mine = ids[0] if ids else world.partner_a.pk
    theirs = ids[1] if ids else world.partner_b.pk
    vendor = [item[field] for item in _all(world, path, "vendor_read")]
    assert mine in vendor and theirs in vendor
    own = _all(world, path, "partner_a")
    assert mine in [item[field] for item in own] and theirs not in [item[field] for item in own]
    assert {item["partner_id"] for item in own} == {world.partner_a.pk}
    assert {item["partner_id"] for item in _all(world, path, "partner_b")} == {world.partner_b.pk}


def test_it_reads_a_payout_and_its_lines_with_yen_as_integers(world, records):
    payout = records.payouts[0]
    answer = world.get(f"/api/v1/payouts/{payout.pk}", key="partner_a")
    assert answer.status == 200
    assert answer.json["total"] == 13579 and isinstance(answer.json["commissions"], int)
    lines = world.get(f"/api/v1/payouts/{payout.pk}/lines", key="partner_a").json["items"]
    assert [(line["id"], line["amount"], line["plan"]) for line in lines] == [(records.lines[0].pk, 12345, "API plan")]
    other = records.payouts[1]
    assert world.get(f"/api/v1/payouts/{other.pk}", key="partner_a").status == 404
    assert world.get(f"/api/v1/payouts/{other.pk}/lines", key="partner_a").status == 404
    assert world.get(f"/api/v1/payouts/{other.pk}/lines", key="vendor_read").json["items"][0]["amount"] == 12346


def test_it_names_the_tier_and_the_certification(world, records):
    tiers = {item["partner_id"]: item for item in _all(world, "/api/v1/tiers", "vendor_read")}
    assert tiers[world.partner_a.pk]["tier"]["name"] == "ゴールド" and tiers[world.partner_b.pk]["tier"]["rank"] == 2
    awards = _all(world, "/api/v1/certifications", "partner_a")
    assert [a["certification_name"] for a in awards if a["id"] == records.awards[0].pk] == ["API 認定"]


def test_it_keeps_health_scores_for_the_vendor(world, records):
    scores = {item["partner_id"]: item["score"] for item in _all(world, "/api/v1/health-scores", "vendor_read")}
    assert scores[world.partner_a.pk] == 70 and scores[world.partner_b.pk] == 71
    assert world.get("/api/v1/health-scores", key="partner_a").status == 404  # no such route on the portal


def test_it_reads_a_contact_of_its_own_partner_only(world, records):
    mine, theirs = records.contacts
    assert world.get(f"/api/v1/contacts/{mine.pk}", key="partner_a").json["email"] == mine.email
    assert world.get(f"/api/v1/contacts/{theirs.pk}", key="partner_a").status == 404
    assert world.get(f"/api/v1/contacts/{theirs.pk}", key="vendor_read").json["partner_id"] == world.partner_b.pk
