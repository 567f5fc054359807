"""./kyoso bench queries — the SQL statements of the console home (the work inbox) and of a partner's 360 page, with
10 partners and with 10,000: the same number, since each list and figure is one statement whatever the channel's size.

In the vendor "benchqueries", inside a transaction rolled back at the end (nothing is kept between runs): 10
partners of the channel manager, each with an open registration waiting for approval, a won one, a tier and a
health score, set-based, and one item of every other kind of waiting work (extension, tier change, MDF request
and claim, payout, lead past its SLA, question); the two pages are counted; then the channel grows to 10,000
partners alike (every tenth at risk) and they are counted again. tests/insights/test_channel_scale.py asserts the
two counts equal with the same seeding; this prints them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bench.common import _Rollback, _tenant, channel_manager, size

SMALL = 10
LARGE = 10_000
CHANNEL = "株式会社規模"  # the seeded partners' names: 株式会社規模1 …

# One statement: the partners numbered first…last of the channel manager `owner`, each with a registration waiting
# for approval, a won one, the tier `tier` and a health score (every tenth partner at risk).
_CHANNEL_SQL = """
WITH partner AS (
    INSERT INTO partners_partner (name, name_kana, partner_type, stage, stage_changed_at, prefectures, industries,
        corporate_number, invoice_number, website, phone, postal_code, address, bank_code, bank_name, branch_code,
        branch_name, account_type, account_number, account_holder, co_creation_benefit, co_selling_model,
        score_customer_overlap, score_core_business, score_characteristics, score_sales_capacity, notes, created_at,
        is_individual, owner_id)
    SELECT %(name)s || n, 'キボ' || n, 'resale', 'activation', now(), '{13}', '{}', '', '', '', '', '', '', '', '',
           '', '', '', '', '', '', '', 3, 3, 3, 3, '', now() - make_interval(days => 400), false, %(owner)s
      FROM generate_series(%(first)s::int, %(last)s::int) AS n
    RETURNING id
), deal AS (
    INSERT INTO deals_dealregistration (customer_name, corporate_number, web_domain, name_key, corporate_key,
        domain_key, partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
        role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority, registered_at,
        decision_reason, won_amount, won_on)
    SELECT '規模顧客' || p.id || s.stage, '', '', 'kibo' || p.id || s.stage, '', '', p.id, '', '', %(amount)s,
           CURRENT_DATE + 60, '', 'partner', 'partner', 'partner', 'partner', 'partner', s.stage, 'holder',
           now() - make_interval(hours => (1 + p.id %% 500)::int), '',
           CASE WHEN s.stage = 'won' THEN %(amount)s END, CASE WHEN s.stage = 'won' THEN CURRENT_DATE - 10 END
      FROM partner p CROSS JOIN (VALUES ('registered'), ('won')) AS s(stage)
), tier AS (
    INSERT INTO programs_partnertier (partner_id, tier_id, since, metrics, evaluated_at)
    SELECT id, %(tier)s, now() - make_interval(days => 90), '{}', now() FROM partner
), health AS (
    INSERT INTO partners_healthscore (partner_id, score, band, components, previous_score, previous_band, computed_at)
    SELECT id, CASE WHEN id %% 10 = 0 THEN 30 ELSE 80 END, CASE WHEN id %% 10 = 0 THEN 'at_risk' ELSE 'healthy' END,
           '{}', 70, 'healthy', now()
      FROM partner
)
SELECT count(*) FROM partner
"""


@dataclass(frozen=True)
class Channel:
    owner_id: int
    tier_id: int  # every partner's tier
    next_tier_id: int  # the tier the changes waiting for approval lead to
    partner_ids: list[int]  # the first SMALL partners, each with one item of every kind of waiting work


def seed_channel(*, owner, asker, partners: int) -> Channel:
    """The channel manager `owner`'s first `partners` partners, and waiting work for each (`asker`: a partner user
    who asks the questions). Call inside the tenant; set-based, a few seconds for 10,000."""
    from partners.models import Partner
    from programs.models import Program, Tier

    program = Program.objects.create(name="規模テスト制度", partner_types=["resale"])
    tier = Tier.objects.create(program=program, code="silver", name="シルバー", rank=1)
    gold = Tier.objects.create(program=program, code="gold", name="ゴールド", rank=2)
    _insert(owner_id=owner.pk, tier_id=tier.pk, first=1, last=partners)
    ids = list(Partner.objects.filter(owner=owner, name__startswith=CHANNEL).order_by("pk").values_list("pk", flat=True))
    channel = Channel(owner_id=owner.pk, tier_id=tier.pk, next_tier_id=gold.pk, partner_ids=ids[:SMALL])
    _waiting_work(channel, asker)
    return channel


def grow_channel(channel: Channel, *, partners: int) -> None:
    """More partners of the channel, alike, until it has `partners` of them (set-based)."""
    from partners.models import Partner

    have = Partner.objects.filter(owner_id=channel.owner_id, name__startswith=CHANNEL).count()
    if have < partners:
        _insert(owner_id=channel.owner_id, tier_id=channel.tier_id, first=have + 1, last=partners)


def _insert(*, owner_id: int, tier_id: int, first: int, last: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_CHANNEL_SQL, {"name": CHANNEL, "owner": owner_id, "tier": tier_id, "first": first, "last": last,
                                      "amount": 2_000_000})
        cursor.execute("ANALYZE partners_partner; ANALYZE deals_dealregistration")


def _waiting_work(channel: Channel, asker) -> None:
    """One extension, tier change, MDF request and claim, payout, lead past its SLA and partner question for each
    of the channel's first partners, waiting a day longer for each."""
    from django.utils import timezone

    from deals.models import DealRegistration, ExtensionRequest, Lead, LeadOffer
    from enablement.models import PartnerQuestion
    from incentives.models import MdfClaim, MdfRequest, Payout
    from programs.models import TierChange

    now = timezone.now()
    for n, partner_id in enumerate(channel.partner_ids):
        since = now - timedelta(days=n + 1)
        approved = DealRegistration.objects.create(
            partner_id=partner_id, customer_name=f"規模延長{n}", name_key=f"kibo-extension-{n}", amount=1_000_000,
            expected_close=timezone.localdate() + timedelta(days=30), stage="approved", registered_at=since)
        ExtensionRequest.objects.create(deal=approved, days=30, reason="検討延長", requested_at=since)
        TierChange.objects.create(partner_id=partner_id, from_tier_id=channel.tier_id, to_tier_id=channel.next_tier_id, direction="up",
                                  status="pending", detected_at=since)
        MdfRequest.objects.create(partner_id=partner_id, activity=f"規模セミナー{n}", starts_on=date(2026, 10, 1),
                                  ends_on=date(2026, 10, 31), budget=100_000, created_at=since)
        claimed = MdfRequest.objects.create(partner_id=partner_id, activity=f"規模展示会{n}", starts_on=date(2026, 10, 1),
                                            ends_on=date(2026, 10, 31), budget=100_000, status="claimed", created_at=since)
        MdfClaim.objects.create(request=claimed, amount=90_000, proof="mdf/proof.pdf", submitted_at=since)
        Payout.objects.create(partner_id=partner_id, period=date(2026, 1, 1), status="review", total=110_000,
                              close_date=date(2026, 1, 31), payee_name=f"{CHANNEL}{n}",
                              due_date=timezone.localdate() + timedelta(days=3))
        lead = Lead.objects.create(customer_name=f"規模リード{n}", name_key=f"kibo-lead-{n}", created_at=since)
        LeadOffer.objects.create(lead=lead, partner_id=partner_id, offered_at=since - timedelta(hours=48), expires_at=since)
        PartnerQuestion.objects.create(partner_id=partner_id, asked_by=asker, text=f"規模の質問{n}", status="vendor",
                                       asked_at=since, escalated_at=since)


