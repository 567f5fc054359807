"""Every partner's programme metrics, set-based: one aggregate query per source table and window."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import connection

from programs.evaluation import metric_key
from programs.models import Metric, Program, Window


def window_start(window: str, today: date) -> date:
    if window == Window.FISCAL_YEAR:
        start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4
        year = today.year if today.month >= start_month else today.year - 1
        return date(year, start_month, 1)
    return today - timedelta(days=365)


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def compute(partner_ids: list[int] | None, programs: dict[int, Program], program_of: dict[int, int],
            today: date) -> dict[int, dict[str, int]]:
    """metrics[partner_id]["won_revenue@trailing_12m"] = 8_200_000 …, for both windows.

    `program_of` maps partner → programme (for the points rules). Queries run over the whole
    tenant (or the given partners) with GROUP BY; no Python loop touches a deal or contact row.
    """
    metrics: dict[int, dict[str, int]] = defaultdict(dict)
    scope = "" if partner_ids is None else " AND partner_id = ANY(%(ids)s)"
    base = {"ids": partner_ids or []}
    # Points rules as SQL VALUES so the points are computed in the same aggregate.
    rules = [(pid, p.points_per_million_sourced, p.points_per_million_assisted) for pid, p in programs.items()] or [(0, 0, 0)]
    rule_values = ", ".join(["(%s, %s, %s)"] * len(rules))
    rule_params = [v for rule in rules for v in rule]
    assignment = list(program_of.items()) or [(0, 0)]
    assign_values = ", ".join(["(%s, %s)"] * len(assignment))
    assign_params = [v for pair in assignment for v in pair]

    for window in Window.values:
        start = window_start(window, today)
        params = {**base, "start": start, "today": today}
        key = lambda metric, window=window: metric_key(metric, window)  # noqa: E731
        for partner_id, revenue, won, registered in _rows(
            f"""
            SELECT partner_id,
                   COALESCE(SUM(won_amount) FILTER (WHERE stage = 'won' AND won_on BETWEEN %(start)s AND %(today)s), 0),
                   COUNT(*) FILTER (WHERE stage = 'won' AND won_on BETWEEN %(start)s AND %(today)s),
                   COUNT(*) FILTER (WHERE stage <> 'rejected' AND registered_at::date BETWEEN %(start)s AND %(today)s)
            FROM deals_dealregistration WHERE TRUE {scope}
            GROUP BY partner_id
            """, params):
            metrics[partner_id][key(Metric.WON_REVENUE)] = int(revenue)
            metrics[partner_id][key(Metric.WON_DEALS)] = won
            metrics[partner_id][key(Metric.REGISTERED_DEALS)] = registered
        # Sales points: per ¥1M won, more for partner-sourced deals than vendor-assisted ones
        # (the vendor generated the lead or joined a meeting: 商談同行).
        sql = f"""
            WITH rules(program_id, sourced, assisted) AS (VALUES {rule_values}),
                 assignment(partner_id, program_id) AS (VALUES {assign_values})
            SELECT d.partner_id,
                   FLOOR(SUM(d.won_amount * CASE WHEN d.role_lead = 'partner' AND NOT EXISTS (
                              SELECT 1 FROM deals_dealmeeting m WHERE m.deal_id = d.id)
                         THEN r.sourced ELSE r.assisted END) / 1000000.0)
            FROM deals_dealregistration d
            JOIN assignment a ON a.partner_id = d.partner_id
            JOIN rules r ON r.program_id = a.program_id
            WHERE d.stage = 'won' AND d.won_on BETWEEN %s AND %s {scope.replace('partner_id', 'd.partner_id').replace('%(ids)s', '%s')}
            GROUP BY d.partner_id
        """
        extra = [partner_ids] if partner_ids is not None else []
        for partner_id, points in _rows(sql, [*rule_params, *assign_params, start, today, *extra]):
            metrics[partner_id][key(Metric.SALES_POINTS)] = int(points or 0)
        for partner_id, retained in _rows(
            f"""
            SELECT partner_id, COUNT(*) FROM (
                SELECT partner_id, name_key FROM deals_dealregistration
                WHERE stage = 'won' AND won_on BETWEEN %(start)s AND %(today)s {scope}
                GROUP BY partner_id, name_key HAVING COUNT(*) >= 2) repeat
            GROUP BY partner_id
            """, params):
            metrics[partner_id][key("retained_customers")] = retained
        for partner_id, activities in _rows(
            f"""
            SELECT partner_id, COUNT(*) FROM partners_activity
            WHERE kind IN ('regular_meeting', 'qbr', 'kickoff', 'meeting') AND occurred_at::date BETWEEN %(start)s AND %(today)s {scope}
            GROUP BY partner_id
            """, params):
            metrics[partner_id][key("activities")] = activities
        for partner_id, certified, certifications in _rows(
            f"""
            SELECT partner_id, COUNT(DISTINCT contact_id), COUNT(*) FROM partners_contactsignal
            WHERE kind = 'certified' AND occurred_at::date BETWEEN %(start)s AND %(today)s {scope}
            GROUP BY partner_id
            """, params):
            metrics[partner_id][key(Metric.CERTIFIED_REPS)] = certified
            metrics[partner_id][key("certifications")] = certifications
    for partner_id, active in _rows(
        f"SELECT partner_id, COUNT(*) FROM partners_contact WHERE stage = 'active' {scope} GROUP BY partner_id", base):
        for window in Window.values:
            metrics[partner_id][metric_key(Metric.ACTIVE_CONTACTS, window)] = active
    for partner_id, values in metrics.items():
        program = programs.get(program_of.get(partner_id))
        for window in Window.values:
            key = lambda metric, window=window: metric_key(metric, window)  # noqa: E731
            management = 0
            if program is not None:
                management = (values.get(key("activities"), 0) * program.points_per_activity
                              + values.get(key("certifications"), 0) * program.points_per_certification
                              + values.get(key("retained_customers"), 0) * program.points_per_retained_customer)
            values[key(Metric.MANAGEMENT_POINTS)] = management
            values[key(Metric.TOTAL_POINTS)] = values.get(key(Metric.SALES_POINTS), 0) + management
    return metrics
