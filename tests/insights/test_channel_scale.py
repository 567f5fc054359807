"""The console home's work inbox and a partner's 360 page cost the same SQL statements with 10 partners and with
10,000: the channel is seeded set-based (bench/queries.py, whose `./kyoso bench queries` prints the two counts)."""

from __future__ import annotations

import time

import pytest
from django_tenants.utils import tenant_context

from bench.queries import LARGE, SMALL, grow_channel, page_queries, seed_channel

pytestmark = pytest.mark.django_db


def _cards(response) -> dict[str, int]:
    return {card.key: card.total for card in response.context["inbox"]}


def _assert_shows_the_channel(counted: dict, partner_id: int, partners: int) -> None:
    inbox, html = counted["inbox"][1], counted["inbox"][1].content.decode()
    at_risk = partners // 10  # the partners' ids are consecutive: every tenth is at risk
    assert _cards(inbox) == {"registrations": partners, "extensions": SMALL, "tier_changes": SMALL,
                             "mdf_requests": SMALL, "mdf_claims": SMALL, "payouts": SMALL, "leads": SMALL,
                             "questions": SMALL, "at_risk": at_risk}
    for shown in ("規模顧客", "規模延長", "シルバー → ゴールド", "規模セミナー", "規模展示会", "規模リード", "規模の質問"):
        assert shown in html, shown
    page = counted["partner 360"][1].content.decode()
    score = 30 if partner_id % 10 == 0 else 80
    assert f"規模顧客{partner_id}registered" in page and f"規模顧客{partner_id}won" in page
    assert 'data-tier="silver"' in page and 'data-figure="health_score"' in page and f'data-value="{score}"' in page


def test_the_inbox_and_a_partners_page_cost_the_same_queries_with_10_or_10000_partners(people_a):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        channel = seed_channel(owner=people_a.channel_manager, asker=people_a.partner_rep, partners=SMALL)
    partner_id = channel.partner_ids[0]
    small = page_queries(client, partner_id)
    _assert_shows_the_channel(small, partner_id, SMALL)
    started = time.perf_counter()
    with tenant_context(people_a.tenant):
        grow_channel(channel, partners=LARGE)
    assert time.perf_counter() - started < 15, "the channel is seeded set-based, in seconds"
    large = page_queries(client, partner_id)
    _assert_shows_the_channel(large, partner_id, LARGE)
    counts = {page: (small[page][0], large[page][0]) for page in small}
    assert all(few == many for few, many in counts.values()), counts
    print(f"queries with {SMALL} and {LARGE:,} partners: {counts}")
