"""The console's partner page as a 360° view: the header's tier, health, stage and owner; the sections the
apps above partners add (deals and revenue, payouts and balance, MDF, certifications, content engagement);
a timeline merging their events; inviting the partner's people from the page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals.models import DealEvent, DealRegistration
from enablement.models import CertificationAward, ContentAccess
from incentives.models import MdfRequest, Payout
from insights.health.models import HealthScore
from partners.models import EventKind, PartnerEvent, Stage
from prm.invitations.models import Invitation
from programs.models import PartnerTier, Program, Requirement, Tier, TierChange
from tests.enablement.factories import CertificationFactory, ContentItemFactory
from tests.partners.factories import PartnerFactory

TODAY = timezone.localdate()


def _deal(partner, n: int, *, stage: str = "registered", amount: int = 1_000_000, won_days_ago: int = 10):
    won = stage == "won"
    deal = DealRegistration.objects.create(
        partner=partner, customer_name=f"{partner.name}の顧客{n}", name_key=f"p360-{partner.pk}-{n}", amount=amount,
        stage=stage, expected_close=TODAY + timedelta(days=30), won_amount=amount if won else None,
        won_on=TODAY - timedelta(days=won_days_ago) if won else None)
    DealEvent.objects.create(deal=deal, partner=partner, kind="registered")
    if won:
        DealEvent.objects.create(deal=deal, partner=partner, kind="win_confirmed",
                                 data={"won_amount": amount, "won_on": deal.won_on.isoformat()})
    return deal


def _payout(partner, months_ago: int, *, total: int, status: str = "approved"):
    year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - months_ago, 12)
    period = date(year, month + 1, 1)
    return Payout.objects.create(
        partner=partner, period=period, status=status, commissions=total, subtotal=total, total=total,
        close_date=period, due_date=period + timedelta(days=30), payee_name=partner.name,
        approved_at=timezone.now() - timedelta(days=30 * months_ago + 10),
        paid_at=timezone.now() - timedelta(days=30 * months_ago) if status == "paid" else None)


def _fill(partner, user, *, n: int, tiers: dict) -> None:
    """n of everything the page shows, for `partner` (its rep `user`)."""
    for i in range(n):
        _deal(partner, 2 * i, amount=1_000_000 * (i + 1))
        _deal(partner, 2 * i + 1, stage="won", amount=3_000_000, won_days_ago=10 + i)
        _payout(partner, 1 + i, total=150_000, status="paid" if i % 2 else "approved")
        certification = CertificationFactory(name=f"認定{partner.pk}-{i}")
        CertificationAward.objects.create(certification=certification, user=user, partner=partner,
                                          holder_name=f"担当者{i}", issued_at=timezone.now() - timedelta(days=i + 1),
                                          expires_at=timezone.now() + timedelta(days=200))
        item = ContentItemFactory(title=f"提案資料{partner.pk}-{i}")
        ContentAccess.objects.create(item=item, user=user, partner=partner, action="download")
        MdfRequest.objects.create(partner=partner, activity=f"セミナー{i}", starts_on=TODAY, ends_on=TODAY,
                                  budget=200_000)
        TierChange.objects.create(partner=partner, from_tier=tiers["silver"], to_tier=tiers["gold"], direction="up",
                                  status="applied", detected_at=timezone.now() - timedelta(days=50 + i))


@pytest.fixture
def tiers(people_a):
    with tenant_context(people_a.tenant):
        program = Program.objects.create(name="360テスト制度", partner_types=["resale", "distributor"])
        silver = Tier.objects.create(program=program, code="silver", name="シルバー", rank=1)
        gold = Tier.objects.create(program=program, code="gold", name="ゴールド", rank=2)
        Requirement.objects.create(tier=gold, metric="won_deals", threshold=4)
        return {"silver": silver, "gold": gold}


@pytest.fixture
def filled(people_a, tiers):
    """people_a's partner with one of everything and a health score that rose; the other partner with its own."""
    with tenant_context(people_a.tenant):
        partner = people_a.partner
        partner.stage, partner.owner = Stage.ACTIVATION, people_a.channel_manager
        partner.save(update_fields=["stage", "owner"])
        PartnerTier.objects.create(partner=partner, tier=tiers["silver"])
        _fill(partner, people_a.partner_rep, n=1, tiers=tiers)
        HealthScore.objects.create(partner=partner, score=72, band="healthy", previous_score=65)
        _deal(people_a.other_partner, 99, stage="won", amount=9_000_000)
        _payout(people_a.other_partner, 3, total=987_654)
        Invitation.objects.filter(partner=partner).delete()
    return partner


