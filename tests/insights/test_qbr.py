"""The QBR pack: a partner's quarter as a PDF in Japanese or English, for console staff only."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from deals.models import DealRegistration
from enablement.models import CertificationAward, ContentAccess, SessionSeat
from incentives.models import MdfRequest
from insights import charts, qbr
from insights.models import HealthScore, HealthSnapshot
from partners.models import Activity, BusinessPlan
from tests.enablement.factories import CertificationFactory, ContentItemFactory, StudySessionFactory
from tests.partners.factories import PartnerFactory

COMPONENTS = {
    "logins": {"value": 80, "points": 80, "weight": 15, "contribution": 16.2},
    "deals": {"value": 4, "points": 80, "weight": 20, "contribution": 21.6},
    "recency": {"value": 9, "points": 100, "weight": 15, "contribution": 20.3},
}


def _at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _deal(partner, day, amount, stage="won"):
    return DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{amount}", name_key=f"q{amount}{day}", amount=amount, expected_close=day,
        stage=stage, won_amount=amount if stage == "won" else None, won_on=day if stage == "won" else None,
        registered_at=_at(day))


@pytest.fixture
def quarter_of_work(people_a):
    """People_a's partner with a quarter of deals, health, learning, MDF, a plan and next actions."""
    with tenant_context(people_a.tenant):
        partner = people_a.partner
        last = qbr.default_period(timezone.localdate())
        _deal(partner, last.start + timedelta(days=3), 4_200_000)
        _deal(partner, last.start + timedelta(days=20), 1_800_000)
        _deal(partner, last.previous().start, 3_000_000)
        _deal(partner, timezone.localdate(), 2_500_000, stage="proposal")
        HealthScore.objects.create(partner=partner, score=73, band="healthy", components=COMPONENTS, previous_score=64)
        for weeks in (20, 10, 1):
            HealthSnapshot.objects.create(partner=partner, day=timezone.localdate() - timedelta(weeks=weeks),
                                          score=60 + weeks, band="at_risk")
        CertificationAward.objects.create(
            certification=CertificationFactory(name="認定セールスプロフェッショナル"), user=people_a.partner_rep,
            partner=partner, holder_name="山田 花子", issued_at=_at(last.start + timedelta(days=5)),
            expires_at=timezone.now() + timedelta(days=300))
        item = ContentItemFactory(title="導入事例集")
        ContentAccess.objects.create(item=item, user=people_a.partner_rep, partner=partner, action="download",
                                     at=_at(last.start + timedelta(days=7)))
        session = StudySessionFactory(title="新機能勉強会", starts_at=_at(last.start + timedelta(days=9)))
        SessionSeat.objects.create(session=session, user=people_a.partner_rep, status="attended")
        MdfRequest.objects.create(partner=partner, activity="共催セミナー", starts_on=last.start + timedelta(days=10),
                                  ends_on=last.start + timedelta(days=10), budget=300_000, status="approved",
                                  approved_amount=250_000)
        starts, ends = date(last.fiscal_year, 4, 1), date(last.fiscal_year + 1, 3, 31)
        BusinessPlan.objects.create(partner=partner, fiscal_year=last.fiscal_year, starts_on=starts, ends_on=ends,
                                    revenue_target=30_000_000, deals_target=12)
        Activity.objects.create(partner=partner, kind="qbr", subject="四半期定例", occurred_at=_at(last.end),
                                next_actions="提案書テンプレートを共有する", next_action_due=last.end + timedelta(days=14))
    return last


def test_the_last_quarter_is_the_default_and_a_future_or_bad_period_is_refused(people_a):
    with tenant_context(people_a.tenant):
        today = date(2026, 11, 21)
        assert qbr.period_for(None, today).key == "quarter:2026-2"  # July to September 2026
        assert qbr.period_for("month:2026-11", today).key == "month:2026-11"
        for bad in ("quarter:2026-4", "quarter:2027-1", "week:1", "quarter:2026"):
            with pytest.raises(ValueError):
                qbr.period_for(bad, today)


def test_the_deal_comparison_counts_this_period_against_the_one_before(people_a, quarter_of_work):
    with tenant_context(people_a.tenant):
        rows = {row.label: row for row in qbr.deal_comparison(people_a.partner, quarter_of_work)}
    assert [(r.current, r.previous, r.change) for r in rows.values()] == [
        (2, 1, 100), (2, 1, 100), (6_000_000, 3_000_000, 100), (3_000_000, 3_000_000, 0)]


