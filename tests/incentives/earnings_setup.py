"""A plan whose SPIF runs today, and deals of two partners, for the earnings and statement tests."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from deals.models import DealRegistration
from incentives import payouts, runs
from incentives.models import Payout, Plan


def plan_document(today: date) -> dict:
    return {
        "code": "earn-plan", "name": "報酬テストプラン", "currency": "JPY", "fiscal_year_start_month": 4,
        "valid_from": (today - timedelta(days=400)).isoformat(), "valid_to": (today + timedelta(days=400)).isoformat(),
        "rules": [
            {"id": "r-margin-x", "name": {"ja": "販売マージン", "en": "Resale margin"}, "kind": "percent",
             "on": "deal_won", "rate": "0.15"},
            {"id": "r-spif-now", "name": {"ja": "年末キャンペーン", "en": "Year-end SPIF"}, "kind": "fixed",
             "on": "deal_won", "amount": 50_000, "from": (today - timedelta(days=10)).isoformat(),
             "to": (today + timedelta(days=10)).isoformat()},
            {"id": "r-spif-old", "name": {"ja": "春のキャンペーン", "en": "Spring SPIF"}, "kind": "fixed",
             "on": "deal_won", "amount": 1, "from": (today - timedelta(days=100)).isoformat(),
             "to": (today - timedelta(days=50)).isoformat()},
        ],
    }


def deal(partner, customer: str, amount: int, *, won_on: date | None, stage: str = "won", registered_by=None,
         expected_close: date | None = None) -> DealRegistration:
    today = timezone.localdate()
    return DealRegistration.objects.create(
        partner=partner, customer_name=customer, name_key=customer, amount=amount,
        expected_close=expected_close or won_on or today, stage=stage, won_amount=amount if won_on else None,
        won_on=won_on, registered_by=registered_by,
        registered_at=timezone.make_aware(timezone.datetime(today.year, today.month, 1, 9)))


class World:
    """people.partner: a rep's won deal (¥1M), the admin's won deal (¥2M), the rep's open deal (¥1M,
    expected in 5 days); the other partner: a won deal (¥3M). A commission run for this month."""

    def __init__(self, people):
        today = self.today = timezone.localdate()
        self.period = today.replace(day=1)
        people.partner.owner = people.channel_manager
        people.partner.save(update_fields=["owner"])
        self.plan = Plan.objects.create(code="earn-plan", name="報酬テストプラン")
        self.version = runs.plan_publish(plan=self.plan, document=plan_document(today), actor=people.vendor_admin)
        self.rep_won = deal(people.partner, "レップ成約商事", 1_000_000, won_on=today, registered_by=people.partner_rep)
        self.admin_won = deal(people.partner, "管理者成約工業", 2_000_000, won_on=today, registered_by=people.partner_admin)
        self.rep_open = deal(people.partner, "レップ商談中物産", 1_000_000, won_on=None, stage="proposal",
                             registered_by=people.partner_rep, expected_close=today + timedelta(days=5))
        self.other_won = deal(people.other_partner, "他社の顧客銀行", 3_000_000, won_on=today,
                              registered_by=people.other_partner_admin)
        run = runs.run_execute(runs.run_start(period=self.period).pk)
        assert run.status == "done", run.error

    def payout(self, people) -> Payout:
        built = {p.partner_id: p for p in payouts.payouts_build(period=self.period, actor=people.channel_manager)}
        return built[people.partner.pk]