def _page(people, partner):
    response = people.console(people.channel_manager).get(f"/partners/{partner.pk}/")
    assert response.status_code == 200
    return response, response.content.decode()


def test_it_shows_the_tier_with_progress_health_with_its_trend_stage_and_owner(people_a, filled):
    response, html = _page(people_a, filled)
    assert 'data-tier="silver"' in html and "ゴールド" in html
    assert 'data-figure="won_deals" data-window="t12m"' in html  # the progress row uses the catalogued figure
    assert '<progress class="kyoso-progress d-block w-100" value="25"' in html  # 1 of 4 won deals
    assert 'data-figure="health_score"' in html and 'data-value="72"' in html and 'data-trend="up"' in html
    assert filled.get_stage_display() in html and people_a.channel_manager.get_short_name() in html


def test_it_shows_each_sections_figures_for_this_partner_only(people_a, filled):
    response, html = _page(people_a, filled)
    pk = filled.pk
    assert f'data-figure="won_revenue" data-window="t12m" data-partner="{pk}" data-value="3000000"' in html
    assert f'data-figure="won_deals" data-window="t12m" data-partner="{pk}" data-value="1"' in html
    assert 'data-open-deals="1"' in html and f"{filled.name}の顧客0" in html and f"{filled.name}の顧客1" in html
    assert 'data-awaiting="150000"' in html and 'data-committed="0"' in html and "セミナー0" in html
    assert f'data-figure="certified_reps" data-window="now" data-partner="{pk}" data-value="1"' in html
    assert f"認定{pk}-0" in html and 'data-views="0"' in html and f"提案資料{pk}-0" in html
    other = people_a.other_partner
    assert f"{other.name}の顧客99" not in html and "987,654" not in html


def test_its_timeline_merges_deal_events_certifications_tier_changes_and_payouts(people_a, filled):
    response, html = _page(people_a, filled)
    sources = [entry.source for entry in response.context["timeline"]]
    assert {"deals", "enablement", "programs", "incentives"} <= set(sources)
    times = [entry.at for entry in response.context["timeline"]]
    assert times == sorted(times, reverse=True)
    assert "シルバー → ゴールド" in html and f"{filled.name}の顧客1" in html


def test_its_rows_link_to_their_pages_and_name_who_acted(people_a, filled):
    with tenant_context(people_a.tenant):
        payout = Payout.objects.get(partner=filled)
        award = CertificationAward.objects.get(partner=filled)
        access = ContentAccess.objects.get(partner=filled)
        deal = DealRegistration.objects.filter(partner=filled).order_by("pk").first()
        DealEvent.objects.create(deal=deal, partner=filled, kind="approved", actor=people_a.channel_manager,
                                 data={"expires_on": TODAY.isoformat()})
        PartnerEvent.objects.create(partner=filled, kind=EventKind.UPDATED, actor=people_a.vendor_admin,
                                    data={"fields": ["phone"]})
    response, html = _page(people_a, filled)
    for path in (f"/incentives/payouts/{payout.pk}/", f"/enablement/certifications/{award.certification_id}/",
                 f"/enablement/library/{access.item_id}/"):
        assert f'href="{path}"' in html, path
    entries = {(entry.source, entry.url, entry.actor) for entry in response.context["timeline"]}
    assert ("deals", f"/deals/{deal.pk}/", people_a.channel_manager.get_short_name()) in entries
    assert ("partner", "", people_a.vendor_admin.get_short_name()) in entries
    assert {("incentives", f"/incentives/payouts/{payout.pk}/", ""), ("programs", "/programs/changes/", ""),
            ("enablement", f"/enablement/certifications/{award.certification_id}/", "")} <= entries