@pytest.mark.parametrize(("language", "headings"), [
    ("ja", ["四半期ビジネスレビュー", "パートナーヘルス", "案件と売上", "認定資格とトレーニング", "ビジネスプラン"]),
    ("en", ["Quarterly business review", "Partner health", "Deals and revenue", "Certification and training",
            "Business plan: targets and actuals", "Open actions"]),
])
def test_the_pack_shows_the_partner_its_score_and_the_quarter(people_a, quarter_of_work, language, headings):
    response = people_a.console(people_a.channel_manager).get(f"/partners/{people_a.partner.pk}/qbr.pdf?lang={language}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="qbr-')
    text = _text(response.content)
    for fragment in [*headings, people_a.partner.name, "73", "¥6,000,000", "¥3,000,000", "¥2,500,000",
                     "山田 花子", "導入事例集", "共催セミナー", "提案書テンプレートを共有する", "株式会社アルファ"]:
        assert fragment in text, (fragment, text[:600])
    start = quarter_of_work.start
    japanese, english = f"{start.year}年{start.month}月{start.day}日", f"{start:%b} {start.day}, {start.year}"
    assert (japanese if language == "ja" else english) in text
    assert (english if language == "ja" else japanese) not in text


def test_an_unknown_language_falls_back_to_japanese_and_a_bad_period_is_a_clear_400(people_a):
    client = people_a.console(people_a.vendor_admin)
    with tenant_context(people_a.tenant):
        last = qbr.default_period(timezone.localdate())
    text = _text(client.get(f"/partners/{people_a.partner.pk}/qbr.pdf?lang=xx").content)
    start = last.start
    assert people_a.partner.name in text and f"{start.year}年{start.month}月{start.day}日" in text
    assert f"{start:%b} {start.day}, {start.year}" not in text
    refused = client.get(f"/partners/{people_a.partner.pk}/qbr.pdf?period=quarter:2099-1")
    assert refused.status_code == 400 and "quarter:2026-1" in refused.content.decode()


def test_a_partner_without_any_data_still_gets_a_complete_pack(people_a):
    with tenant_context(people_a.tenant):
        empty = PartnerFactory(name="空っぽ商事")
        data = qbr.qbr_data(empty, qbr.default_period(timezone.localdate()))
        assert data["score"] is None and data["trend"] is None and data["actions"] == []
        assert [row["deals"] for row in data["pipeline"]] == [0, 0, 0, 0]
    text = _text(people_a.console(people_a.channel_manager).get(f"/partners/{empty.pk}/qbr.pdf?lang=en").content)
    assert "空っぽ商事" in text and "No health score yet" in text and "No MDF activity in this period." in text


def test_the_trend_is_an_svg_line_within_the_window():
    svg = charts.band_trend([(date(2026, 1, 1), 20), (date(2026, 3, 1), 80), (date(2027, 1, 1), 50)],
                        date(2026, 2, 1), date(2026, 5, 1), at_risk_from=40, healthy_from=70)
    assert svg.startswith("<svg") and svg.count("<polyline") == 0  # one point inside: no line, just the dot
    assert svg.count("<circle") == 1
    two = charts.band_trend([(date(2026, 2, 1), 20), (date(2026, 5, 1), 80)], date(2026, 2, 1), date(2026, 5, 1),
                        at_risk_from=40, healthy_from=70)
    assert 'points="34.0,120.0 632.0,36.0"' in two  # 20 and 80 on a 140-point-high plot from x 34 to 632


def test_only_console_staff_of_the_vendor_get_the_pack(people_a, people_b):
    url = f"/partners/{people_a.partner.pk}/qbr.pdf"
    for user in (people_a.partner_admin, people_a.partner_rep):
        assert people_a.console(user).get(url).status_code == 403
    assert "/accounts/login/" in people_a.console().get(url)["Location"]
    assert people_a.console(people_a.channel_manager).post(url).status_code == 405
    with tenant_context(people_b.tenant):
        foreign = PartnerFactory(pk=987_654, name="ブラボー側の販売店")
    assert people_a.console(people_a.channel_manager).get(f"/partners/{foreign.pk}/qbr.pdf").status_code == 404
    own = people_b.console(people_b.channel_manager).get(f"/partners/{foreign.pk}/qbr.pdf?lang=en")
    assert own.status_code == 200 and "ブラボー側の販売店" in _text(own.content)
