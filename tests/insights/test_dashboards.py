"""Insights dashboards (funnel, KPIs, revenue, MDF, health), their CSV exports and charts, and the health card."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals.models import DealEvent, DealRegistration
from insights import charts
from insights.dashboards import Filters, presentation, selectors
from insights.health.models import HealthScore, HealthSettings, HealthSnapshot
from insights.health.scoring import COMPONENTS
from insights.health.services import COMPONENT_LABELS, recalculate
from partners.models import Agreement, AgreementKind, Contact, ContactSignal, SignalKind, Stage
from prm.accounts.models import Role
from programs.models import PartnerTier, Program, Tier
from tests.factories import UserFactory
from tests.partners.factories import ContactFactory, PartnerFactory

URL = "/insights/"
FY2025 = "start=2025-04&end=2026-03"  # a closed period: the numbers below do not depend on today
FILTERS = Filters(date(2025, 4, 1), date(2026, 3, 31))
_numbers = itertools.count(1)


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _deal(partner, *, stage: str = "registered", on: date = date(2025, 6, 10), amount: int = 1_000_000,
          won_on: date | None = None) -> DealRegistration:
    n = next(_numbers)
    won = stage == "won"
    return DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{n}", name_key=f"customer-{n}", amount=amount, expected_close=on,
        stage=stage, registered_at=_at(on), won_amount=amount if won else None,
        won_on=(won_on or on) if won else None)


def _overview(client, query: str = FY2025):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content[:500]
    return response, response.context["page"].overview


def _csv(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --------------------------------------------------------------------------- access

def test_it_is_for_console_staff_only(people_a):
    assert people_a.console(people_a.channel_manager).get(URL).status_code == 200
    assert people_a.console(people_a.vendor_admin).get(URL).status_code == 200
    anonymous = people_a.console().get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert people_a.console(people_a.partner_admin).get(URL).status_code == 403
    assert people_a.console(people_a.partner_rep).get(f"{URL}?format=csv&table=kpis").status_code == 403


def test_it_only_answers_get(people_a):
    client = people_a.console(people_a.channel_manager)
    assert client.post(URL).status_code == 405
    assert client.put(URL).status_code == 405


def test_it_never_shows_another_vendors_partners(people_a, people_b):
    with tenant_context(people_b.tenant):
        secret = PartnerFactory(name="ブラボーだけの商事", stage=Stage.RETENTION)
        _deal(secret, stage="won", amount=9_000_000)
        HealthScore.objects.create(partner=secret, score=12, band="dormant")
        HealthSnapshot.objects.create(partner=secret, day=date(2025, 5, 1), score=90, band="healthy")
        HealthSnapshot.objects.create(partner=secret, day=date(2026, 3, 1), score=12, band="dormant")
    with tenant_context(people_a.tenant):
        mine = PartnerFactory(name="アルファの販売店")
        _deal(mine, stage="won", amount=1_000_000)
    client_b = people_b.console(people_b.channel_manager)
    _overview(client_b)  # tenant B's figures are cached first: tenant A must not be served them
    response, overview = _overview(people_a.console(people_a.channel_manager))
    body = response.content.decode()
    assert "ブラボーだけの商事" not in body
    assert overview.kpis.revenue == 1_000_000
    assert [row.name for row in overview.top_partners] == ["アルファの販売店"]
    assert overview.health.scored == 0 and overview.health.movers == []
    for table in presentation.TABLES:
        export = people_a.console(people_a.channel_manager).get(f"{URL}?{FY2025}&format=csv&table={table}")
        assert "ブラボーだけの商事" not in export.content.decode("utf-8-sig")
    _, overview_b = _overview(client_b)
    assert overview_b.kpis.revenue == 9_000_000 and [m.name for m in overview_b.health.movers] == ["ブラボーだけの商事"]


# --------------------------------------------------------------------------- numbers

def test_the_funnel_counts_partners_per_stage_and_how_long_stays_lasted(people_a):
    with tenant_context(people_a.tenant):
        for stage, count in ((Stage.PROSPECT, 3), (Stage.RECRUITING, 2), (Stage.ONBOARDING, 1), (Stage.DORMANT, 4)):
            PartnerFactory.create_batch(count, stage=stage)
        moved = PartnerFactory(stage=Stage.ONBOARDING)
        moved.events.create(kind="created", occurred_at=_at(date(2025, 5, 1)), data={"stage": "prospect"})
        moved.events.create(kind="stage_changed", occurred_at=_at(date(2025, 5, 11)),
                            data={"previous": "prospect", "stage": "recruiting"})
        moved.events.create(kind="stage_changed", occurred_at=_at(date(2025, 7, 10)),
                            data={"previous": "recruiting", "stage": "onboarding"})
        moved.events.create(kind="stage_changed", occurred_at=_at(date(2024, 1, 1)),  # before the period
                            data={"previous": "applied", "stage": "prospect"})
    _, overview = _overview(people_a.console(people_a.channel_manager))
    counts = {row.stage: row.partners for row in overview.stages}
    assert counts == {"prospect": 3, "applied": 0, "recruiting": 2, "onboarding": 2, "activation": 2,  # the personas'
                      "retention": 0, "dormant": 4, "terminated": 0}
    rows = {row.stage: row for row in overview.stages}
    assert (rows["prospect"].stays, rows["prospect"].days_spent) == (1, 10.0)
    assert (rows["recruiting"].stays, rows["recruiting"].days_spent) == (1, 60.0)
    assert rows["applied"].stays == 0 and rows["applied"].days_spent is None
    assert [row.stage for row in overview.stages][:6] == ["prospect", "applied", "recruiting", "onboarding",
                                                         "activation", "retention"]


def test_it_counts_deals_win_rate_active_partners_and_time_to_first_deal(people_a):
    with tenant_context(people_a.tenant):
        seller, newcomer, veteran = PartnerFactory.create_batch(3, stage=Stage.RETENTION)
        for stage in ("won", "won", "won", "lost", "approved"):
            _deal(seller, stage=stage)
        _deal(seller, stage="rejected")  # not a registration that counts
        _deal(seller, stage="won", on=date(2024, 12, 1))  # before the period
        Agreement.objects.create(partner=newcomer, kind=AgreementKind.CONTRACT, agreed_on=date(2025, 9, 1))
        newcomer.__class__.objects.filter(pk=newcomer.pk).update(created_at=_at(date(2025, 10, 1)))
        _deal(newcomer, on=date(2025, 9, 11))  # first deal 10 days after the first agreement
        _deal(newcomer, on=date(2025, 12, 1))
        _deal(veteran, on=date(2024, 5, 1))  # its first deal was before the period …
        _deal(veteran, on=date(2025, 8, 1))  # … so this one is not a first deal
        prospect = PartnerFactory(stage=Stage.PROSPECT)
        _deal(prospect, on=date(2025, 8, 1))  # registered, but not a signed partner
    _, overview = _overview(people_a.console(people_a.channel_manager))
    kpis = overview.kpis
    assert (kpis.registered, kpis.won, kpis.lost) == (5 + 2 + 1 + 1, 3, 1)
    assert kpis.win_rate == 75.0
    assert kpis.signed == 3 + 2  # + the personas' partners
    assert kpis.active_partners == 3
    assert kpis.active_rate == 60.0
    assert (kpis.first_deals, kpis.days_to_first_deal) == (2, (10 + 0) / 2)  # the prospect's first deal: day 0
    registered, won = overview.deals_by_month
    assert registered.values[2] == 5  # June 2025: the seller's five
    assert registered.values[4] == 2  # August: the veteran's and the prospect's
    assert sum(registered.values) == kpis.registered and sum(won.values) == 3


def test_revenue_by_type_tier_and_partner_follows_the_day_deals_were_won(people_a):
    with tenant_context(people_a.tenant):
        program = Program.objects.create(name="標準", partner_types=["resale", "referral"])
        gold = Tier.objects.create(program=program, code="gold", name="ゴールド", rank=2)
        reseller = PartnerFactory(name="再販の会社", partner_type="resale")
        referrer = PartnerFactory(name="紹介の会社", partner_type="referral")
        PartnerTier.objects.create(partner=reseller, tier=gold)
        _deal(reseller, stage="won", on=date(2025, 3, 20), won_on=date(2025, 4, 2), amount=2_000_000)
        _deal(reseller, stage="won", on=date(2025, 5, 1), won_on=date(2025, 5, 31), amount=3_000_000)
        _deal(referrer, stage="won", on=date(2025, 5, 1), won_on=date(2026, 3, 31), amount=500_000)
        _deal(referrer, stage="won", on=date(2026, 3, 1), won_on=date(2026, 4, 1), amount=7_000_000)  # after
        _deal(referrer, stage="lost", on=date(2025, 6, 1), amount=9_000_000)
    _, overview = _overview(people_a.console(people_a.channel_manager))
    by_type = {series.key: series.values for series in overview.revenue_by_type}
    assert by_type == {"resale": [2_000_000, 3_000_000] + [0] * 10, "referral": [0] * 11 + [500_000]}
    by_tier = {series.key: (series.name, sum(series.values)) for series in overview.revenue_by_tier}
    # The vendor's default programme exists too, so the tier is named with its programme.
    assert by_tier == {str(gold.pk): ("標準 · ゴールド", 5_000_000), "": ("", 500_000)}
    assert [series.key for series in overview.revenue_by_tier] == [str(gold.pk), ""]  # "no tier" last
    assert [(p.name, p.won, p.revenue, p.tier) for p in overview.top_partners] == [
        ("再販の会社", 2, 5_000_000, "ゴールド"), ("紹介の会社", 1, 500_000, "")]
    assert overview.kpis.revenue == 5_500_000


def test_a_win_on_the_periods_last_day_adds_to_the_last_month_and_is_never_lost(people_a):
    """The last day of the period is the month boundaries' upper end: its wins fall in the last month together
    with that month's other wins (a partner with both once kept only one of the two sums)."""
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="月末の会社", partner_type="resale")
        _deal(partner, stage="won", on=date(2026, 3, 2), won_on=date(2026, 3, 5), amount=1_000_000)
        _deal(partner, stage="won", on=date(2026, 3, 2), won_on=date(2026, 3, 31), amount=4_000_000)
        _deal(partner, stage="won", on=date(2026, 3, 2), won_on=date(2026, 3, 31), amount=2_000_000)
    _, overview = _overview(people_a.console(people_a.channel_manager))
    by_type = {series.key: series.values for series in overview.revenue_by_type}
    assert by_type == {"resale": [0] * 11 + [7_000_000]}
    assert [(p.name, p.won, p.revenue) for p in overview.top_partners] == [("月末の会社", 3, 7_000_000)]
    assert overview.kpis.revenue == 7_000_000