def page_queries(client, partner_id: int) -> dict[str, tuple[int, Any]]:
    """The SQL statements of the channel manager's home (their inbox) and of one partner's page, each the second
    time it is asked for (the first fills the host and session caches), with the response."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counted = {}
    for page, path in (("inbox", "/"), ("partner 360", f"/partners/{partner_id}/")):
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counted[page] = (len(captured), response)
    return counted


def bench_queries(runs: int) -> None:
    from django.contrib.auth.backends import ModelBackend
    from django.db import connection, transaction
    from django.test import Client
    from django_tenants.utils import tenant_context

    from prm.accounts.models import User

    vendor = _tenant("benchqueries", "ベンチ件数株式会社")
    client = Client(HTTP_HOST=vendor.domain_for("console").domain)
    large = size(LARGE, 20)
    counts: dict[int, dict[str, int]] = {}
    started = time.perf_counter()
    try:
        with tenant_context(vendor), transaction.atomic():
            staff = channel_manager("admin@benchqueries.example")
            asker = User.objects.create(email="rep@benchqueries.example", full_name="規模 担当", role="partner_rep")
            channel = seed_channel(owner=staff, asker=asker, partners=SMALL)
            client.force_login(staff, backend=f"{ModelBackend.__module__}.{ModelBackend.__name__}")
            for partners in (SMALL, large):
                grow_channel(channel, partners=partners)
                counted = page_queries(client, channel.partner_ids[0])
                counts[partners] = {page: count for page, (count, _response) in counted.items()}
            raise _Rollback  # nothing kept: the next run seeds afresh in a few seconds
    except _Rollback:
        pass
    connection.set_schema_to_public()
    for page in ("inbox", "partner 360"):
        print(f"queries: {page}: {counts[SMALL][page]} SQL statements with {SMALL:,} partners, "
              f"{counts[large][page]} with {large:,}")
    print(f"queries: seeded, counted and rolled back in {time.perf_counter() - started:.1f} s")
