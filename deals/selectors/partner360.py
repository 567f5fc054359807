"""What deals shows on the console's partner page: pipeline, wins and revenue, and the deal events of its
timeline. A fixed number of queries however many deals the partner has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from deals.models import OPEN_STAGES, DealEvent, DealRegistration, Stage
from deals.selectors import open_pipeline, won_totals
from prm import figures

RECENT = 5


@dataclass(frozen=True)
class PartnerDeals:
    partner_id: int
    open_deals: int
    open_amount: int
    won_revenue: int
    won_deals: int
    window: figures.Window  # of the won figures: the trailing 12 months
    recent_open: list[DealRegistration] = field(default_factory=list)
    recent_won: list[DealRegistration] = field(default_factory=list)


def partner_deals(partner_id: int, *, today: date) -> PartnerDeals:
    """Four queries: the open pipeline by stage, the won totals, the latest open deals, the latest wins."""
    window = figures.trailing_12_months(today)
    assert window.start is not None
    pipeline = open_pipeline([partner_id]).get(partner_id, {})
    revenue, won = won_totals([partner_id], window.start, window.end).get(partner_id, (0, 0))
    deals = DealRegistration.objects.filter(partner_id=partner_id).only(
        "pk", "customer_name", "stage", "amount", "won_amount", "won_on", "registered_at", "expected_close")
    return PartnerDeals(
        partner_id=partner_id,
        open_deals=sum(count for count, _amount in pipeline.values()),
        open_amount=sum(amount for _count, amount in pipeline.values()),
        won_revenue=revenue, won_deals=won, window=window,
        recent_open=list(deals.filter(stage__in=OPEN_STAGES).order_by("-registered_at", "-pk")[:RECENT]),
        recent_won=list(deals.filter(stage=Stage.WON).order_by("-won_on", "-pk")[:RECENT]),
    )


def partner_deal_events(partner_id: int, *, limit: int) -> list[DealEvent]:
    """The partner's newest deal events with their deal's customer and their actor's name (one query)."""
    return list(DealEvent.objects.filter(deal__partner_id=partner_id).select_related("deal", "actor")
                .only("kind", "occurred_at", "data", "deal__customer_name", "actor__full_name", "actor__email")
                .order_by("-occurred_at", "-pk")[:limit])
