"""Payment terms: 月末締め翌月末払い by default, checked against the Subcontract Act's 60 days."""

from __future__ import annotations

import calendar
from datetime import date


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def close_and_due(period: date, *, pay_month_offset: int, pay_day: int) -> tuple[date, date]:
    """The close is the last day of the period's month; payment falls `pay_month_offset` months later,
    on `pay_day` (0 = the last day of that month)."""
    close = month_end(period)
    target = add_months(date(close.year, close.month, 1), pay_month_offset)
    due = month_end(target) if pay_day == 0 else date(target.year, target.month, min(pay_day, month_end(target).day))
    return close, due


def exceeds_subcontract_act(close: date, due: date) -> bool:
    """下請法: payment within 60 days of receiving the service (here: the close)."""
    return (due - close).days > 60
