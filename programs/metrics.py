"""Every partner's programme metrics, set-based: one aggregate query per source table and window."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import partial

from django.db import connection

from programs.evaluation import metric_key
from programs.models import Metric, Program, Window


def window_start(window: str, today: date) -> date:
    if window == Window.FISCAL_YEAR:
        start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4
        year = today.year if today.month >= start_month else today.year - 1
        return date(year, start_month, 1)
    return today - timedelta(days=365)


# What a points metric is made of: asking for it asks for these in the same window.
PARTS = {Metric.TOTAL_POINTS: (Metric.SALES_POINTS, Metric.MANAGEMENT_POINTS),
         Metric.MANAGEMENT_POINTS: ("activities", "certifications", "retained_customers")}


def _with_parts(keys: set[str]) -> set[str]:
    """The metric keys and the keys each of them is computed from."""
    found = set(keys)
    pending = list(keys)
    while pending:
        metric, window = pending.pop().split("@", 1)
        for part in PARTS.get(metric, ()):
            key = metric_key(part, window)
            if key not in found:
                found.add(key)
                pending.append(key)
    return found


def compute(partner_ids: list[int] | None, programs: dict[int, Program], program_of: dict[int, int],
            today: date, keys: set[str] | None = None) -> dict[int, dict[str, int]]:
    """metrics[partner_id]["won_revenue@trailing_12m"] = 8_200_000 …, for both windows; with `keys`, only those
    metrics (and what they are made of), each counted as without them: a page showing the progress to one
    tier asks for its requirements only.

    `program_of` maps partner → programme (for the points rules). Every figure comes from the selector of
    the app that owns it (prm.figures), each one GROUP BY over the tenant (or the given partners): no
    Python loop touches a deal or contact row. Certified reps and active contacts are taken on `today`
    (the same in both windows); the rest over the window ending `today`.
    """
    from datetime import datetime, time

    from django.utils import timezone

    from deals import selectors as deals
    from enablement import selectors as enablement
    from partners import selectors as partners

    wanted = None if keys is None else _with_parts(keys)
    windows = [window for window in Window.values
               if wanted is None or any(key.endswith(f"@{window}") for key in wanted)]

    def needs(window: str, *metrics: str) -> bool:
        return wanted is None or any(metric_key(metric, window) in wanted for metric in metrics)

    def needed_anywhere(metric: str) -> bool:
        return any(needs(window, metric) for window in windows)

    metrics: dict[int, dict[str, int]] = defaultdict(dict)
    at = timezone.make_aware(datetime.combine(today, time.max)) if today != timezone.localdate() else timezone.now()
    certified_now = (enablement.reps_with_valid_certification(partner_ids, at)
                     if needed_anywhere(Metric.CERTIFIED_REPS) else {})
    active_now = partners.active_contacts(partner_ids, today) if needed_anywhere(Metric.ACTIVE_CONTACTS) else {}

    for window in windows:
        start = window_start(window, today)
        key = partial(metric_key, window=window)
        if needs(window, Metric.WON_REVENUE, Metric.WON_DEALS):
            for partner_id, (revenue, won) in deals.won_totals(partner_ids, start, today).items():
                metrics[partner_id][key(Metric.WON_REVENUE)] = revenue
                metrics[partner_id][key(Metric.WON_DEALS)] = won
        if needs(window, Metric.REGISTERED_DEALS):
            for partner_id, registered in deals.registered_deal_count(partner_ids, start, today).items():
                metrics[partner_id][key(Metric.REGISTERED_DEALS)] = registered
        # Sales points: per ¥1M won, more for partner-sourced deals than vendor-assisted ones
        # (the vendor generated the lead or joined a meeting: 商談同行).
        if needs(window, Metric.SALES_POINTS):
            for partner_id, (sourced, assisted) in deals.won_revenue_by_source(partner_ids, start, today).items():
                program = programs.get(program_of.get(partner_id))
                if program is not None:
                    metrics[partner_id][key(Metric.SALES_POINTS)] = (
                        sourced * program.points_per_million_sourced + assisted * program.points_per_million_assisted
                    ) // 1_000_000
        if needs(window, "retained_customers"):
            for partner_id, retained in deals.repeat_customer_count(partner_ids, start, today).items():
                metrics[partner_id][key("retained_customers")] = retained
        if needs(window, "activities"):
            for partner_id, activities in partners.meeting_count(partner_ids, start, today).items():
                metrics[partner_id][key("activities")] = activities
        if needs(window, "certifications"):
            for partner_id, certifications in enablement.certifications_earned_between(partner_ids, start,
                                                                                       today).items():
                metrics[partner_id][key("certifications")] = certifications
        for partner_id, certified in certified_now.items():
            metrics[partner_id][key(Metric.CERTIFIED_REPS)] = certified
        for partner_id, active in active_now.items():
            metrics[partner_id][key(Metric.ACTIVE_CONTACTS)] = active
    for partner_id, values in metrics.items():
        program = programs.get(program_of.get(partner_id))
        for window in windows:
            if not needs(window, Metric.MANAGEMENT_POINTS, Metric.TOTAL_POINTS):
                continue
            key = partial(metric_key, window=window)
            management = 0
            if program is not None:
                management = (values.get(key("activities"), 0) * program.points_per_activity
                              + values.get(key("certifications"), 0) * program.points_per_certification
                              + values.get(key("retained_customers"), 0) * program.points_per_retained_customer)
            values[key(Metric.MANAGEMENT_POINTS)] = management
            values[key(Metric.TOTAL_POINTS)] = values.get(key(Metric.SALES_POINTS), 0) + management
    return metrics