def test_it_shows_empty_sections_for_a_partner_with_nothing_yet(people_a, tiers):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="まだ何もない会社")
    response, html = _page(people_a, partner)
    for empty in ("partner-deals", "partner-payouts", "partner-mdf", "partner-certifications", "partner-engagement",
                  "partner-tier", "partner-health"):
        assert f'id="{empty}"' in html
    assert 'data-open-deals="0"' in html and 'data-accrued="0"' in html
    assert response.context["timeline"] == []
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        for text in ("No open deals.", "No won deals yet.", "No payouts yet.", "No MDF requests yet.",
                     "No valid certifications.", "No content used in this period.", "Nothing has happened yet.",
                     "Not scored yet"):
            assert translation.gettext(text) in html, text


def test_the_page_costs_the_same_queries_with_little_or_much_data(people_a, tiers):
    with tenant_context(people_a.tenant):
        small, big = PartnerFactory(name="小さな会社"), PartnerFactory(name="大きな会社")
        for partner in (small, big):
            PartnerTier.objects.create(partner=partner, tier=tiers["silver"])
            HealthScore.objects.create(partner=partner, score=50, band="at_risk", previous_score=55)
        _fill(small, people_a.partner_rep, n=1, tiers=tiers)
        _fill(big, people_a.partner_rep, n=24, tiers=tiers)
    client = people_a.console(people_a.channel_manager)
    client.get(f"/partners/{small.pk}/")  # fills the caches (the bell's count)
    counts = []
    for partner in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/partners/{partner.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_it_invites_a_person_of_this_partner_from_its_page(people_a):
    client = people_a.console(people_a.channel_manager)
    response = client.post(f"/partners/{people_a.partner.pk}/invite/", {"email": "New.Rep@example.jp",
                                                                       "role": "partner_rep"})
    assert response.status_code == 302 and response["Location"] == f"/partners/{people_a.partner.pk}/"
    with tenant_context(people_a.tenant):
        invitation = Invitation.objects.get(email="new.rep@example.jp")
    assert (invitation.partner_id, invitation.role, invitation.status) == (people_a.partner.pk, "partner_rep", "pending")


def test_it_refuses_an_invitation_it_cannot_send_with_the_reason(people_a):
    client = people_a.console(people_a.channel_manager)
    response = client.post(f"/partners/{people_a.partner.pk}/invite/", {"email": people_a.partner_rep.email,
                                                                       "role": "partner_rep"}, follow=True)
    assert response.status_code == 200
    assert any(message.level_tag == "error" for message in response.context["messages"])
    assert client.get(f"/partners/{people_a.partner.pk}/invite/").status_code == 405
    with tenant_context(people_a.tenant):
        assert not Invitation.objects.filter(email=people_a.partner_rep.email).exists()


def test_the_page_and_the_invitation_are_for_the_vendors_staff_only(people_a, people_b):
    path = f"/partners/{people_a.partner.pk}/"
    data = {"email": "outsider@example.jp", "role": "partner_admin"}
    assert people_a.portal(people_a.partner_admin).get(path).status_code == 404
    assert people_a.console(people_a.partner_admin).get(path).status_code in (302, 403)
    assert people_a.console(people_a.partner_admin).post(path + "invite/", data).status_code in (302, 403)
    assert people_a.portal(people_a.partner_admin).post(path + "invite/", data).status_code == 404
    with tenant_context(people_a.tenant):
        assert not Invitation.objects.filter(email="outsider@example.jp").exists()


def test_another_tenants_staff_see_neither_the_page_nor_can_invite(people_a, people_b):
    path = f"/partners/{people_a.partner.pk}/"
    with tenant_context(people_b.tenant):
        assert not DealRegistration.objects.filter(partner_id=people_a.partner.pk).exists()
    other_staff = people_b.console(people_b.channel_manager)
    if people_a.partner.pk != people_b.partner.pk and people_a.partner.pk != people_b.other_partner.pk:
        assert other_staff.get(path).status_code == 404
    response = other_staff.post(f"/partners/{people_a.partner.pk + 100000}/invite/",
                                {"email": "cross@example.jp", "role": "partner_rep"})
    assert response.status_code == 404
    with tenant_context(people_a.tenant):
        assert not Invitation.objects.filter(email="cross@example.jp").exists()


def test_the_full_timeline_pages_through_every_source_newest_first(people_a, tiers):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="歴史の長い会社")
        _fill(partner, people_a.partner_rep, n=20, tiers=tiers)  # 60 deal events, 20 of each other source
    client = people_a.console(people_a.channel_manager)
    pages = [client.get(f"/partners/{partner.pk}/timeline/?page={number}") for number in (1, 2, 3)]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert [len(page.context["entries"]) for page in pages] == [50, 50, 20]
    assert [page.context["older"] for page in pages] == [True, True, False]
    entries = [entry for page in pages for entry in page.context["entries"]]
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    assert {entry.source for entry in entries} == {"deals", "enablement", "programs", "incentives"}
    # A page that is not a whole number in 0-9 digits, or past the deepest page, is refused naming the field.
    for bad in ("x", "²", "41"):
        refused = client.get(f"/partners/{partner.pk}/timeline/?page={bad}")
        assert refused.status_code == 400 and "page" in refused.content.decode(), bad