def test_biggest_movers_compare_the_first_and_last_snapshot_of_the_period(people_a):
    with tenant_context(people_a.tenant):
        faller, riser, steady, late = PartnerFactory.create_batch(4, stage=Stage.ACTIVATION)
        for partner, scores in ((faller, (82, 70, 41)), (riser, (35, 50, 58)), (steady, (60, 40, 60)),
                                (late, (10, 10, 95))):
            for day, score in zip((date(2025, 4, 1), date(2025, 9, 1), date(2026, 3, 31)), scores, strict=True):
                HealthSnapshot.objects.create(partner=partner, day=day, score=score,
                                              band="healthy" if score >= 70 else "at_risk" if score >= 40 else "dormant")
        HealthSnapshot.objects.create(partner=late, day=date(2026, 4, 2), score=5, band="dormant")  # after the period
        HealthSnapshot.objects.create(partner=riser, day=date(2025, 3, 31), score=99, band="healthy")  # before it
    _, overview = _overview(people_a.console(people_a.channel_manager))
    assert [(m.name, m.before, m.after, m.change, m.band) for m in overview.health.movers] == [
        (late.name, 10, 95, 85, "healthy"), (faller.name, 82, 41, -41, "at_risk"), (riser.name, 35, 58, 23, "at_risk")]
    assert overview.health.movers[1].before_day == date(2025, 4, 1)


