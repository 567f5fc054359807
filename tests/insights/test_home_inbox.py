"""The console home's work inbox: what waits for the vendor, oldest first, scoped to the manager's partners."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals.models import DealRegistration, ExtensionRequest, Lead, LeadOffer
from enablement.models import PartnerQuestion
from incentives.models import MdfClaim, MdfRequest, Payout
from insights.models import HealthScore
from programs.models import Program, Tier, TierChange
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

KINDS = ("registrations", "extensions", "tier_changes", "mdf_requests", "mdf_claims", "payouts", "leads",
         "questions", "at_risk")
BUDGET = 19  # the home's figures and one query per inbox list, whatever the number of partners or items


def _tiers():
    program = Program.objects.create(name="受信箱テスト制度", partner_types=["resale"])
    return (Tier.objects.create(program=program, code="silver", name="シルバー", rank=1),
            Tier.objects.create(program=program, code="gold", name="ゴールド", rank=2))


def _seed(partner, asker, *, ago: timedelta, tiers, label: str = "") -> None:
    """One item of every kind of waiting work for `partner`, made `ago` before now. Call inside the tenant."""
    now = timezone.now()
    since = now - ago
    name = label or partner.name
    deal = DealRegistration.objects.create(partner=partner, customer_name=f"{name}顧客", name_key=f"k{partner.pk}{ago}",
                                           amount=1_000_000, expected_close=date(2027, 3, 31), registered_at=since)
    approved = DealRegistration.objects.create(partner=partner, customer_name=f"{name}延長", name_key=f"e{partner.pk}{ago}",
                                               amount=1_000_000, expected_close=date(2027, 3, 31), stage="approved",
                                               registered_at=since)
    ExtensionRequest.objects.create(deal=approved, days=30, reason="検討延長", requested_at=since)
    assert deal.pk
    if not TierChange.objects.filter(partner=partner, status="pending").exists():  # one open change a partner
        TierChange.objects.create(partner=partner, from_tier=tiers[0], to_tier=tiers[1], direction="up", status="pending",
                                  detected_at=since)
    MdfRequest.objects.create(partner=partner, activity=f"{name}セミナー", starts_on=date(2026, 10, 1),
                              ends_on=date(2026, 10, 31), budget=100_000, created_at=since)
    claimed = MdfRequest.objects.create(partner=partner, activity=f"{name}展示会", starts_on=date(2026, 10, 1),
                                        ends_on=date(2026, 10, 31), budget=100_000, status="claimed", created_at=since)
    MdfClaim.objects.create(request=claimed, amount=90_000, proof="mdf/proof.pdf", submitted_at=since)
    Payout.objects.create(partner=partner, period=date(2020, 1, 1) + timedelta(days=ago.days), status="review",
                          total=110, close_date=date(2026, 10, 31), payee_name=partner.name,
                          due_date=timezone.localdate() + timedelta(days=30 - ago.days))
    lead = Lead.objects.create(customer_name=f"{name}リード", name_key=f"l{partner.pk}{ago}", created_at=since)
    LeadOffer.objects.create(lead=lead, partner=partner, offered_at=since - timedelta(hours=48), expires_at=since)
    PartnerQuestion.objects.create(partner=partner, asked_by=asker, text=f"{name}の質問", status="vendor",
                                   asked_at=since, escalated_at=since)
    HealthScore.objects.update_or_create(partner=partner, defaults={
        "score": 30, "band": "at_risk", "previous_band": "healthy", "computed_at": since})


def _cards(response) -> dict:
    return {card.key: card for card in response.context["inbox"]}


def test_it_lists_every_kind_of_waiting_work_oldest_first_with_its_age(people_a):
    with tenant_context(people_a.tenant):
        tiers = _tiers()
        _seed(people_a.partner, people_a.partner_rep, ago=timedelta(hours=2), tiers=tiers, label="新しい")
        _seed(people_a.other_partner, people_a.partner_rep, ago=timedelta(days=3, hours=1), tiers=tiers, label="古い")
        # At risk for a while and lower: still listed after the partner that has just fallen there.
        HealthScore.objects.filter(partner=people_a.partner).update(previous_band="at_risk", score=10)
    response = people_a.console(people_a.vendor_admin).get("/")
    assert response.status_code == 200
    cards = _cards(response)
    assert list(cards) == list(KINDS)
    for key in KINDS:
        assert cards[key].total == 2, key
        assert cards[key].rows[0].partner == people_a.other_partner.name, key  # the one waiting longest first
    registrations = cards["registrations"].rows
    assert [row.title for row in registrations] == ["古い顧客", "新しい顧客"]
    assert "3" in registrations[0].age and "2" in registrations[1].age  # 3日 / 2時間
    assert response.context["inbox_total"] == 2 * len(KINDS)


def test_it_leaves_out_what_no_longer_waits(people_a):
    with tenant_context(people_a.tenant):
        tiers = _tiers()
        _seed(people_a.partner, people_a.partner_rep, ago=timedelta(days=1), tiers=tiers)
        DealRegistration.objects.update(stage="approved")
        ExtensionRequest.objects.update(status="approved")
        TierChange.objects.update(status="applied")
        MdfRequest.objects.update(status="reimbursed")
        Payout.objects.update(status="approved", due_date=timezone.localdate() + timedelta(days=8))
        LeadOffer.objects.update(expires_at=timezone.now() + timedelta(hours=1))
        PartnerQuestion.objects.update(status="answered")
        HealthScore.objects.update(band="healthy")
    response = people_a.console(people_a.vendor_admin).get("/")
    assert {key: card.total for key, card in _cards(response).items()} == dict.fromkeys(KINDS, 0)
    assert response.content.decode().count("Nothing waiting") == len(KINDS)


def test_it_counts_an_approved_payout_due_this_week(people_a):
    with tenant_context(people_a.tenant):
        for days, status in ((3, "approved"), (9, "approved"), (2, "paid"), (40, "review")):
            Payout.objects.create(partner=people_a.partner, period=date(2026, 1, 1) + timedelta(days=days), status=status, total=days,
                                  close_date=date(2026, 10, 31), due_date=timezone.localdate() + timedelta(days=days),
                                  payee_name="x")
    payouts = _cards(people_a.console(people_a.vendor_admin).get("/"))["payouts"]
    assert payouts.total == 2
    assert [row.title.endswith(f"¥{days}") for row, days in zip(payouts.rows, (3, 40), strict=True)] == [True, True]


def test_it_shows_a_channel_manager_only_the_partners_they_own_unless_they_choose_all(people_a):
    with tenant_context(people_a.tenant):
        tiers = _tiers()
        people_a.partner.owner = people_a.channel_manager
        people_a.partner.save(update_fields=["owner"])
        _seed(people_a.partner, people_a.partner_rep, ago=timedelta(days=1), tiers=tiers, label="担当")
        _seed(people_a.other_partner, people_a.partner_rep, ago=timedelta(days=2), tiers=tiers, label="担当外")
    client = people_a.console(people_a.channel_manager)
    mine = client.get("/")
    assert mine.context["scope"] == "mine"
    for card in _cards(mine).values():
        assert (card.total, [row.partner for row in card.rows]) == (1, [people_a.partner.name]), card.key
    everything = client.get("/?scope=all")
    assert everything.context["scope"] == "all"
    assert {card.total for card in _cards(everything).values()} == {2}
    assert 'href="?scope=mine"' in everything.content.decode()
    assert client.get("/").context["scope"] == "mine"  # "all" is remembered nowhere
    assert client.get("/?scope=bogus").context["scope"] == "mine"
    admin = people_a.console(people_a.vendor_admin).get("/")
    assert admin.context["scope"] == "all"


def test_it_links_each_row_to_where_the_work_is_done(people_a):
    with tenant_context(people_a.tenant):
        _seed(people_a.partner, people_a.partner_rep, ago=timedelta(days=1), tiers=_tiers())
        deal = DealRegistration.objects.get(stage="registered")
        extended = ExtensionRequest.objects.get().deal
        payout = Payout.objects.get()
    client = people_a.console(people_a.vendor_admin)
    response = client.get("/")
    cards = _cards(response)
    expected = {"registrations": (f"/deals/{deal.pk}/", "/deals/"), "extensions": (f"/deals/{extended.pk}/", "/deals/"),
                "tier_changes": ("/programs/changes/", "/programs/changes/"),
                "mdf_requests": ("/incentives/mdf/", "/incentives/mdf/"), "mdf_claims": ("/incentives/mdf/",) * 2,
                "payouts": (f"/incentives/payouts/{payout.pk}/", "/incentives/payouts/"),
                "leads": ("/deals/leads/", "/deals/leads/"), "questions": ("/enablement/questions/",) * 2,
                "at_risk": (f"/partners/{people_a.partner.pk}/", "/partners/")}
    assert {key: (card.rows[0].url, card.url) for key, card in cards.items()} == expected
    html = response.content.decode()
    for row_url, card_url in expected.values():
        assert f'href="{row_url}"' in html and f'href="{card_url}"' in html
        assert client.get(row_url).status_code == 200, row_url


def test_it_is_for_the_vendors_staff_only(people_a):
    for user in (people_a.partner_admin, people_a.partner_rep):
        assert people_a.console(user).get("/?scope=all").status_code == 403
    assert people_a.console().get("/").status_code == 302  # to the login page
    assert people_a.console(people_a.channel_manager).post("/").status_code == 405


def test_it_shows_nothing_of_another_vendor(people_a, people_b):
    with tenant_context(people_b.tenant):
        _seed(people_b.partner, people_b.partner_rep, ago=timedelta(days=1), tiers=_tiers(), label="他社")
    response = people_a.console(people_a.vendor_admin).get("/?scope=all")
    assert {card.total for card in _cards(response).values()} == {0}
    assert "他社" not in response.content.decode()
    assert {card.total for card in _cards(people_b.console(people_b.vendor_admin).get("/")).values()} == {1}


def _home_queries(client) -> int:
    client.get("/?scope=mine")  # host, session and settings caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/?scope=mine")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_home_makes_the_same_queries_with_ten_partners_or_many(people_a, django_assert_max_num_queries):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        tiers = _tiers()
        for n in range(10):
            partner = PartnerFactory(name=f"少数{n}", owner=people_a.channel_manager)
            _seed(partner, people_a.partner_rep, ago=timedelta(days=n + 1), tiers=tiers)
    small = _home_queries(client)
    with tenant_context(people_a.tenant):
        for n in range(60):
            partner = PartnerFactory(name=f"多数{n}", owner=people_a.channel_manager if n % 2 else None)
            for days in (1, 5, 9):
                _seed(partner, people_a.partner_rep, ago=timedelta(days=days, minutes=n), tiers=tiers)
    large = _home_queries(client)
    assert small == large
    with django_assert_max_num_queries(BUDGET):
        cards = _cards(client.get("/?scope=mine"))
    assert cards["registrations"].total == 10 + 30 * 3
    assert len(cards["registrations"].rows) == 5
    print(f"console home queries: {small} with 10 partners, {large} with 70 partners")