def test_the_sections_send_their_statements_together_and_show_what_each_shows_alone(people_a, filled):
    """The page's own records, its timeline, the header's facts and the panels answer with their reads
    (prm.reads.Later): all of them go to PostgreSQL in one round trip, and each section is what it is alone."""
    from partners import signals
    from partners.models import Partner
    from partners.selectors.timeline import timeline_entries, timeline_later
    from prm.reads import Later, gather, resolve
    from tests.platform.test_reads_together import Statements

    client = people_a.console(people_a.channel_manager)
    client.get(f"/partners/{filled.pk}/")  # fills the caches (the bell's count)
    statements = Statements()
    with connection.execute_wrapper(statements):
        assert client.get(f"/partners/{filled.pk}/").status_code == 200
    together = [sql for sql, pipelined in statements.seen if pipelined]
    assert statements.runs_in_pipelines() == 1 and len(together) >= 24
    for table in ("partners_checklistitem", "partners_partnerevent", "deals_dealevent", "programs_tierchange",
                  "enablement_certificationaward", "incentives_payout", "partners_healthscore", "programs_partnertier",
                  "deals_dealregistration", "enablement_contentaccess", "incentives_ledgerline", "incentives_mdfrequest",
                  "incentives_mdfallocation"):
        assert any(table in sql for sql in together), table
    with tenant_context(people_a.tenant), translation.override("ja"):
        def answers(signal):
            return [answer for _receiver, answer in signal.send(sender=Partner, request=None, partner=filled, page={})]

        header, panels = answers(signals.partner_detail_header), answers(signals.partner_detail_panels)
        assert all(isinstance(answer, Later) for answer in header + panels)
        made = resolve([gather(header, list), gather(panels, list), timeline_later(filled, limit=15)])
        alone = [[answer.run() for answer in answers(signals.partner_detail_header)],
                 [answer.run() for answer in answers(signals.partner_detail_panels)],
                 timeline_entries(filled, limit=15)]
    assert made == alone
    assert len(made[0]) == 2 and len(made[1]) == 4 and {entry.source for entry in made[2]} >= {
        "deals", "enablement", "programs", "incentives"}
