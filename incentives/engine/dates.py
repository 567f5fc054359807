"""Dates and order: the processing order of events, payout periods and months after a win."""

from __future__ import annotations

import re
from calendar import isleap
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incentives.engine.values import Event

PERIODS = ("month", "quarter", "year")
_NUMBER_RUNS = re.compile(r"(\d+)")
_split_number_runs = _NUMBER_RUNS.split


def natural_key(text: str) -> tuple[tuple[str | int, ...], str]:
    """Digit runs compared as numbers; split() puts them at odd places, so str meets str and int int."""
    parts: list[Any] = _split_number_runs(text)
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts), text


def event_order(event: Event) -> tuple[date, tuple[tuple[str | int, ...], str]]:
    return event.occurred_on, natural_key(event.event_id)


def in_order(events: Iterable[Event]) -> list[Event]:
    """The events sorted by `event_order`. Sorted by day first and then one day's ties at a
    time, so that the natural-order keys never exist for all events at once."""
    ordered = sorted(events, key=_day)
    start = 0
    counts = Counter(map(_day, ordered))  # events per day, counted in C
    for day in sorted(counts):
        count = counts[day]
        if count > 1:
            ties = ordered[start:start + count]
            keys = list(map(natural_key, map(_event_id, ties)))
            ordered[start:start + count] = map(ties.__getitem__, sorted(range(count), key=keys.__getitem__))
        start += count
    return ordered


_day: Callable[[Event], date] = attrgetter("occurred_on")
_event_id: Callable[[Event], str] = attrgetter("event_id")


def months_after(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when there is none or `day` is the
    last day of its month (民法 143)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    last = _days_in_month(year, month)
    if day.day == _days_in_month(day.year, day.month):
        return date(year, month, last)
    return date(year, month, min(day.day, last))


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def period_key(day: date, period: str, fiscal_year_start_month: int) -> tuple[int, int]:
    """(calendar year, month) for "month"; (fiscal year, quarter 1–4) for "quarter"; (fiscal
    year, 0) for "year". A fiscal year is named by the calendar year it starts in (FY2026 =
    April 2026 – March 2027 when it starts in April)."""
    if period == "month":
        return day.year, day.month
    fiscal_year = day.year if day.month >= fiscal_year_start_month else day.year - 1
    if period == "year":
        return fiscal_year, 0
    return fiscal_year, (day.month - fiscal_year_start_month) % 12 // 3 + 1


def iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