def test_health_distribution_counts_the_signed_partners_scores(people_a):
    with tenant_context(people_a.tenant):
        for score, band in ((95, "healthy"), (100, "healthy"), (71, "healthy"), (45, "at_risk"), (3, "dormant")):
            HealthScore.objects.create(partner=PartnerFactory(stage=Stage.RETENTION), score=score, band=band)
        HealthScore.objects.create(partner=PartnerFactory(stage=Stage.TERMINATED), score=50, band="at_risk")
    _, overview = _overview(people_a.console(people_a.channel_manager))
    health = overview.health
    assert health.bands == {"healthy": 3, "at_risk": 1, "dormant": 1}
    assert health.buckets == [1, 0, 0, 0, 1, 0, 0, 1, 0, 2]
    assert health.average == round((95 + 100 + 71 + 45 + 3) / 5, 1)


def test_mdf_roi_uses_the_attribution_of_incentives_mdf(people_a):
    from incentives import mdf
    from incentives.models import MdfClaim, MdfRequest

    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="MDFの会社")
        request = MdfRequest.objects.create(partner=partner, activity="共催セミナー", starts_on=date(2025, 6, 1),
                                            ends_on=date(2025, 6, 2), budget=500_000, status="claimed",
                                            approved_amount=500_000)
        MdfClaim.objects.create(request=request, amount=400_000, proof="mdf/proof.pdf", leads=7)
        _deal(partner, stage="won", on=date(2025, 6, 20), amount=3_000_000)  # within 90 days after: counts
        _deal(partner, stage="won", on=date(2025, 12, 1), amount=8_000_000)  # too late
        _deal(partner, stage="won", on=date(2025, 5, 1), amount=1_000_000)  # before the activity
        expected = mdf.roi([MdfRequest.objects.select_related("claim").get(pk=request.pk)])[0]
    _, overview = _overview(people_a.console(people_a.channel_manager))
    assert (overview.mdf.activities, overview.mdf.spent, overview.mdf.leads) == (1, 400_000, 7)
    assert overview.mdf.won_revenue == expected.won_revenue == 3_000_000
    assert overview.mdf.ratio == expected.ratio == 7.5


