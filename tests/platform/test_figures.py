"""The catalogue of figures (prm.figures), the {% figure %} tag, the help pages and the owners' definitions."""

from __future__ import annotations

from datetime import date, timedelta

from django.template import Context, Template
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals import selectors as deals
from deals.models import DealRegistration
from enablement import selectors as enablement
from enablement.models import CertificationAward
from prm import figures
from tests.enablement.factories import CertificationFactory
from tests.factories import UserFactory
from tests.partners.factories import PartnerFactory


def test_it_names_windows_the_same_way_everywhere():
    today = date(2026, 12, 5)
    assert figures.trailing_12_months(today).key == "t12m"
    assert figures.fiscal_year_to_date(today, 4) == figures.Window(figures.FISCAL_YEAR, date(2026, 4, 1), today, 2026)
    assert figures.fiscal_year_to_date(date(2026, 2, 1), 4).key == "fy2025"
    assert figures.period(date(2026, 1, 1), date(2026, 12, 31), 4).key == "cy2026"
    assert figures.period(date(2026, 4, 1), date(2027, 3, 31), 4, today=today).key == "fy2026"
    assert figures.period(date(2026, 7, 1), date(2026, 9, 30), 4).key == "2026-07-01..2026-09-30"
    with translation.override("ja"):
        assert figures.trailing_12_months(today).label == "直近12か月"
    with translation.override("en"):
        assert figures.fiscal_year(2026, 4).label == "FY2026"  # 「2026年度」 in Japanese (i18n/figures.po)
        assert figures.period(date(2026, 1, 1), date(2026, 12, 31), 4).label == "2026 (calendar year)"


def test_the_tag_shows_the_number_with_its_definition_and_machine_readable_attributes():
    window = figures.fiscal_year(2026, 4)
    html = Template('{% load kyoso_figures %}{% figure "won_revenue" value window 12 %}').render(
        Context({"value": 13_800_000, "window": window}))
    assert 'data-figure="won_revenue" data-window="fy2026" data-partner="12" data-value="13800000"' in html
    assert "¥13,800,000" in html
    with translation.override("en"):
        html = Template('{% load kyoso_figures %}{% figure "won_revenue" 5 window %}').render(Context({"window": window}))
    assert 'title="Won revenue: Sum of the confirmed won amounts' in html and "Window: FY2026." in html
    assert "<script" not in html and "style=" not in html


def test_the_help_pages_list_the_figures_and_the_portal_leaves_out_the_vendors_own(people_a):
    with translation.override("en"):
        console = people_a.console(people_a.channel_manager).get("/help/figures/")
        portal = people_a.portal(people_a.partner_rep).get("/help/figures/")
    assert console.status_code == portal.status_code == 200
    for figure in figures.FIGURES:
        assert f'id="figure-{figure.key}"' in console.content.decode()
        assert (f'id="figure-{figure.key}"' in portal.content.decode()) is not figure.console_only
    assert any(figure.console_only for figure in figures.FIGURES)
    assert people_a.portal().get("/help/figures/").status_code == 302  # signed out


def test_won_revenue_counts_confirmed_wins_by_their_win_date_only(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        today = timezone.localdate()

        def deal(stage, amount, days_ago):
            day = today - timedelta(days=days_ago)
            DealRegistration.objects.create(partner=partner, customer_name="x", name_key=f"x{amount}", amount=amount,
                                            expected_close=day, stage=stage, won_amount=amount, won_on=day)

        deal("won", 1_000_000, 10)
        deal("won", 2_000_000, 400)  # before the window
        deal("won_pending", 4_000_000, 5)  # not confirmed
        deal("cancelled", 8_000_000, 20)  # cancelled by the customer
        start = today - timedelta(days=365)
        assert deals.won_revenue([partner.pk], start, today) == {partner.pk: 1_000_000}
        assert deals.won_deal_count(None, start, today)[partner.pk] == 1


def test_a_certified_rep_is_an_active_member_with_a_valid_award_counted_once(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        now = timezone.now()
        first, second = CertificationFactory(), CertificationFactory()

        def award(user, certification, *, issued_days_ago=30, expires_in_days=300):
            CertificationAward.objects.create(certification=certification, user=user, partner=partner,
                                              holder_name=user.full_name,
                                              issued_at=now - timedelta(days=issued_days_ago),
                                              expires_at=now + timedelta(days=expires_in_days))

        twice = UserFactory(role="partner_rep", partner=partner)
        award(twice, first)
        award(twice, second)
        expired = UserFactory(role="partner_rep", partner=partner)
        award(expired, first, issued_days_ago=400, expires_in_days=-35)
        inactive = UserFactory(role="partner_rep", partner=partner, is_active=False)
        award(inactive, first)
        moved = UserFactory(role="partner_rep", partner=PartnerFactory())
        award(moved, first)  # certified for this partner, now a member of another
        assert enablement.reps_with_valid_certification([partner.pk], now) == {partner.pk: 1}
        assert enablement.reps_certified_between([partner.pk], (now - timedelta(days=60)).date(),
                                                 now.date()) == {partner.pk: 1}
        assert enablement.certifications_earned_between([partner.pk], (now - timedelta(days=60)).date(),
                                                        now.date()) == {partner.pk: 2}
