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


def in_order(events: Iterable[Event], *, ids_in_order: bool = False) -> list[Event]:
    """The events sorted by `event_order`. Sorted by day first and then one day's ties at a
    time, so that the natural-order keys never exist for all events at once.

    `ids_in_order`: the caller gives the events in the natural order of their ids (as
    incentives.runs.recorded_events reads them). The sort by day keeps the order of equal days, so
    each day's ties are in order already and their keys are not needed: a tenth of the time."""
    ordered = sorted(events, key=_day)
    if ids_in_order:
        return ordered
    start = 0
    counts = Counter(map(_day, ordered))  # events per day, counted in C
    for day in sorted(counts):
        count = counts[day]
        if count > 1:
            ties = ordered[start:start + count]
            keys = _tie_keys(list(map(_event_id, ties)))
            ordered[start:start + count] = map(ties.__getitem__, sorted(range(count), key=keys.__getitem__))
        start += count
    return ordered


_ASCII_DIGIT_RUNS = re.compile(r"[0-9]+")


class _LongNumber(Exception):
    """A digit run longer than `_number_code` writes: the ties are sorted by `natural_key` itself."""


def _number_code(run: re.Match[str]) -> str:
    """A digit run as text that sorts as its number: its digits without leading zeros, after a character that
    counts them and sorts below every printable one (a shorter number, or the end of a text part, comes first)."""
    digits = run[0].lstrip("0")
    if len(digits) > 30:
        raise _LongNumber
    return chr(len(digits) + 1) + digits


def _tie_keys(event_ids: list[str]) -> list[Any]:
    """Keys that sort one day's event ids as `natural_key` does. Ids of printable ASCII (the database's) get
    (the id with each digit run as its `_number_code`, the id), which sorts as natural_key's parts and then
    the id: one substitution over all of the day's ids instead of a split and a tuple of parts per event."""
    joined = "\0".join(event_ids)  # NUL: neither printable nor a `_number_code` count, so it splits them again
    if joined.isascii() and "".join(event_ids).isprintable():
        try:
            return list(zip(_ASCII_DIGIT_RUNS.sub(_number_code, joined).split("\0"), event_ids, strict=True))
        except _LongNumber:
            pass
    return list(map(natural_key, event_ids))


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
