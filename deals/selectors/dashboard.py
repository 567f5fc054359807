"""The deals tables' parts of the insights dashboard's statements.

The dashboard answers a section with one statement over every partner in scope (10,000 in the benchmark, a
million registrations): fetching a row per partner and month into Python to join it there with the partners'
names and tiers cost more than the statement itself. So each owner writes the part of the statement over its
own tables, and insights joins the parts (partners.selectors.scope_sql, programs.selectors.held_tiers_sql and
these). What a part counts is defined here and nowhere else: `registrations_in_period_sql` counts registered
deals as the catalogue does (rejected ones excluded), `won_by_month_sql` counts won revenue by the day it was
won, as deals.selectors.won_revenue does.
"""

from __future__ import annotations

from datetime import date, datetime


def registrations_in_period_sql(starts_at: datetime, ends_before: datetime) -> tuple[str, dict[str, object]]:
    """A relation of one row per partner that registered a deal from `starts_at` (included) to `ends_before`
    (excluded): partner_id, registered (rejected ones excluded), won, lost, first_at (its first registration in
    the period) and registered_before (whether it had registered one before the period; an index probe per
    partner, evaluated only where the statement asks for it). Its parameters start with `regs_`."""
    sql = """
        SELECT pp.partner_id, pp.registered, pp.won, pp.lost, pp.first_at,
               EXISTS (SELECT 1 FROM deals_dealregistration earlier
                        WHERE earlier.partner_id = pp.partner_id AND earlier.stage <> 'rejected'
                          AND earlier.registered_at < %(regs_starts_at)s) AS registered_before
          FROM (SELECT d.partner_id,
                       count(*) FILTER (WHERE d.stage <> 'rejected') AS registered,
                       count(*) FILTER (WHERE d.stage = 'won') AS won,
                       count(*) FILTER (WHERE d.stage = 'lost') AS lost,
                       min(d.registered_at) FILTER (WHERE d.stage <> 'rejected') AS first_at
                  FROM deals_dealregistration d
                 WHERE d.registered_at >= %(regs_starts_at)s AND d.registered_at < %(regs_ends_before)s
                 GROUP BY d.partner_id) pp"""
    return sql, {"regs_starts_at": starts_at, "regs_ends_before": ends_before}


def won_by_month_sql(month_firsts: list[date], end: date) -> tuple[str, dict[str, object]]:
    """A relation of one row per partner and month with a won deal: partner_id, month (1 for the month starting
    on `month_firsts[0]`), won (deals) and revenue (¥), counted by the day the deal was won, for the months
    starting on `month_firsts`, the last one ending on `end` (included). Its parameters start with `won_`."""
    sql = """
        SELECT d.partner_id,
               -- the period's last day is the upper boundary itself: width_bucket puts it one past the end
               LEAST(width_bucket(d.won_on, %(won_days)s::date[]), %(won_months)s) AS month,
               count(*) AS won, COALESCE(sum(d.won_amount), 0) AS revenue
          FROM deals_dealregistration d
         WHERE d.stage = 'won' AND d.won_on >= %(won_start)s AND d.won_on <= %(won_end)s
         GROUP BY 1, 2"""
    return sql, {"won_days": [*month_firsts, end], "won_months": len(month_firsts), "won_start": month_firsts[0],
                 "won_end": end}
