"""Recognition: leaderboards and their ties, MVP of the month, rookie of the year, publishing, badges, pages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals.models import DealRegistration
from enablement.models import CertificationAward, SessionSeat
from insights.models import HealthScore, HealthSnapshot
from partners.models import Agreement, Partner
from prm.notifications.models import Notification
from programs.recognition import badges_for, leaderboard, leaderboard_for_partner, periods, rules, selectors, services
from programs.recognition_models import Award
from tests.enablement.factories import CertificationFactory, StudySessionFactory
from tests.factories import UserFactory
from tests.partners.factories import PartnerFactory

TODAY = timezone.localdate


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def _won(partner, amount, won_on, *, registered_on=None):
    return DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{amount}{won_on}", name_key=f"k{amount}{won_on}{partner.pk}",
        amount=amount, expected_close=won_on, stage="won", won_amount=amount, won_on=won_on,
        registered_at=_at(registered_on or won_on))


def _registered(partner, day, stage="registered"):
    return DealRegistration.objects.create(partner=partner, customer_name="新規顧客", name_key=f"n{day}{partner.pk}",
                                           amount=100_000, expected_close=day, stage=stage, registered_at=_at(day))


def _certify(partner, user, day, certification=None):
    return CertificationAward.objects.create(
        certification=certification or CertificationFactory(), user=user, partner=partner, holder_name=user.full_name,
        issued_at=_at(day), expires_at=_at(day + timedelta(days=365)))


def _rows(board):
    return [(row.rank, row.name, row.value) for row in board.rows]


# --------------------------------------------------------------------------- periods and pure rules


def test_periods_follow_the_fiscal_year():
    q4 = periods.period_containing(periods.QUARTER, date(2027, 2, 10), 4)
    assert (q4.key, q4.start, q4.end, q4.fiscal_year) == ("quarter:2026-4", date(2027, 1, 1), date(2027, 3, 31), 2026)
    assert q4.previous().key == "quarter:2026-3" and q4.following().key == "quarter:2027-1"
    assert periods.parse("year:2026", 4).start == date(2026, 4, 1) and periods.parse("year:2026", 4).end == date(2027, 3, 31)
    # A vendor whose year starts in October: its Q1 is October to December.
    assert periods.parse("quarter:2026-1", 10).start == date(2026, 10, 1)
    march = periods.parse("month:2026-03", 4)
    assert (march.end, march.fiscal_year, march.previous().key) == (date(2026, 3, 31), 2025, "month:2026-02")
    for bad in ("month:2026-13", "quarter:2026-5", "year:26", "week:2026-01", "", "month:2026-05; DROP"):
        with pytest.raises(ValueError):
            periods.parse(bad, 4)


def test_the_winner_has_the_most_revenue_then_more_won_deals_then_the_name():
    c = rules.Candidate
    assert rules.pick_winner([c(1, "乙社", "オツ", 5, 1), c(2, "甲社", "コウ", 9, 1)]).partner_id == 2
    assert rules.pick_winner([c(1, "乙社", "オツ", 9, 1), c(2, "甲社", "コウ", 9, 3)]).partner_id == 2
    # Same revenue and deals: by reading (アイウエオ順), whatever the ids.
    assert rules.pick_winner([c(7, "甲社", "コウ", 9, 3), c(8, "乙社", "オツ", 9, 3)]).partner_id == 8
    assert rules.pick_winner([c(1, "甲社", "", 0, 0)]) is None and rules.pick_winner([]) is None


# --------------------------------------------------------------------------- leaderboards


def test_the_revenue_board_ranks_ties_together_and_lists_them_by_name(people_a):
    with tenant_context(people_a.tenant):
        month = periods.period_containing(periods.MONTH, TODAY()).previous()
        first = PartnerFactory(name="一番商事", name_kana="イチバン")
        tied_b = PartnerFactory(name="ベータ販売", name_kana="ベータ")
        tied_a = PartnerFactory(name="アルファ販売", name_kana="アルファ")
        fourth = PartnerFactory(name="四番物産", name_kana="ヨンバン")
        terminated = PartnerFactory(stage="terminated")
        _won(first, 3_000_000, month.start)
        _won(first, 2_000_000, month.end)
        _won(tied_b, 3_000_000, month.start + timedelta(days=3))
        _won(tied_a, 3_000_000, month.start + timedelta(days=4))
        _won(fourth, 1_000_000, month.end)
        _won(fourth, 9_000_000, month.end + timedelta(days=1))  # next month
        _won(terminated, 90_000_000, month.start)
        _registered(people_a.partner, month.start)  # registered but nothing won: not on the revenue board
        board = leaderboard(rules.REVENUE, month)
        assert _rows(board) == [(1, "一番商事", 5_000_000), (2, "アルファ販売", 3_000_000),
                                (2, "ベータ販売", 3_000_000), (4, "四番物産", 1_000_000)]
        assert board.ranked == 4
        # The cut keeps everyone tied at it; the viewer below the cut is returned beside it.
        top2 = leaderboard(rules.REVENUE, month, limit=2, viewer_partner_id=fourth.pk)
        assert [row.name for row in top2.rows] == ["一番商事", "アルファ販売", "ベータ販売"]
        assert top2.viewer.rank == 4 and top2.viewer_below
        unranked = leaderboard(rules.REVENUE, month, viewer_partner_id=people_a.partner.pk)
        assert unranked.viewer is None and not unranked.viewer_below


def test_deal_certification_and_health_boards_count_the_period_only(people_a):
    with tenant_context(people_a.tenant):
        quarter = periods.period_containing(periods.QUARTER, TODAY()).previous()
        busy, certified = people_a.partner, people_a.other_partner
        for offset in range(3):
            _registered(busy, quarter.start + timedelta(days=offset))
        _registered(busy, quarter.start, stage="rejected")
        _registered(busy, quarter.start - timedelta(days=1))
        _registered(certified, quarter.end)
        cert = CertificationFactory()
        _certify(certified, people_a.other_partner_admin, quarter.start, cert)
        _certify(certified, people_a.other_partner_admin, quarter.start + timedelta(days=5))  # the same rep again
        _certify(busy, people_a.partner_rep, quarter.start - timedelta(days=3))  # before the quarter
        assert _rows(leaderboard(rules.DEALS, quarter)) == [(1, busy.name, 3), (2, certified.name, 1)]
        assert _rows(leaderboard(rules.CERTIFIED, quarter)) == [(1, certified.name, 1)]
        HealthScore.objects.create(partner=busy, score=55, band="at_risk")
        HealthScore.objects.create(partner=certified, score=81, band="healthy")
        HealthSnapshot.objects.create(partner=busy, day=quarter.end - timedelta(days=1), score=90, band="healthy")
        HealthSnapshot.objects.create(partner=busy, day=quarter.end + timedelta(days=1), score=10, band="dormant")
        HealthSnapshot.objects.create(partner=certified, day=quarter.end, score=70, band="healthy")
        this_year = periods.period_containing(periods.YEAR, TODAY())
        assert _rows(leaderboard(rules.HEALTH, this_year)) == [(1, certified.name, 81), (2, busy.name, 55)]
        # A past period ranks by the last score computed within it.
        assert _rows(leaderboard(rules.HEALTH, quarter)) == [(1, busy.name, 90), (2, certified.name, 70)]


def test_it_ranks_a_board_in_one_statement_after_its_figure(people_a, django_assert_num_queries):
    """Revenue is read from deals, then ranked in one statement; the health score is ranked in that same one."""
    with tenant_context(people_a.tenant):
        month = periods.period_containing(periods.MONTH, TODAY())
        _won(people_a.partner, 2_000_000, month.start)
        HealthScore.objects.create(partner=people_a.other_partner, score=64, band="healthy")
        HealthSnapshot.objects.create(partner=people_a.other_partner, day=month.start - timedelta(days=1), score=48,
                                      band="at_risk")
        Partner.objects.exists()  # the schema switch happens on the first query
        with django_assert_num_queries(2):
            assert _rows(leaderboard(rules.REVENUE, month)) == [(1, people_a.partner.name, 2_000_000)]
        with django_assert_num_queries(1):
            assert _rows(leaderboard(rules.HEALTH, month)) == [(1, people_a.other_partner.name, 64)]
        with django_assert_num_queries(1):
            assert _rows(leaderboard(rules.HEALTH, month.previous())) == [(1, people_a.other_partner.name, 48)]


def test_the_partner_board_shows_only_its_own_figures(people_a):
    with tenant_context(people_a.tenant):
        month = periods.period_containing(periods.MONTH, TODAY())
        _won(people_a.other_partner, 7_654_321, month.start)
        _won(people_a.partner, 1_234_567, month.start)
        board = leaderboard_for_partner(rules.REVENUE, month, people_a.partner)
        assert [(row.rank, row.name, row.value) for row in board.rows] == [
            (1, people_a.other_partner.name, None), (2, people_a.partner.name, 1_234_567)]
        assert (board.viewer.rank, board.viewer.value, board.ranked) == (2, 1_234_567, 2)
    response = people_a.portal(people_a.partner_rep).get(f"/recognition/?period={month.key}&metric=revenue")
    page = response.content.decode()
    assert response.status_code == 200
    assert people_a.other_partner.name in page and "7,654,321" not in page
    assert "¥1,234,567" in page
    assert response.context["board"].viewer.rank == 2


def test_the_portal_never_offers_the_health_board(people_a):
    with tenant_context(people_a.tenant):
        HealthScore.objects.create(partner=people_a.other_partner, score=88, band="healthy")
    response = people_a.portal(people_a.partner_admin).get("/recognition/?metric=health")
    assert response.status_code == 400 and response.context["board"] is None
    assert "health" not in dict(response.context["form"].fields["metric"].choices)


# --------------------------------------------------------------------------- MVP and rookie


def test_mvp_is_last_months_top_revenue_with_ties_to_more_deals_then_the_name(people_a):
    with tenant_context(people_a.tenant):
        today = TODAY()
        last_month = selectors.mvp_period(today)
        assert last_month == periods.period_containing(periods.MONTH, today).previous()
        one_deal = PartnerFactory(name="一件商事", name_kana="イッケン")
        two_deals = PartnerFactory(name="二件商事", name_kana="ニケン")
        _won(one_deal, 4_000_000, last_month.start)
        _won(two_deals, 2_000_000, last_month.start)
        _won(two_deals, 2_000_000, last_month.end)
        _won(people_a.partner, 50_000_000, last_month.end + timedelta(days=1))  # this month: not last month's MVP
        assert selectors.mvp_of(last_month).name == "二件商事"
        same = PartnerFactory(name="あいう商事", name_kana="アイウ")
        _won(same, 2_000_000, last_month.start)
        _won(same, 2_000_000, last_month.start)
        assert selectors.mvp_of(last_month).name == "あいう商事"  # same revenue and deals: the name decides


def test_rookie_of_the_year_is_the_top_earner_among_partners_who_started_this_fiscal_year(people_a):
    with tenant_context(people_a.tenant):
        year = selectors.rookie_period(TODAY())
        veteran = PartnerFactory(name="古参商事")
        Agreement.objects.create(partner=veteran, kind="contract", agreed_on=year.start - timedelta(days=1))
        rookie = PartnerFactory(name="新人商事")
        Agreement.objects.create(partner=rookie, kind="contract", agreed_on=year.start)
        no_agreement = PartnerFactory(name="登録のみ商事")  # created today: its start is this year
        for partner, amount in ((veteran, 9_000_000), (rookie, 3_000_000), (no_agreement, 2_000_000)):
            _won(partner, amount, year.start + timedelta(days=1))
        assert selectors.rookie_of(year).name == "新人商事"
        _won(no_agreement, 1_000_000, year.start + timedelta(days=2))
        # Tied on revenue (¥3M each): two won deals beat one.
        assert selectors.rookie_of(year).name == "登録のみ商事"
        Partner.objects.filter(pk=no_agreement.pk).update(created_at=_at(year.start - timedelta(days=30)))
        assert selectors.rookie_of(year).name == "新人商事"


def test_an_award_is_published_once_notifies_the_winner_and_only_published_ones_reach_the_portal(people_a):
    with tenant_context(people_a.tenant):
        last_month = selectors.mvp_period(TODAY())
        _won(people_a.other_partner, 6_000_000, last_month.start)
        _won(people_a.partner, 1_000_000, last_month.start)
    portal = people_a.portal(people_a.partner_admin)
    assert portal.get("/recognition/").context["awards"] == []
    with tenant_context(people_a.tenant):
        award = services.award_publish(kind="mvp", actor=people_a.channel_manager)
        assert (award.partner, award.revenue, award.won_deals, award.published_by) == (
            people_a.other_partner, 6_000_000, 1, people_a.channel_manager)
        assert (award.period_start, award.period_end) == (last_month.start, last_month.end)
        assert Notification.objects.filter(user=people_a.other_partner_admin, kind="award_published").count() == 1
        assert not Notification.objects.filter(user=people_a.partner_admin, kind="award_published").exists()
        with pytest.raises(ValidationError):
            services.award_publish(kind="mvp", actor=people_a.vendor_admin)
        with pytest.raises(PermissionDenied):
            services.award_publish(kind="rookie", actor=people_a.partner_admin)
        assert Award.objects.count() == 1
    response = portal.get("/recognition/")
    [shown] = response.context["awards"]
    assert (shown.partner_name, shown.own, shown.revenue) == (people_a.other_partner.name, False, None)
    assert people_a.other_partner.name in response.content.decode() and "6,000,000" not in response.content.decode()
    own = people_a.portal(people_a.other_partner_admin).get("/recognition/")
    assert own.context["awards"][0].revenue == 6_000_000 and "¥6,000,000" in own.content.decode()
    with tenant_context(people_a.tenant):
        services.award_withdraw(award=award, actor=people_a.channel_manager)
        with pytest.raises(ValidationError):
            services.award_withdraw(award=award, actor=people_a.channel_manager)
    assert portal.get("/recognition/").context["awards"] == []
    with tenant_context(people_a.tenant):
        again = services.award_publish(kind="mvp", actor=people_a.channel_manager)  # after a withdrawal
        assert again.pk != award.pk and Award.objects.filter(withdrawn_at__isnull=True).count() == 1


def test_nobody_is_published_without_revenue(people_a):
    with tenant_context(people_a.tenant):
        with pytest.raises(ValidationError):
            services.award_publish(kind="rookie", actor=people_a.channel_manager)
        assert not Award.objects.exists()


# --------------------------------------------------------------------------- badges


def test_badges_are_earned_from_data_on_the_day_it_happened(people_a):
    with tenant_context(people_a.tenant):
        partner = people_a.partner
        start = periods.period_containing(periods.QUARTER, TODAY()).previous().previous().start
        _registered(partner, start)
        _won(partner, 4_000_000, start + timedelta(days=10), registered_on=start + timedelta(days=1))
        _won(partner, 6_000_000, start + timedelta(days=20))  # ¥10M reached within the quarter that day
        reps = [people_a.partner_admin, people_a.partner_rep, UserFactory(role="partner_rep", partner=partner)]
        for offset, rep in enumerate(reps):
            _certify(partner, rep, start + timedelta(days=30 + offset))
        _certify(partner, reps[0], start + timedelta(days=31))  # a second certification: still two reps
        sessions = [StudySessionFactory(starts_at=_at(start + timedelta(days=40 + 7 * n))) for n in range(5)]
        for session, status in zip(sessions, ["attended", "absent", "attended", "attended", "attended"], strict=True):
            SessionSeat.objects.create(session=session, user=people_a.partner_rep, status=status)
        earned = {badge.key: badge.earned_on for badge in badges_for(partner)}
        assert earned == {
            "first_deal": start, "first_win": start + timedelta(days=10), "certified_team": start + timedelta(days=32),
            "quarter_10m": start + timedelta(days=20), "perfect_attendance": start + timedelta(days=68),
        }
        assert badges_for(people_a.other_partner) == []
        everything = badges_for(people_a.other_partner, include_locked=True)
        assert [badge.key for badge in everything] == list(rules.BADGE_KEYS)
        assert not any(badge.earned for badge in everything)


def test_revenue_split_over_two_quarters_earns_no_quarter_badge_and_awards_count(people_a):
    with tenant_context(people_a.tenant):
        partner = people_a.partner
        quarter = periods.period_containing(periods.QUARTER, TODAY()).previous()
        _won(partner, 6_000_000, quarter.end)
        _won(partner, 6_000_000, quarter.end + timedelta(days=1))
        for months_ago in (1, 2):
            month = periods.period_containing(periods.MONTH, TODAY())
            for _step in range(months_ago):
                month = month.previous()
            Award.objects.create(kind="mvp", partner=partner, period_start=month.start, period_end=month.end,
                                 published_by=people_a.channel_manager, published_at=_at(month.end + timedelta(days=2)))
        badges = {badge.key: badge for badge in badges_for(partner)}
        assert "quarter_10m" not in badges
        assert badges["mvp"].count == 2 and badges["mvp"].earned_on == month.end + timedelta(days=2)


def test_badges_take_four_queries_however_much_data(people_a, django_assert_num_queries):
    with tenant_context(people_a.tenant):
        Partner.objects.exists()  # the schema switch happens on the first query
        with django_assert_num_queries(4):
            badges_for(people_a.partner)
        for n in range(20):
            _won(people_a.partner, 1_000_000, TODAY() - timedelta(days=n))
            _certify(people_a.partner, UserFactory(role="partner_rep", partner=people_a.partner), TODAY())
        with django_assert_num_queries(4):
            assert len(badges_for(people_a.partner)) == 4
        with django_assert_num_queries(4):
            selectors.badges_by_partner([people_a.partner.pk, people_a.other_partner.pk])


# --------------------------------------------------------------------------- pages


def test_it_shows_the_console_board_with_figures_and_proposals(people_a):
    with tenant_context(people_a.tenant):
        month = periods.period_containing(periods.MONTH, TODAY()).previous()
        _won(people_a.partner, 2_345_678, month.start)
    response = people_a.console(people_a.channel_manager).get(f"/programs/recognition/?period={month.key}&metric=revenue")
    page = response.content.decode()
    assert response.status_code == 200
    assert people_a.partner.name in page and "¥2,345,678" in page
    assert response.context["proposals"][0].winner.partner_id == people_a.partner.pk
    partial = people_a.console(people_a.channel_manager).get(f"/programs/recognition/?period={month.key}",
                                                             HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "¥2,345,678" in partial.content.decode()


def test_the_console_board_takes_the_same_queries_for_more_partners(people_a):
    client = people_a.console(people_a.channel_manager)
    month = periods.period_containing(periods.MONTH, TODAY())
    url = f"/programs/recognition/?period={month.key}"
    with tenant_context(people_a.tenant):
        _won(PartnerFactory(), 1_000_000, month.start)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    with tenant_context(people_a.tenant):
        for n in range(15):
            _won(PartnerFactory(), 1_000_000 + n, month.start)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).context["board"].rows) == 16
    assert len(many) == len(few)


def test_the_portal_page_takes_the_same_queries_for_more_partners_and_awards(people_a):
    client = people_a.portal(people_a.partner_rep)
    month = periods.period_containing(periods.MONTH, TODAY())
    with tenant_context(people_a.tenant):
        _won(people_a.partner, 1_000_000, month.start)
    client.get("/recognition/")
    with CaptureQueriesContext(connection) as few:
        client.get("/recognition/")
    with tenant_context(people_a.tenant):
        for n in range(12):
            partner = PartnerFactory()
            _won(partner, 2_000_000 + n, month.start)
            Award.objects.create(kind="mvp", partner=partner, period_start=date(2020, 1, 1) + timedelta(days=31 * n),
                                 period_end=date(2020, 1, 1) + timedelta(days=31 * n), published_by=people_a.vendor_admin)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/recognition/")
    assert len(response.context["board"].rows) == 10 and response.context["board"].viewer.rank == 13
    assert len(response.context["awards"]) == 12
    assert len(many) == len(few)


def test_an_invalid_period_is_refused_with_a_clear_message(people_a):
    response = people_a.console(people_a.channel_manager).get("/programs/recognition/?period=month:2026-13")
    assert response.status_code == 400 and response.context["board"] is None
    assert "period" in response.context["form"].errors
    export = people_a.console(people_a.channel_manager).get("/programs/recognition/export.csv?period=year:1999")
    assert export.status_code == 400
    portal = people_a.portal(people_a.partner_rep).get("/recognition/?period=quarter:2026-9")
    assert portal.status_code == 400 and "period" in portal.context["form"].errors


def test_it_exports_the_whole_board_as_csv(people_a):
    with tenant_context(people_a.tenant):
        month = periods.period_containing(periods.MONTH, TODAY())
        _won(people_a.partner, 500_000, month.start)
        _won(people_a.other_partner, 700_000, month.start)
    response = people_a.console(people_a.vendor_admin).get(f"/programs/recognition/export.csv?period={month.key}")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [f"1,{people_a.other_partner.name},700000",
                                                             f"2,{people_a.partner.name},500000"]


def test_publishing_from_the_console(people_a):
    with tenant_context(people_a.tenant):
        _won(people_a.partner, 1_000_000, selectors.mvp_period(TODAY()).start)
    client = people_a.console(people_a.channel_manager)
    response = client.post("/programs/recognition/publish/", {"kind": "mvp"})
    assert response.status_code == 302 and response["Location"] == "/programs/recognition/"
    with tenant_context(people_a.tenant):
        award = Award.objects.get()
        assert (award.partner_id, award.published_by_id) == (people_a.partner.pk, people_a.channel_manager.pk)
    again = client.post("/programs/recognition/publish/", {"kind": "mvp"}, follow=True)
    assert [m.level_tag for m in again.context["messages"]][-1] == "error"
    assert client.post("/programs/recognition/publish/", {"kind": "champion"}).status_code == 302
    client.post(f"/programs/recognition/awards/{award.pk}/withdraw/")
    with tenant_context(people_a.tenant):
        assert Award.objects.count() == 1
        award.refresh_from_db()
        assert award.withdrawn_by_id == people_a.channel_manager.pk and award.withdrawn_at is not None


def test_recognition_pages_refuse_the_wrong_people_and_methods(people_a, people_b):
    with tenant_context(people_b.tenant):
        _won(people_b.partner, 1_000_000, selectors.mvp_period(TODAY()).start)
        foreign = Award.objects.create(kind="mvp", partner=people_b.partner, period_start=date(2026, 1, 1),
                                       period_end=date(2026, 1, 31), published_by=people_b.channel_manager)
    console = people_a.console(people_a.channel_manager)
    assert console.get(f"/programs/recognition/awards/{foreign.pk}/withdraw/").status_code == 405
    assert console.post(f"/programs/recognition/awards/{foreign.pk}/withdraw/").status_code == 404
    assert console.post("/programs/recognition/").status_code == 405
    assert console.get("/programs/recognition/publish/").status_code == 405
    # The other vendor's partner and figures never reach this vendor's board.
    assert people_b.partner.name not in console.get("/programs/recognition/?metric=revenue&period="
                                                    + selectors.mvp_period(TODAY()).key).content.decode()
    for user in (people_a.partner_admin, people_a.partner_rep):
        partner_client = people_a.console(user)
        assert partner_client.get("/programs/recognition/").status_code == 403
        assert partner_client.post("/programs/recognition/publish/", {"kind": "mvp"}).status_code == 403
    anonymous = people_a.console()
    for url in ("/programs/recognition/", "/programs/recognition/export.csv"):
        assert "/accounts/login/" in anonymous.get(url)["Location"]
    assert "/accounts/login/" in anonymous.post("/programs/recognition/publish/")["Location"]
    portal = people_a.portal(people_a.partner_rep)
    assert portal.get("/recognition/").status_code == 200
    assert portal.post("/recognition/").status_code == 405
    assert people_a.portal(people_a.channel_manager).get("/recognition/").status_code == 403
    assert "/accounts/login/" in people_a.portal().get("/recognition/")["Location"]
    with tenant_context(people_b.tenant):
        assert Award.objects.get(pk=foreign.pk).withdrawn_at is None
