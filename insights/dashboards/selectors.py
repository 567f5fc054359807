"""The numbers behind the console dashboards, set-based: each section is one GROUP BY statement or a few.

The figures of other apps' tables come from their owners' selectors (partners, deals, programs, incentives),
over the ids of the partners the filters cover (None when they cover every partner, so no list is sent). The
partners the filters cover are the CTE `scope` that partners.selectors.scope_sql writes; the sections over
insights' own tables (health scores and snapshots) start their statements from it.

Results hold codes and names only, never translated labels, so a cached result serves readers of
every language (labels are applied by insights.dashboards.presentation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

from deals import selectors as deal_selectors
from incentives import selectors as incentive_selectors
from insights.dashboards.filters import Filters
from partners import selectors as partner_selectors
from partners.models import Stage
from prm.reads import fetch_rows
from programs import selectors as programme_selectors

SIGNED = [Stage.ONBOARDING.value, Stage.ACTIVATION.value, Stage.RETENTION.value, Stage.DORMANT.value]
# The ELG path in order; dormant and terminated are off the path and shown after it.
FUNNEL = [Stage.PROSPECT, Stage.APPLIED, Stage.RECRUITING, Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION]
OFF_PATH = [Stage.DORMANT, Stage.TERMINATED]
TOP = 10


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class StageRow:
    stage: str
    partners: int
    days_in_stage: float | None  # median days the partners now at this stage have spent there so far
    days_spent: float | None  # median length of the stays at this stage that ended in the period
    stays: int  # how many stays ended in the period
    waiting: tuple[tuple[str, int], ...] = ()  # (the next rule not yet met, partners waiting on it), most first


@dataclass(frozen=True)
class Kpis:
    signed: int = 0
    active_partners: int = 0
    active_contacts: int = 0
    programme_participants: int = 0
    registered: int = 0
    won: int = 0
    lost: int = 0
    revenue: int = 0
    first_deals: int = 0
    days_to_first_deal: float | None = None

    @property
    def active_rate(self) -> float | None:
        return round(self.active_partners * 100 / self.signed, 1) if self.signed else None

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return round(self.won * 100 / closed, 1) if closed else None


@dataclass(frozen=True)
class PartnerRevenue:
    partner_id: int
    name: str
    partner_type: str
    tier: str
    won: int
    revenue: int


@dataclass(frozen=True)
class MonthlySeries:
    key: str  # a partner type code, a tier id ("" = no tier) or a measure name
    name: str  # the tier's name; empty for codes the presentation translates
    values: list[int]


@dataclass(frozen=True)
class MdfRow:
    request_id: int
    partner_id: int
    partner: str
    activity: str
    starts_on: date
    ends_on: date
    spent: int
    leads: int
    won_revenue: int

    @property
    def ratio(self) -> float | None:
        return incentive_selectors.roi_ratio(self.won_revenue, self.spent)


@dataclass(frozen=True)
class MdfSummary:
    activities: int = 0
    spent: int = 0
    leads: int = 0
    won_revenue: int = 0
    rows: list[MdfRow] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return incentive_selectors.roi_ratio(self.won_revenue, self.spent)


@dataclass(frozen=True)
class Mover:
    partner_id: int
    name: str
    before: int
    before_day: date
    after: int
    after_day: date
    band: str

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Health:
    scored: int = 0
    average: float | None = None
    bands: dict[str, int] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=lambda: [0] * 10)  # 0–9, 10–19, …, 90–100
    healthy_from: int = 70
    at_risk_from: int = 40
    run_id: int | None = None
    computed_at: datetime | None = None
    movers: list[Mover] = field(default_factory=list)


@dataclass(frozen=True)
class RetentionRow:
    partner_id: int
    name: str
    base: int
    retained: int
    rate: float | None


@dataclass(frozen=True)
class CustomerRetention:
    """顧客継続率 on the period's last day (or today), as incentives.selectors.customer_retention defines it."""

    as_of: date
    then: date
    base: int = 0
    retained: int = 0
    rate: float | None = None
    rows: list[RetentionRow] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    filters: Filters
    computed_at: datetime
    stages: list[StageRow]
    kpis: Kpis
    deals_by_month: list[MonthlySeries]  # registered, won
    top_partners: list[PartnerRevenue]
    revenue_by_type: list[MonthlySeries]
    revenue_by_tier: list[MonthlySeries]
    mdf: MdfSummary
    health: Health
    retention: CustomerRetention