# --------------------------------------------------------------------------- filters

def test_owner_type_and_tier_filters_narrow_every_number(people_a):
    with tenant_context(people_a.tenant):
        program = Program.objects.create(name="標準", partner_types=["resale"])
        silver = Tier.objects.create(program=program, code="silver", name="シルバー", rank=1)
        other_manager = UserFactory(role=Role.CHANNEL_MANAGER)
        mine = PartnerFactory(name="担当の会社", partner_type="resale", owner=people_a.channel_manager)
        theirs = PartnerFactory(name="他担当の会社", partner_type="referral", owner=other_manager)
        PartnerTier.objects.create(partner=theirs, tier=silver)
        _deal(mine, stage="won", amount=1_000_000)
        _deal(theirs, stage="won", amount=4_000_000)
        _deal(theirs, stage="lost")
        ContactFactory(partner=mine)
        Contact.objects.filter(partner=mine).update(stage="active")
    client = people_a.console(people_a.channel_manager)

    def names(query):
        _, overview = _overview(client, f"{FY2025}&{query}")
        return [p.name for p in overview.top_partners], overview

    everyone, overview = names("")
    assert everyone == ["他担当の会社", "担当の会社"] and overview.kpis.win_rate == 66.7
    owned, overview = names(f"owner={people_a.channel_manager.pk}")
    assert owned == ["担当の会社"]
    assert (overview.kpis.revenue, overview.kpis.win_rate, overview.kpis.active_contacts) == (1_000_000, 100.0, 1)
    typed, overview = names("partner_type=referral")
    assert typed == ["他担当の会社"] and overview.kpis.win_rate == 50.0 and overview.kpis.active_contacts == 0
    tiered, overview = names(f"tier={silver.pk}")
    assert tiered == ["他担当の会社"] and overview.kpis.signed == 1
    assert {row.stage: row.partners for row in overview.stages}["activation"] == 1


