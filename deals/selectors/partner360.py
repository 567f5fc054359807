"""What deals shows on the console's partner page: pipeline, wins and revenue, and the deal events of its
timeline. A fixed number of queries however many deals the partner has."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from deals.models import OPEN_STAGES, Stage
from deals.selectors import open_pipeline_read, won_totals_read
from prm import figures
from prm.accounts.models import short_name
from prm.reads import Later, Read

RECENT = 5
# The stages written into the statement, as the partial indexes deal_partner_open_latest and deal_partner_won_latest
# name them: a prepared statement's generic plan may use an index only when its condition is in the text.
_OPEN = ", ".join(f"'{stage.value}'" for stage in OPEN_STAGES)


@dataclass(frozen=True)
class DealLine:
    """A deal in the panel's latest lists."""

    pk: int
    customer_name: str
    stage: str
    amount: int
    won_on: date | None
    won_amount: int | None

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)


@dataclass(frozen=True)
class PartnerDeals:
    partner_id: int
    open_deals: int
    open_amount: int
    won_revenue: int
    won_deals: int
    window: figures.Window  # of the won figures: the trailing 12 months
    recent_open: list[DealLine] = field(default_factory=list)
    recent_won: list[DealLine] = field(default_factory=list)


def partner_deals(partner_id: int, *, today: date) -> PartnerDeals:
    """Three statements: the open pipeline by stage, the won totals, the latest open deals with the latest wins."""
    return partner_deals_later(partner_id, today=today).run()


def partner_deals_later(partner_id: int, *, today: date) -> Later[PartnerDeals]:
    """partner_deals' three statements, for a page that sends them with others (prm.reads.resolve)."""
    window = figures.trailing_12_months(today)
    assert window.start is not None

    def recent_of(rows: list[tuple]) -> dict[str, list[DealLine]]:
        recent: dict[str, list[DealLine]] = {"open": [], "won": []}
        for part, *line in rows:
            recent[part].append(DealLine(*line))
        return recent

    def made(pipelines: dict, totals: dict, recent: dict[str, list[DealLine]]) -> PartnerDeals:
        pipeline = pipelines.get(partner_id, {})
        revenue, won = totals.get(partner_id, (0, 0))
        return PartnerDeals(
            partner_id=partner_id,
            open_deals=sum(count for count, _amount in pipeline.values()),
            open_amount=sum(amount for _count, amount in pipeline.values()),
            won_revenue=revenue, won_deals=won, window=window,
            recent_open=recent["open"], recent_won=recent["won"],
        )

    return Later([open_pipeline_read([partner_id]), won_totals_read([partner_id], window.start, window.end),
                  Read(_RECENT_SQL, {"partner": partner_id, "recent": RECENT}, recent_of)], made)


_RECENT_SQL = f"""
        SELECT part, id, customer_name, stage, amount, won_on, won_amount FROM (
            (SELECT 'open' AS part, d.id, d.customer_name, d.stage, d.amount, d.won_on, d.won_amount, d.registered_at
               FROM deals_dealregistration d WHERE d.partner_id = %(partner)s AND d.stage IN ({_OPEN})
              ORDER BY d.registered_at DESC, d.id DESC LIMIT %(recent)s)
            UNION ALL
            (SELECT 'won', d.id, d.customer_name, d.stage, d.amount, d.won_on, d.won_amount, d.registered_at
               FROM deals_dealregistration d WHERE d.partner_id = %(partner)s AND d.stage = '{Stage.WON.value}'
              ORDER BY d.won_on DESC, d.id DESC LIMIT %(recent)s)) latest
         ORDER BY part, CASE WHEN part = 'open' THEN registered_at END DESC,
                  CASE WHEN part = 'won' THEN won_on END DESC, id DESC"""


@dataclass(frozen=True)
class DealEventLine:
    """A deal event as the partner's timeline tells it."""

    deal_id: int
    customer_name: str
    kind: str
    occurred_at: datetime
    data: dict
    actor: str  # the actor's short name; "" without one


def partner_deal_events(partner_id: int, *, limit: int) -> list[DealEventLine]:
    """The partner's newest deal events with their deal's customer and their actor's names (one statement: the
    newest `limit` entries of the event's partner index, then their deals and actors)."""
    return partner_deal_events_read(partner_id, limit=limit).run()


def partner_deal_events_read(partner_id: int, *, limit: int) -> Read[list[DealEventLine]]:
    """partner_deal_events' statement, for a page that sends it with others (prm.reads.Later)."""
    return Read("""
        SELECT e.deal_id, d.customer_name, e.kind, e.occurred_at, e.data, e.actor_id, u.full_name, u.email
          FROM deals_dealevent e
          JOIN deals_dealregistration d ON d.id = e.deal_id
          LEFT JOIN accounts_user u ON u.id = e.actor_id
         WHERE e.partner_id = %(partner)s
         ORDER BY e.occurred_at DESC, e.id DESC LIMIT %(limit)s""", {"partner": partner_id, "limit": limit},
        lambda rows: [DealEventLine(deal_id, customer_name, kind, occurred_at, json.loads(data or "null") or {},
                                    short_name(full_name, email) if actor_id else "")
                      for deal_id, customer_name, kind, occurred_at, data, actor_id, full_name, email in rows])
