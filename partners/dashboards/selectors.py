"""The numbers behind the console dashboards, set-based: each section is one GROUP BY statement.

Results hold codes and names only, never translated labels, so a cached result serves readers of
every language (labels are applied by partners.dashboards.presentation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import connection
from django.utils import timezone

from incentives import selectors as incentive_selectors
from partners.dashboards.filters import Filters
from partners.models import Stage

SIGNED = [Stage.ONBOARDING.value, Stage.ACTIVATION.value, Stage.RETENTION.value, Stage.DORMANT.value]
# The ELG path in order; dormant and terminated are off the path and shown after it.
FUNNEL = [Stage.PROSPECT, Stage.APPLIED, Stage.RECRUITING, Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION]
OFF_PATH = [Stage.DORMANT, Stage.TERMINATED]
MDF_ATTRIBUTION_DAYS = 90  # the rule of incentives.mdf.roi: deals registered during the activity and 90 days after
TOP = 10


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class StageRow:
    stage: str
    partners: int
    days_in_stage: float | None  # median days the partners now at this stage have spent there so far
    days_spent: float | None  # median length of the stays at this stage that ended in the period
    stays: int  # how many stays ended in the period


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
        return round(self.won_revenue / self.spent, 1) if self.spent else None


@dataclass(frozen=True)
class MdfSummary:
    activities: int = 0
    spent: int = 0
    leads: int = 0
    won_revenue: int = 0
    rows: list[MdfRow] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return round(self.won_revenue / self.spent, 1) if self.spent else None


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

def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scope(filters: Filters, *, signed_only: bool = False) -> tuple[str, dict]:
    """The CTE `scope`: the partners the filters cover, with their type, stage and tier."""
    conditions: list[str] = []
    params: dict[str, object] = {}
    if filters.owner:
        conditions.append("p.owner_id = %(owner)s")
        params["owner"] = filters.owner
    if filters.partner_type:
        conditions.append("p.partner_type = %(partner_type)s")
        params["partner_type"] = filters.partner_type
    if filters.tier:
        conditions.append("pt.tier_id = %(tier)s")
        params["tier"] = filters.tier
    if signed_only:
        conditions.append("p.stage = ANY(%(signed)s)")
        params["signed"] = SIGNED
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"""scope AS (
        SELECT p.id, p.name, p.partner_type, p.stage, p.stage_changed_at, p.created_at, pt.tier_id
          FROM partners_partner p
          LEFT JOIN programs_partnertier pt ON pt.partner_id = p.id
          {where})"""
    return sql, params


def _period(filters: Filters) -> dict:
    return {"starts_at": filters.starts_at, "ends_before": filters.ends_before, "start": filters.start,
            "end": filters.end, "tz": timezone.get_current_timezone_name(), "now": timezone.now()}


# --------------------------------------------------------------------------- sections

def stage_rows(filters: Filters) -> list[StageRow]:
    """Partners per lifecycle stage now, how long they have been there, and how long stays lasted."""
    scope, params = _scope(filters)
    params.update(_period(filters))
    now_rows = {stage: (count, days) for stage, count, days in _rows(f"""
        WITH {scope}
        SELECT s.stage, count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM %(now)s - s.stage_changed_at) / 86400)
          FROM scope s
         GROUP BY s.stage""", params)}
    # A stay ends with a stage change; it began with the partner's previous stage change or its creation.
    stays = {stage: (count, days) for stage, count, days in _rows(f"""
        WITH {scope},
        moves AS (
            SELECT e.kind, e.data ->> 'previous' AS left_stage, e.occurred_at,
                   lag(e.occurred_at) OVER (PARTITION BY e.partner_id ORDER BY e.occurred_at, e.id) AS entered_at
              FROM partners_partnerevent e
              JOIN scope s ON s.id = e.partner_id
             WHERE e.kind IN ('created', 'stage_changed'))
        SELECT left_stage, count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM occurred_at - entered_at) / 86400)
          FROM moves
         WHERE kind = 'stage_changed' AND entered_at IS NOT NULL
           AND occurred_at >= %(starts_at)s AND occurred_at < %(ends_before)s
         GROUP BY left_stage""", params)}
    rows = []
    for stage in [*FUNNEL, *OFF_PATH]:
        count, days_now = now_rows.get(stage.value, (0, None))
        stay_count, days_spent = stays.get(stage.value, (0, None))
        rows.append(StageRow(stage.value, count, _days(days_now), _days(days_spent), stay_count))
    return rows


def _days(value) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass(frozen=True)
class _DealFigures:
    kpis: dict
    registered_by_month: list[int]
    won_by_month: list[int]


def _deals_in_scope(filters: Filters) -> str:
    """A condition on deals `d` for the partner filters; none (and no join) when every partner counts."""
    return "AND d.partner_id IN (SELECT id FROM scope)" if (filters.owner or filters.partner_type or filters.tier) else ""


def _month_bounds(filters: Filters) -> dict:
    """Month boundaries for width_bucket(): bucket n (1-based) is the n-th month of the period.

    Cheaper per row than date_trunc() in the vendor's zone over a million deals.
    """
    instants = [timezone.make_aware(datetime.combine(month, time.min)) for month in filters.months]
    return {"month_instants": [*instants, filters.ends_before], "month_days": [*filters.months, filters.end]}


def deal_figures(filters: Filters) -> _DealFigures:
    """Deals registered in the period (per month), their outcome, the active partners, and time to first deal.

    A partner's first deal is in the period when it registered one there and none before (an index
    probe per partner that registered in the period, not a scan of every deal ever).
    """
    scope, params = _scope(filters)
    params.update(**_period(filters), **_month_bounds(filters), signed=SIGNED)
    in_scope = _deals_in_scope(filters)
    totals = _rows(f"""
        WITH {scope}
        SELECT count(*) FILTER (WHERE pp.registered > 0 AND s.stage = ANY(%(signed)s)),
               COALESCE(sum(pp.registered), 0), COALESCE(sum(pp.won), 0), COALESCE(sum(pp.lost), 0),
               count(first.days), percentile_cont(0.5) WITHIN GROUP (ORDER BY first.days)
          FROM (SELECT d.partner_id,
                       count(*) FILTER (WHERE d.stage <> 'rejected') AS registered,
                       count(*) FILTER (WHERE d.stage = 'won') AS won,
                       count(*) FILTER (WHERE d.stage = 'lost') AS lost,
                       min(d.registered_at) FILTER (WHERE d.stage <> 'rejected') AS first_at
                  FROM deals_dealregistration d
                 WHERE d.registered_at >= %(starts_at)s AND d.registered_at < %(ends_before)s {in_scope}
                 GROUP BY d.partner_id) pp
          JOIN scope s ON s.id = pp.partner_id
          LEFT JOIN LATERAL (
              -- a partner starts with its first agreement or its creation, as in the health figures
              SELECT GREATEST((pp.first_at AT TIME ZONE %(tz)s)::date - LEAST(
                         (s.created_at AT TIME ZONE %(tz)s)::date,
                         COALESCE((SELECT min(a.agreed_on) FROM partners_agreement a WHERE a.partner_id = s.id),
                                  (s.created_at AT TIME ZONE %(tz)s)::date)), 0) AS days
               WHERE pp.first_at IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM deals_dealregistration earlier
                                  WHERE earlier.partner_id = pp.partner_id AND earlier.stage <> 'rejected'
                                    AND earlier.registered_at < %(starts_at)s)) first ON true""", params)[0]
    active, registered_total, won_total, lost_total, first_deals, first_days = totals
    months = len(filters.months)
    registered, won = [0] * months, [0] * months
    for bucket, count_registered, count_won in _rows(f"""
        WITH {scope}
        SELECT width_bucket(d.registered_at, %(month_instants)s::timestamptz[]),
               count(*) FILTER (WHERE d.stage <> 'rejected'), count(*) FILTER (WHERE d.stage = 'won')
          FROM deals_dealregistration d
         WHERE d.registered_at >= %(starts_at)s AND d.registered_at < %(ends_before)s {in_scope}
         GROUP BY 1""", params):
        if 1 <= bucket <= months:
            registered[bucket - 1], won[bucket - 1] = count_registered, count_won
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
    """Won revenue (by the day it was won) per partner, and per month by partner type and by tier."""
    scope, params = _scope(filters)
    params.update(**_period(filters), **_month_bounds(filters), limit=limit)
    sql = f"""
        WITH {scope},
        per_month AS (
            SELECT d.partner_id, width_bucket(d.won_on, %(month_days)s::date[]) AS bucket,
                   count(*) AS won, sum(COALESCE(d.won_amount, d.amount)) AS revenue
              FROM deals_dealregistration d
             WHERE d.stage = 'won' AND d.won_on >= %(start)s AND d.won_on <= %(end)s {_deals_in_scope(filters)}
             GROUP BY 1, 2),
        joined AS (
            SELECT m.*, s.name, s.partner_type, s.tier_id FROM per_month m JOIN scope s ON s.id = m.partner_id)
        SELECT 'type', bucket, partner_type, NULL::bigint, NULL, sum(won), sum(revenue)
          FROM joined GROUP BY bucket, partner_type
        UNION ALL
        SELECT 'tier', bucket, COALESCE(tier_id::text, ''), NULL, NULL, sum(won), sum(revenue)
          FROM joined GROUP BY bucket, tier_id
        UNION ALL
        (SELECT 'partner', NULL, partner_type, partner_id, min(name), sum(won), sum(revenue)
           FROM joined GROUP BY partner_id, partner_type
          ORDER BY sum(revenue) DESC, min(name), partner_id
          LIMIT %(limit)s)"""
    months = len(filters.months)
    by_type: dict[str, list[int]] = {}
    by_tier: dict[str, list[int]] = {}
    top_rows, total = [], 0
    for kind, bucket, key, partner_id, name, won, amount in _rows(sql, params):
        if kind == "partner":
            top_rows.append((partner_id, name, key, int(won), int(amount)))
            continue
        # The last day of the period is the upper boundary itself: width_bucket puts it one past the end.
        index = min(bucket, months) - 1
        target = by_type if kind == "type" else by_tier
        target.setdefault(key, [0] * months)[index] += int(amount)
        if kind == "type":
            total += int(amount)
    tiers = _tier_names([key for key in by_tier if key])
    partner_tiers = _partner_tiers([row[0] for row in top_rows])
    top = [PartnerRevenue(pid, name, ptype, partner_tiers.get(pid, ""), won, amount)
           for pid, name, ptype, won, amount in top_rows]
    type_series = [MonthlySeries(key, "", values)
                   for key, values in sorted(by_type.items(), key=lambda item: -sum(item[1]))]
    tier_series = [MonthlySeries(key, tiers.get(key, ""), values)
                   for key, values in sorted(by_tier.items(), key=lambda item: (item[0] == "", -sum(item[1])))]
    return _Revenue(total, top, type_series, tier_series)


def _tier_names(ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = _rows("""
        SELECT t.id::text, t.name, pr.name, (SELECT count(*) FROM programs_program)
          FROM programs_tier t JOIN programs_program pr ON pr.id = t.program_id
         WHERE t.id = ANY(%(ids)s)""", {"ids": [int(i) for i in ids]})
    return {tid: (f"{program} · {name}" if programmes > 1 else name) for tid, name, program, programmes in rows}


def _partner_tiers(partner_ids: list[int]) -> dict[int, str]:
    if not partner_ids:
        return {}
    return dict(_rows("""
        SELECT pt.partner_id, t.name FROM programs_partnertier pt JOIN programs_tier t ON t.id = pt.tier_id
         WHERE pt.partner_id = ANY(%(ids)s)""", {"ids": partner_ids}))


def current_figures(filters: Filters) -> dict:
    """Signed partners, active contacts and programme participation as they are now."""
    scope, params = _scope(filters)
    params["signed"] = SIGNED
    signed, contacts, participants = _rows(f"""
        WITH {scope}
        SELECT (SELECT count(*) FROM scope WHERE stage = ANY(%(signed)s)),
               (SELECT count(*) FROM partners_contact c JOIN scope s ON s.id = c.partner_id WHERE c.stage = 'active'),
               (SELECT count(*) FROM (SELECT a.partner_id FROM partners_agreement a JOIN scope s ON s.id = a.partner_id
                                       GROUP BY a.partner_id HAVING count(DISTINCT a.kind) = 4) agreed)""", params)[0]
    return {"signed": signed, "active_contacts": contacts, "programme_participants": participants}


def mdf_summary(filters: Filters, *, limit: int | None = TOP) -> MdfSummary:
    """Claimed MDF activities that started in the period, with the revenue attributed to them."""
    scope, params = _scope(filters)
    params.update(_period(filters))
    params.update(limit=limit, days=MDF_ATTRIBUTION_DAYS)
    rows = _rows(f"""
        WITH {scope},
        activities AS (
            SELECT r.id, r.partner_id, s.name, r.activity, r.starts_on, r.ends_on, c.amount AS spent, c.leads,
                   COALESCE((SELECT sum(d.won_amount) FROM deals_dealregistration d
                              WHERE d.partner_id = r.partner_id AND d.stage = 'won'
                                AND (d.registered_at AT TIME ZONE %(tz)s)::date >= r.starts_on
                                AND (d.registered_at AT TIME ZONE %(tz)s)::date <= r.ends_on + %(days)s), 0) AS won
              FROM incentives_mdfrequest r
              JOIN incentives_mdfclaim c ON c.request_id = r.id
              JOIN scope s ON s.id = r.partner_id
             WHERE r.status IN ('claimed', 'reimbursed') AND r.starts_on >= %(start)s AND r.starts_on <= %(end)s)
        SELECT id, partner_id, name, activity, starts_on, ends_on, spent, leads, won,
               count(*) OVER (), sum(spent) OVER (), sum(leads) OVER (), sum(won) OVER ()
          FROM activities
         ORDER BY won DESC, spent DESC, id
         LIMIT %(limit)s""", params)
    if not rows:
        return MdfSummary()
    first = rows[0]
    return MdfSummary(activities=first[9], spent=int(first[10]), leads=int(first[11]), won_revenue=int(first[12]),
                      rows=[MdfRow(*row[:9]) for row in rows])


def health(filters: Filters, *, movers: int | None = TOP) -> Health:
    """Scores of the signed partners in scope now, and who moved most between the period's first and last snapshot."""
    from partners.health.models import HealthRun, HealthSettings

    settings = HealthSettings.current()
    run = HealthRun.objects.filter(finished_at__isnull=False).order_by("-id").values_list("id", "finished_at").first()
    scope, params = _scope(filters, signed_only=True)
    params.update(_period(filters))
    params["limit"] = movers
    bands: dict[str, int] = {}
    buckets = [0] * 10
    total = scored = 0
    for band, bucket, count, score_sum in _rows(f"""
        WITH {scope}
        SELECT h.band, LEAST(h.score / 10, 9), count(*), sum(h.score)
          FROM partners_healthscore h JOIN scope s ON s.id = h.partner_id
         GROUP BY 1, 2""", params):
        bands[band] = bands.get(band, 0) + count
        buckets[bucket] += count
        scored += count
        total += score_sum
    mover_rows = _rows(f"""
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


def customer_retention(filters: Filters) -> CustomerRetention:
    """Customer retention of the partners in scope on the period's last day (today while it runs)."""
    as_of = min(filters.end, timezone.localdate())
    retention = incentive_selectors.customer_retention(as_of)
    if filters.owner or filters.partner_type or filters.tier:
        scope, params = _scope(filters)
        retention = retention.within([pk for (pk,) in _rows(f"WITH {scope} SELECT id FROM scope", params)])
    names = dict(_rows("SELECT id, name FROM partners_partner WHERE id = ANY(%(ids)s)",
                       {"ids": list(retention.by_partner)})) if retention.by_partner else {}
    rows = sorted((RetentionRow(pk, names.get(pk, str(pk)), figure.base, figure.retained, figure.rate)
                   for pk, figure in retention.by_partner.items()),
                  key=lambda row: (-row.base, -(row.rate or 0), row.name, row.partner_id))
    overall = retention.overall
    return CustomerRetention(as_of, retention.then, overall.base, overall.retained, overall.rate, rows)


def export_rows(name: str, filters: Filters) -> int:
    """A cheap bound on the rows of a table's CSV: the ranked lists have one row per partner (or MDF
    activity) at most; the other tables have a row per stage, month or band and are always small."""
    scope, params = _scope(filters, signed_only=name == "movers")
    params.update(_period(filters))
    if name == "revenue_by_partner":
        sql = f"""WITH {scope} SELECT count(DISTINCT d.partner_id) FROM deals_dealregistration d
                   WHERE d.stage = 'won' AND d.won_on >= %(start)s AND d.won_on <= %(end)s
                     AND d.partner_id IN (SELECT id FROM scope)"""
    elif name == "mdf_roi":
        sql = f"""WITH {scope} SELECT count(*) FROM incentives_mdfrequest r JOIN scope s ON s.id = r.partner_id
                   WHERE r.status IN ('claimed', 'reimbursed') AND r.starts_on >= %(start)s AND r.starts_on <= %(end)s"""
    elif name == "movers":
        sql = f"WITH {scope} SELECT count(*) FROM scope"
    else:
        return 0
    return int(_rows(sql, params)[0][0])


def overview(filters: Filters) -> Overview:
    """Every section of the insights dashboard for these filters, uncached (see partners.dashboards.cached)."""
    deals = deal_figures(filters)
    money = revenue(filters)
    kpis = Kpis(**current_figures(filters), **deals.kpis, revenue=money.total)
    return Overview(
        filters=filters, computed_at=timezone.now(), stages=stage_rows(filters), kpis=kpis,
        deals_by_month=[MonthlySeries("registered", "", deals.registered_by_month),
                        MonthlySeries("won", "", deals.won_by_month)],
        top_partners=money.top, revenue_by_type=money.by_type, revenue_by_tier=money.by_tier,
        mdf=mdf_summary(filters), health=health(filters), retention=customer_retention(filters),
    )