# --------------------------------------------------------------------------- SQL helpers


def _partner_scope(filters: Filters, *, signed_only: bool = False) -> partner_selectors.PartnerScope:
    """The partners the filters cover (only the signed ones with `signed_only`)."""
    within = programme_selectors.partners_in_tier_sql(filters.tier) if filters.tier else None
    return partner_selectors.PartnerScope(owner=filters.owner, partner_type=filters.partner_type, within=within,
                                          stages=SIGNED if signed_only else None)


def _scope(filters: Filters, *, signed_only: bool = False) -> tuple[str, dict]:
    """The CTE `scope`: the partners the filters cover, with their name, type and stage."""
    return partner_selectors.scope_sql(_partner_scope(filters, signed_only=signed_only))


def _filtered(filters: Filters) -> bool:
    return bool(filters.owner or filters.partner_type or filters.tier)


def scope_ids(filters: Filters) -> list[int] | None:
    """Ids of the partners the filters cover; None when they cover every partner."""
    if not _filtered(filters):
        return None
    scope, params = _scope(filters)
    return [pk for (pk,) in fetch_rows(f"WITH {scope} SELECT id FROM scope", params)]


_ALL = object()  # "compute the scope": a caller that has the ids already passes them (None = every partner)


def _ids(filters: Filters, partner_ids) -> list[int] | None:
    return scope_ids(filters) if partner_ids is _ALL else partner_ids


def _period(filters: Filters) -> dict:
    return {"starts_at": filters.starts_at, "ends_before": filters.ends_before, "start": filters.start,
            "end": filters.end, "tz": timezone.get_current_timezone_name(), "now": timezone.now()}


# --------------------------------------------------------------------------- sections

def stage_rows(filters: Filters) -> list[StageRow]:
    """Partners per lifecycle stage now, how long they have been there, and how long stays lasted."""
    durations = partner_selectors.stage_durations(_partner_scope(filters), now=timezone.now(),
                                                  starts_at=filters.starts_at, ends_before=filters.ends_before)
    rows = []
    for stage in [*FUNNEL, *OFF_PATH]:
        count, days_now = durations.current.get(stage.value, (0, None))
        stay_count, days_spent = durations.ended.get(stage.value, (0, None))
        rows.append(StageRow(stage.value, count, _days(days_now), _days(days_spent), stay_count,
                             tuple(durations.waiting.get(stage.value, ()))))
    return rows


def _days(value) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass(frozen=True)
class _DealFigures:
    kpis: dict
    registered_by_month: list[int]
    won_by_month: list[int]


def _month_starts(filters: Filters) -> list[datetime]:
    return [timezone.make_aware(datetime.combine(month, time.min)) for month in filters.months]


def deal_figures(filters: Filters, partner_ids=_ALL) -> _DealFigures:
    """Deals registered in the period (per month), their outcome, the active partners, and time to first deal.

    A partner's first deal is in the period when it registered one there and none before; its start is
    partners.selectors.start_day_sql's. One statement joins the deals' part (registrations_in_period_sql) with
    the partners in scope."""
    scope, params = _scope(filters)
    registrations, registration_params = deal_selectors.registrations_in_period_sql(filters.starts_at,
                                                                                    filters.ends_before)
    params.update(registration_params, signed=SIGNED, tz=timezone.get_current_timezone_name())
    active, registered_total, won_total, lost_total, first_deals, first_days = fetch_rows(f"""
        WITH {scope}, pp AS ({registrations})
        SELECT count(*) FILTER (WHERE pp.registered > 0 AND s.stage = ANY(%(signed)s)),
               COALESCE(sum(pp.registered), 0), COALESCE(sum(pp.won), 0), COALESCE(sum(pp.lost), 0),
               count(first.days), percentile_cont(0.5) WITHIN GROUP (ORDER BY first.days)
          FROM pp
          JOIN scope s ON s.id = pp.partner_id
          LEFT JOIN LATERAL (
              SELECT GREATEST((pp.first_at AT TIME ZONE %(tz)s)::date - {partner_selectors.start_day_sql("s")}, 0)
                     AS days
               WHERE pp.first_at IS NOT NULL AND NOT pp.registered_before) first ON true""", params)[0]
    ids = _ids(filters, partner_ids)
    registered, won = deal_selectors.registrations_by_month(ids, _month_starts(filters), filters.ends_before)
    kpis = {"active_partners": active, "registered": int(registered_total), "won": int(won_total),
            "lost": int(lost_total), "first_deals": first_deals, "days_to_first_deal": _days(first_days)}
    return _DealFigures(kpis, registered, won)


