"""The partners a console filter covers, and the set-based figures of the partners tables over them.

The insights dashboard answers each of its sections with one statement over the partners in scope (10,000 in the
benchmark): it starts its statements from the CTE `scope_sql` writes, so the partners tables are named here and
nowhere else. The figures of the partners tables themselves (stages, stays, contacts, agreements) are read here
whole; insights turns them into its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prm.reads import fetch_rows


@dataclass(frozen=True)
class PartnerScope:
    """Which partners a filter covers; an empty field does not limit them."""

    owner: int | None = None
    partner_type: str = ""
    # (SQL of a relation of partner ids, its parameters) written by the app that owns the tables it reads, e.g.
    # programs.selectors.partners_in_tier_sql: the partners holding a tier
    within: tuple[str, dict[str, object]] | None = None
    stages: list[str] | None = None


def scope_sql(scope: PartnerScope) -> tuple[str, dict[str, object]]:
    """The CTE `scope AS (…)` of the partners `scope` covers, with their id, name, partner_type, stage,
    stage_changed_at, created_at and waiting (the lifecycle rule not yet met), and its named parameters (all
    starting `scope_`) for the statement it opens."""
    conditions: list[str] = []
    params: dict[str, object] = {}
    if scope.owner:
        conditions.append("p.owner_id = %(scope_owner)s")
        params["scope_owner"] = scope.owner
    if scope.partner_type:
        conditions.append("p.partner_type = %(scope_partner_type)s")
        params["scope_partner_type"] = scope.partner_type
    if scope.within is not None:
        relation, relation_params = scope.within
        conditions.append(f"p.id IN ({relation})")
        params.update(relation_params)
    if scope.stages is not None:
        conditions.append("p.stage = ANY(%(scope_stages)s)")
        params["scope_stages"] = scope.stages
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"""scope AS (
        SELECT p.id, p.name, p.partner_type, p.stage, p.stage_changed_at, p.created_at,
               p.stage_reason ->> 'next' AS waiting
          FROM partners_partner p
          {where})"""
    return sql, params


@dataclass(frozen=True)
class ScopeFigures:
    signed: int  # partners of the scope at one of `signed_stages`
    active_contacts: int  # contacts at the stage Active of every partner in scope, as `active_contacts` counts them
    programme_participants: int  # partners that agreed to all four agreements, as `program_participation_count`


def scope_figures(scope: PartnerScope, *, signed_stages: list[str]) -> ScopeFigures:
    """Signed partners, active contacts and programme participants of the scope as they are now, in one statement."""
    cte, params = scope_sql(scope)
    params["signed"] = signed_stages
    signed, contacts, participants = fetch_rows(f"""
        WITH {cte}
        SELECT (SELECT count(*) FROM scope WHERE stage = ANY(%(signed)s)),
               (SELECT count(*) FROM partners_contact c JOIN scope s ON s.id = c.partner_id WHERE c.stage = 'active'),
               (SELECT count(*) FROM (SELECT a.partner_id FROM partners_agreement a JOIN scope s ON s.id = a.partner_id
                                       GROUP BY a.partner_id HAVING count(DISTINCT a.kind) = 4) agreed)""", params)[0]
    return ScopeFigures(signed, contacts, participants)


@dataclass(frozen=True)
class StageDurations:
    current: dict[str, tuple[int, float | None]]  # stage → partners at it now, median days they have been there
    ended: dict[str, tuple[int, float | None]]  # stage → stays at it that ended in the period, their median days
    waiting: dict[str, list[tuple[str, int]]]  # stage → (the lifecycle rule not yet met, partners waiting on it)


def stage_durations(scope: PartnerScope, *, now: datetime, starts_at: datetime, ends_before: datetime) -> StageDurations:
    """Partners of the scope per lifecycle stage now and how long they have been there; and the stays that ended
    from `starts_at` to `ends_before` (a stay ends with a stage change and began with the partner's previous stage
    change or its creation) and how long they lasted."""
    cte, params = scope_sql(scope)
    params.update(now=now, starts_at=starts_at, ends_before=ends_before)
    current = {stage: (count, days) for stage, count, days in fetch_rows(f"""
        WITH {cte}
        SELECT s.stage, count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM %(now)s - s.stage_changed_at) / 86400)
          FROM scope s
         GROUP BY s.stage""", params)}
    ended = {stage: (count, days) for stage, count, days in fetch_rows(f"""
        WITH {cte},
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
    # Where they wait: the lifecycle rule each partner has not met yet (partners.lifecycle.rules).
    waiting: dict[str, list[tuple[str, int]]] = {}
    for stage, rule, count in fetch_rows(f"""
        WITH {cte}
        SELECT s.stage, s.waiting, count(*) FROM scope s
         WHERE s.waiting <> '' GROUP BY 1, 2 ORDER BY 3 DESC, 2""", params):
        waiting.setdefault(stage, []).append((rule, count))
    return StageDurations(current, ended, waiting)


def start_day_sql(partner: str, zone_param: str = "tz") -> str:
    """SQL for the day partner row `partner` started, in the vendor's zone (the named parameter `zone_param`):
    its first agreement, or the day it was created when that came first or it has none. The one definition of
    a partner's start: health, the dashboard's time to first deal and the recognition badges use it."""
    created = f"({partner}.created_at AT TIME ZONE %({zone_param})s)::date"
    return (f"LEAST({created}, COALESCE((SELECT min(a.agreed_on) FROM partners_agreement a "
            f"WHERE a.partner_id = {partner}.id), {created}))")