def test_period_presets_resolve_to_whole_months():
    today = date(2026, 11, 21)
    year = Filters.preset("12m", today=today)
    assert (year.start, year.end, len(year.months)) == (date(2025, 12, 1), date(2026, 11, 30), 12)
    fiscal = Filters.preset("fy", today=today)
    assert (fiscal.start, fiscal.end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert (Filters.preset("fy", today=date(2026, 2, 1)).start) == date(2025, 4, 1)
    quarter = Filters.preset("quarter", today=today)
    assert (quarter.start, quarter.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert len(quarter.months) == 3


@pytest.mark.parametrize(("query", "field", "message"), [
    ("start=2026-03&end=2025-04", "end", "The period cannot end before it starts."),
    ("start=2026-13&end=2027-01", "start", "Enter a month as YYYY-MM, e.g. 2026-04."),
    ("start=abc&end=2026-01", "start", "Enter a month as YYYY-MM, e.g. 2026-04."),
    ("start=2020-01&end=2025-01", "end", "Choose a period of at most five years (60 months)."),
    ("start=2025-01", "end", "Choose a month."),
    ("period=decade", "period", None),
])
def test_an_invalid_period_is_a_form_error_and_nothing_is_computed(people_a, monkeypatch, query, field, message):
    calls = []
    monkeypatch.setattr(selectors, "overview", lambda filters: calls.append(filters))
    client = people_a.console(people_a.channel_manager)
    client.cookies["kyoso_language"] = "en"
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if message:
        assert message in response.content.decode()
    assert response.context["page"] is None and calls == []
    export = client.get(f"{URL}?{query}&format=csv&table=kpis")
    assert export.status_code == 400 and calls == []


def test_sixty_months_are_allowed(people_a):
    _, overview = _overview(people_a.console(people_a.channel_manager), "start=2021-04&end=2026-03")
    assert len(overview.filters.months) == 60


# --------------------------------------------------------------------------- CSV

def test_every_table_downloads_as_csv_with_headers_in_the_ui_language(people_a):
    with tenant_context(people_a.tenant):
        reseller = PartnerFactory(name="再販の会社", partner_type="resale")
        referrer = PartnerFactory(name="紹介の会社", partner_type="referral")
        _deal(reseller, stage="won", on=date(2025, 4, 10), amount=2_000_000)
        _deal(referrer, stage="won", on=date(2025, 5, 10), amount=500_000)
    client = people_a.console(people_a.channel_manager)
    response = client.get(f"{URL}?{FY2025}&format=csv&table=revenue_by_type")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="insights-revenue_by_type-202504-202603.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["対象月", "再販", "紹介", "合計"]
    assert rows[1] == ["2025年4月", "2000000", "0", "2000000"]
    assert rows[2] == ["2025年5月", "0", "500000", "500000"]
    assert len(rows) == 1 + 12
    for name in ("kpis", "stages", "deals_by_month", "revenue_by_partner", "revenue_by_tier", "mdf_roi",
                 "health_bands", "health_histogram", "movers", "customer_retention"):
        export = client.get(f"{URL}?{FY2025}&format=csv&table={name}")
        assert export.status_code == 200, name
        assert len(_csv(export)[0]) >= 2, name
    client.cookies["kyoso_language"] = "en"
    english = _csv(client.get(f"{URL}?{FY2025}&format=csv&table=revenue_by_partner"))
    assert english[0] == ["Position", "Partner", "Type", "Tier", "Won deals", "Won revenue", "Customer retention"]
    assert english[1] == ["1", "再販の会社", "Resale", "—", "1", "2000000", ""]
    assert client.get(f"{URL}?format=csv&table=nonsense").status_code == 404


def test_the_ranked_csv_lists_every_partner_not_only_the_top_ten(people_a):
    with tenant_context(people_a.tenant):
        for n in range(12):
            _deal(PartnerFactory(name=f"販売店{n:02d}"), stage="won", amount=1_000_000 + n)
    client = people_a.console(people_a.channel_manager)
    _, overview = _overview(client)
    assert len(overview.top_partners) == 10 and overview.top_partners[0].name == "販売店11"
    rows = _csv(client.get(f"{URL}?{FY2025}&format=csv&table=revenue_by_partner"))
    assert [row[1] for row in rows[1:]] == [f"販売店{n:02d}" for n in range(11, -1, -1)]


# --------------------------------------------------------------------------- cache and queries

def test_the_cache_is_never_stale_after_a_recalculation(people_a, monkeypatch):
    computed = []
    real = selectors.overview
    monkeypatch.setattr(selectors, "overview", lambda filters: computed.append(filters) or real(filters))
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.ACTIVATION)
        user = UserFactory(role=Role.PARTNER_REP, partner=partner)
        contact = Contact.objects.create(partner=partner, full_name="ログイン担当", user=user)
        recalculate()
        before = HealthScore.objects.get(partner=partner).score
    client = people_a.console(people_a.channel_manager)
    _, first = _overview(client)
    _, again = _overview(client)
    assert len(computed) == 1 and again.health.average == first.health.average  # served from the cache
    with tenant_context(people_a.tenant):
        # Sign-ins are not in the cheap data version: only the new health run can invalidate the cache.
        ContactSignal.objects.create(partner=partner, contact=contact, kind=SignalKind.PORTAL_LOGIN)
        recalculate()
        after = HealthScore.objects.get(partner=partner).score
    assert after > before
    _, fresh = _overview(client)
    assert len(computed) == 2
    assert fresh.health.average != first.health.average
    with tenant_context(people_a.tenant):
        expected = HealthScore.objects.filter(partner__stage__in=selectors.SIGNED).values_list("score", flat=True)
        assert fresh.health.average == round(sum(expected) / len(expected), 1)


def test_a_new_deal_shows_at_once_without_a_recalculation(people_a):
    client = people_a.console(people_a.channel_manager)
    _, first = _overview(client)
    with tenant_context(people_a.tenant):
        _deal(people_a.partner, stage="won", amount=2_500_000)
    _, second = _overview(client)
    assert (first.kpis.revenue, second.kpis.revenue) == (0, 2_500_000)
    with tenant_context(people_a.tenant):
        deal = DealRegistration.objects.get(partner=people_a.partner)
        DealRegistration.objects.filter(pk=deal.pk).update(stage="approved", won_amount=None, won_on=None)
        DealEvent.objects.create(deal=deal, partner_id=deal.partner_id, kind="stage",
                                 data={"previous": "won", "stage": "approved"})
    _, third = _overview(client)
    assert third.kpis.revenue == 0


def test_the_data_version_moves_with_every_table_the_dashboard_reads(people_a):
    """One statement over every owner's change marker: a contact, an agreement, a partner edit, a tier or a deal
    each make the cached dashboard stale."""
    from insights.dashboards import cached

    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.ACTIVATION)
        program = Program.objects.create(name="標準", partner_types=["resale"])
        gold = Tier.objects.create(program=program, code="gold", name="ゴールド", rank=2)
        changes = [
            lambda: ContactFactory(partner=partner),
            lambda: Agreement.objects.create(partner=partner, kind=AgreementKind.CONTRACT, agreed_on=date(2025, 9, 1)),
            lambda: PartnerFactory(stage=Stage.PROSPECT),
            lambda: PartnerTier.objects.create(partner=partner, tier=gold),
            lambda: _deal(partner),
        ]
        versions = [cached.data_version()]
        for change in changes:
            change()
            versions.append(cached.data_version())
        assert cached.data_version() == versions[-1]  # nothing changed: the same version
    assert len(set(versions)) == len(changes) + 1