@dataclass(frozen=True)
class _Revenue:
    total: int
    top: list[PartnerRevenue]
    by_type: list[MonthlySeries]
    by_tier: list[MonthlySeries]


def revenue(filters: Filters, *, limit: int | None = TOP) -> _Revenue:
    """Won revenue (by the day it was won, as deals.selectors.won_revenue counts it) per partner, and per month
    by partner type and by tier: one statement over the deals' part (won_by_month_sql), the partners in scope
    and the tiers they hold (programs.selectors.held_tiers_sql)."""
    scope, params = _scope(filters)
    won, won_params = deal_selectors.won_by_month_sql(filters.months, filters.end)
    params.update(won_params, limit=limit)
    rows = fetch_rows(f"""
        WITH {scope},
        per_month AS ({won}),
        held AS ({programme_selectors.held_tiers_sql()}),
        joined AS (
            SELECT m.*, s.name, s.partner_type, h.tier_id, h.tier_name, h.tier_label
              FROM per_month m JOIN scope s ON s.id = m.partner_id LEFT JOIN held h ON h.partner_id = m.partner_id)
        SELECT 'type', month, partner_type, NULL::bigint, NULL, NULL, sum(won), sum(revenue)
          FROM joined GROUP BY month, partner_type
        UNION ALL
        SELECT 'tier', month, COALESCE(tier_id::text, ''), NULL, min(tier_label), NULL, sum(won), sum(revenue)
          FROM joined GROUP BY month, tier_id
        UNION ALL
        (SELECT 'partner', NULL, partner_type, partner_id, min(name), COALESCE(min(tier_name), ''),
                sum(won), sum(revenue)
           FROM joined GROUP BY partner_id, partner_type
          ORDER BY sum(revenue) DESC, min(name), partner_id
          LIMIT %(limit)s)""", params)
    months = len(filters.months)
    by_type: dict[str, list[int]] = {}
    by_tier: dict[str, list[int]] = {}
    tier_names: dict[str, str] = {}
    top, total = [], 0
    # Each row: its kind, the month (from 1), the type, tier or partner type, the partner, the partner's name or
    # the tier's label, the partner's tier, won deals and revenue.
    for kind, month, key, partner_id, label, tier_name, won_deals, amount in rows:
        if kind == "partner":
            top.append(PartnerRevenue(partner_id, label, key, tier_name, int(won_deals), int(amount)))
            continue
        target = by_type if kind == "type" else by_tier
        target.setdefault(key, [0] * months)[month - 1] += int(amount)
        if kind == "type":
            total += int(amount)
        elif key:
            tier_names[key] = label
    type_series = [MonthlySeries(key, "", values)
                   for key, values in sorted(by_type.items(), key=lambda item: -sum(item[1]))]
    tier_series = [MonthlySeries(key, tier_names.get(key, ""), values)
                   for key, values in sorted(by_tier.items(), key=lambda item: (item[0] == "", -sum(item[1])))]
    return _Revenue(total, top, type_series, tier_series)


def current_figures(filters: Filters) -> dict:
    """Signed partners, active contacts and programme participation as they are now."""
    figures = partner_selectors.scope_figures(_partner_scope(filters), signed_stages=SIGNED)
    return {"signed": figures.signed, "active_contacts": figures.active_contacts,
            "programme_participants": figures.programme_participants}


def mdf_summary(filters: Filters, *, limit: int | None = TOP, partner_ids=_ALL) -> MdfSummary:
    """Claimed MDF activities that started in the period, with the revenue attributed to them
    (incentives.selectors.mdf_roi: the one definition of MDF ROI)."""
    roi = incentive_selectors.mdf_roi(_ids(filters, partner_ids), filters.start, filters.end)
    if not roi.rows:
        return MdfSummary()
    shown = roi.rows if limit is None else roi.rows[:limit]
    return MdfSummary(
        activities=roi.activities, spent=roi.spent, leads=roi.leads, won_revenue=roi.won_revenue,
        rows=[MdfRow(row.request.pk, row.request.partner_id, row.request.partner.name, row.request.activity,
                     row.request.starts_on, row.request.ends_on, row.spent, row.leads, row.won_revenue)
              for row in shown])


