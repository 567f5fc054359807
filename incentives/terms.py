"""Payment terms: 月末締め翌月末払い by default, checked against the Subcontract Act's 60 days."""

from __future__ import annotations

import calendar
from datetime import date

from partners import japan

# 下請法: payment within 60 days of receiving the goods or service.
SUBCONTRACT_ACT_DAYS = 60


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day_in_month(month: date, day: int) -> date:
    """`day` of `month`'s month; 0 (or a day past the end) means the last day (末日)."""
    last = month_end(month)
    return last if day == 0 else date(last.year, last.month, min(day, last.day))


def _close_and_due_unmoved(period: date, *, close_day: int, pay_month_offset: int, pay_day: int) -> tuple[date, date]:
    close = _day_in_month(period, close_day)
    due = _day_in_month(add_months(period.replace(day=1), pay_month_offset), pay_day)
    return close, due


def close_and_due(period: date, *, pay_month_offset: int, pay_day: int, close_day: int = 0) -> tuple[date, date]:
    """The close falls on `close_day` of the period's month (0 = 末日); payment `pay_month_offset`
    months later on `pay_day` (0 = 末日), moved back to the bank business day before it when banks
    are closed that day."""
    close, due = _close_and_due_unmoved(period, close_day=close_day, pay_month_offset=pay_month_offset,
                                        pay_day=pay_day)
    return close, japan.previous_bank_business_day(due)


def longest_days_to_payment(*, close_day: int, pay_month_offset: int, pay_day: int) -> int:
    """The most days from a close to its payment these terms give in any month (short and leap
    Februaries and 31-day months included); zero or less when payment would not come after the close."""
    spans = []
    for year in (2027, 2028):  # a common year and a leap year cover every month length
        for month in range(1, 13):
            close, due = _close_and_due_unmoved(date(year, month, 1), close_day=close_day,
                                                pay_month_offset=pay_month_offset, pay_day=pay_day)
            spans.append((due - close).days)
    return max(spans) if min(spans) > 0 else min(spans)


def exceeds_subcontract_act(close: date, due: date) -> bool:
    """下請法: payment within 60 days of receiving the service (here: the close)."""
    return (due - close).days > SUBCONTRACT_ACT_DAYS