def test_cached_figures_are_kept_apart_per_vendor_even_with_the_same_data_version(people_a, people_b, monkeypatch):
    from insights.dashboards import cached

    monkeypatch.setattr(cached, "data_version", lambda: "same-everywhere")
    with tenant_context(people_a.tenant):
        _deal(people_a.partner, stage="won", amount=1_000_000)
        assert cached.overview(FILTERS).kpis.revenue == 1_000_000
    with tenant_context(people_b.tenant):
        _deal(people_b.partner, stage="won", amount=3_000_000)
        assert cached.overview(FILTERS).kpis.revenue == 3_000_000  # django-tenants prefixes the key with the schema
    with tenant_context(people_a.tenant):
        _deal(people_a.partner, stage="won", amount=5_000_000)
        assert cached.overview(FILTERS).kpis.revenue == 1_000_000  # the constant version keeps the cached figures
        assert cached.overview(FILTERS, use_cache=False).kpis.revenue == 6_000_000


def test_htmx_gets_only_the_dashboard_body_and_the_response_varies_on_it(people_a):
    client = people_a.console(people_a.channel_manager)
    partial = client.get(f"{URL}?{FY2025}", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body and 'id="chart-funnel"' in body
    assert "HX-Request" in partial["Vary"]
    invalid = client.get(f"{URL}?start=2026-03&end=2025-04", HTTP_HX_REQUEST="true")
    assert invalid.status_code == 200 and "<html" not in invalid.content.decode()
    assert "invalid-feedback" in invalid.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _grow(people, partners: int, day: date):
    with tenant_context(people.tenant):
        program = Program.objects.first() or Program.objects.create(name="標準", partner_types=["resale"])
        tier = Tier.objects.first() or Tier.objects.create(program=program, code="gold", name="ゴールド", rank=1)
        for partner in PartnerFactory.create_batch(partners, stage=Stage.RETENTION, owner=people.channel_manager):
            PartnerTier.objects.create(partner=partner, tier=tier)
            ContactFactory.create_batch(2, partner=partner)
            _deal(partner, stage="won", on=day)
            _deal(partner, stage="lost", on=day)
            HealthScore.objects.create(partner=partner, score=60, band="at_risk")
            HealthSnapshot.objects.create(partner=partner, day=date(2025, 5, 1), score=80, band="healthy")
            HealthSnapshot.objects.create(partner=partner, day=day, score=60, band="at_risk")


def test_the_page_costs_the_same_queries_for_few_or_many_partners(people_a):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        HealthSettings.current()  # made on first use: not a cost of the page
    _grow(people_a, 2, date(2025, 6, 1))
    few = _queries(client, f"{URL}?{FY2025}")
    _grow(people_a, 40, date(2025, 7, 1))
    many = _queries(client, f"{URL}?{FY2025}")
    assert many == few
    cached = _queries(client, f"{URL}?{FY2025}")
    assert cached < few


# --------------------------------------------------------------------------- charts

def test_the_page_draws_svg_charts_with_japanese_labels(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="株式会社さくら販売", partner_type="resale")
        _deal(partner, stage="won", amount=12_345_678)
        HealthScore.objects.create(partner=partner, score=72, band="healthy")
    response, _overview_data = _overview(people_a.console(people_a.channel_manager))
    body = response.content.decode()
    assert body.count("<svg") == 6
    assert 'role="img"' in body and '<title id="chart-funnel-title">' in body
    funnel = body[body.index('id="chart-funnel"'):]
    funnel = funnel[:funnel.index("</svg>")]
    assert "見込み" in funnel and "アクティベーション" in funnel
    partners_chart = body[body.index('id="chart-partners"'):]
    assert "株式会社さくら販売" in partners_chart[:partners_chart.index("</svg>")]
    by_type = body[body.index('id="chart-by-type"'):]
    assert "再販" in by_type[:by_type.index("</svg>")]
    assert " style=" not in body.split("<main", 1)[1]  # the CSP forbids inline styles


def test_charts_escape_labels_and_fit_japanese_text():
    with translation.override("ja"):
        svg = charts.bars("t", "売上", [charts.Bar("<script>alert(1)</script>株式会社", 10)])
        assert "<script>" not in svg and "&lt;script&gt;" in svg
        long = charts.fit("株式会社とても長い名前のパートナー企業グループホールディングス", 12, 120)
        assert long.endswith("…") and charts.text_width(long, 12) <= 120
        assert charts.compact_yen(123_000_000) == "¥1.2億" and charts.compact_yen(34_000_000) == "¥3,400万"
        assert charts.month_label(date(2026, 4, 1), with_year=True) == "2026年4月"
        empty = charts.stacked_bars("e", "空", [date(2026, 4, 1)], [charts.Series("再販", [0])])
        assert "<desc" in empty and "<rect" in empty
    with translation.override("en"):
        assert charts.compact_yen(34_000_000) == "¥34M"
    assert charts.nice_ceiling(9) == (10, 5) and charts.nice_ceiling(120) == (150, 50) and charts.nice_ceiling(0) == (4.0, 1.0)


# --------------------------------------------------------------------------- partner health card

def test_the_partner_page_says_when_a_partner_is_not_scored_yet(people_a):
    client = people_a.console(people_a.channel_manager)
    client.cookies["kyoso_language"] = "en"
    response = client.get(f"/partners/{people_a.partner.pk}/")
    assert response.status_code == 200
    assert response.context["health"] is None
    assert "Not scored yet" in response.content.decode()


def test_the_partner_page_explains_the_score_with_its_trend(people_a):
    with tenant_context(people_a.tenant):
        partner = people_a.partner
        type(partner).objects.filter(pk=partner.pk).update(created_at=timezone.now() - timedelta(days=400))
        ContactFactory(partner=partner)
        recalculate()
        HealthSnapshot.objects.create(partner=partner, day=timezone.localdate() - timedelta(days=30), score=90,
                                      band="healthy")
        HealthSnapshot.objects.create(partner=partner, day=timezone.localdate() - timedelta(days=120), score=10,
                                      band="dormant")  # older than the 90-day trend
        score = HealthScore.objects.get(partner=partner)
    client = people_a.console(people_a.channel_manager)
    client.cookies["kyoso_language"] = "en"
    response = client.get(f"/partners/{partner.pk}/")
    card = response.context["health"]
    body = response.content.decode()
    assert (card.score, card.band) == (score.score, score.band)
    assert [day for day, _score in card.trend] == [timezone.localdate() - timedelta(days=30), timezone.localdate()]
    with translation.override("en"):
        labels = [str(COMPONENT_LABELS[key]) for key in COMPONENTS]
    assert [row.label for row in card.components] == labels
    first_deal = next(row for row in card.components if row.key == "first_deal")
    assert first_deal.weight is None and first_deal.contribution is None  # not a new partner: does not apply
    deals = next(row for row in card.components if row.key == "deals")
    assert deals.weight == score.components["deals"]["weight"] and deals.value == "0 deals"
    assert abs(sum(row.contribution or 0 for row in card.components) - score.score) < 1
    assert 'id="health-trend"' in body and "<polyline" in body and "Does not apply to this partner" in body
    assert f">{score.score}</div>" in body