def health(filters: Filters, *, movers: int | None = TOP) -> Health:
    """Scores of the signed partners in scope now, and who moved most between the period's first and last snapshot."""
    from insights.health.models import HealthRun, HealthSettings

    settings = HealthSettings.current()
    run = HealthRun.objects.filter(finished_at__isnull=False).order_by("-id").values_list("id", "finished_at").first()
    scope, params = _scope(filters, signed_only=True)
    params.update(_period(filters))
    params["limit"] = movers
    bands: dict[str, int] = {}
    buckets = [0] * 10
    total = scored = 0
    for band, bucket, count, score_sum in fetch_rows(f"""
        WITH {scope}
        SELECT h.band, LEAST(h.score / 10, 9), count(*), sum(h.score)
          FROM partners_healthscore h JOIN scope s ON s.id = h.partner_id
         GROUP BY 1, 2""", params):
        bands[band] = bands.get(band, 0) + count
        buckets[bucket] += count
        scored += count
        total += score_sum
    mover_rows = fetch_rows(f"""
        WITH {scope}
        SELECT s.id, s.name, first.score, first.day, last.score, last.day, last.band
          FROM scope s
          CROSS JOIN LATERAL (SELECT h.score, h.day FROM partners_healthsnapshot h
                               WHERE h.partner_id = s.id AND h.day >= %(start)s AND h.day <= %(end)s
                               ORDER BY h.day LIMIT 1) first
          CROSS JOIN LATERAL (SELECT h.score, h.day, h.band FROM partners_healthsnapshot h
                               WHERE h.partner_id = s.id AND h.day >= %(start)s AND h.day <= %(end)s
                               ORDER BY h.day DESC LIMIT 1) last
         WHERE last.score <> first.score
         ORDER BY abs(last.score - first.score) DESC, last.score - first.score, s.name, s.id
         LIMIT %(limit)s""", params)
    return Health(
        scored=scored, average=round(total / scored, 1) if scored else None, bands=bands, buckets=buckets,
        healthy_from=settings.healthy_from, at_risk_from=settings.at_risk_from,
        run_id=run[0] if run else None, computed_at=run[1] if run else None,
        movers=[Mover(*row) for row in mover_rows],
    )


def customer_retention(filters: Filters, partner_ids=_ALL) -> CustomerRetention:
    """Customer retention of the partners in scope on the period's last day (today while it runs)."""
    as_of = min(filters.end, timezone.localdate())
    retention = incentive_selectors.customer_retention(as_of)
    ids = _ids(filters, partner_ids)
    if ids is not None:
        retention = retention.within(ids)
    names = partner_selectors.partner_names(retention.by_partner) if retention.by_partner else {}
    rows = sorted((RetentionRow(pk, names.get(pk, str(pk)), figure.base, figure.retained, figure.rate)
                   for pk, figure in retention.by_partner.items()),
                  key=lambda row: (-row.base, -(row.rate or 0), row.name, row.partner_id))
    overall = retention.overall
    return CustomerRetention(as_of, retention.then, overall.base, overall.retained, overall.rate, rows)


def export_rows(name: str, filters: Filters) -> int:
    """A cheap bound on the rows of a table's CSV: the ranked lists have one row per partner (or MDF
    activity) at most; the other tables have a row per stage, month or band and are always small."""
    if name == "revenue_by_partner":
        return deal_selectors.partners_with_wins_between(scope_ids(filters), filters.start, filters.end)
    if name == "mdf_roi":
        return incentive_selectors.mdf_activity_count(scope_ids(filters), filters.start, filters.end)
    if name == "movers":
        scope, params = _scope(filters, signed_only=True)
        return int(fetch_rows(f"WITH {scope} SELECT count(*) FROM scope", params)[0][0])
    return 0


def overview(filters: Filters) -> Overview:
    """Every section of the insights dashboard for these filters, uncached (see insights.dashboards.cached)."""
    ids = scope_ids(filters)
    deals = deal_figures(filters, ids)
    money = revenue(filters)
    kpis = Kpis(**current_figures(filters), **deals.kpis, revenue=money.total)
    return Overview(
        filters=filters, computed_at=timezone.now(), stages=stage_rows(filters), kpis=kpis,
        deals_by_month=[MonthlySeries("registered", "", deals.registered_by_month),
                        MonthlySeries("won", "", deals.won_by_month)],
        top_partners=money.top, revenue_by_type=money.by_type, revenue_by_tier=money.by_tier,
        mdf=mdf_summary(filters, partner_ids=ids), health=health(filters), retention=customer_retention(filters, ids),
    )

