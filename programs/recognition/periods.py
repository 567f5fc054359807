"""Reporting periods, pure: a calendar month, a fiscal quarter or a fiscal year.

Quarters and years follow the vendor's fiscal year (April by default: FY2026 Q1 is April to June
2026). A period has a stable key for URLs ("month:2026-05", "quarter:2026-1", "year:2026").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

MONTH, QUARTER, YEAR = "month", "quarter", "year"
KINDS = (MONTH, QUARTER, YEAR)
KEY = re.compile(r"^(?:month:(\d{4})-(\d{2})|quarter:(\d{4})-([1-4])|year:(\d{4}))$")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def fiscal_year_of(day: date, start_month: int) -> int:
    return day.year if day.month >= start_month else day.year - 1


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive
    fiscal_year: int
    number: int  # month 1–12, fiscal quarter 1–4, 0 for a year
    start_month: int = 4

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"month:{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"quarter:{self.fiscal_year}-{self.number}"
        return f"year:{self.fiscal_year}"

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return _("%(month)s %(year)s") % {"month": MONTHS[self.start.month], "year": self.start.year}
        if self.kind == QUARTER:
            return _("FY%(year)s Q%(quarter)s") % {"year": self.fiscal_year, "quarter": self.number}
        return _("FY%(year)s") % {"year": self.fiscal_year}

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - timedelta(days=1), self.start_month)

    def following(self) -> Period:
        return period_containing(self.kind, self.end + timedelta(days=1), self.start_month)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def bounds(self) -> tuple[datetime, datetime]:
        """[from, to) as aware datetimes in the current time zone: timestamps compare against these."""
        zone = timezone.get_current_timezone()
        return (datetime.combine(self.start, time.min, tzinfo=zone),
                datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone))


def period_containing(kind: str, day: date, start_month: int = 4) -> Period:
    if kind == MONTH:
        start = day.replace(day=1)
        return Period(MONTH, start, _add_months(start, 1) - timedelta(days=1), fiscal_year_of(day, start_month),
                      day.month, start_month)
    year = fiscal_year_of(day, start_month)
    year_start = date(year, start_month, 1)
    if kind == QUARTER:
        months_in = (day.year * 12 + day.month) - (year_start.year * 12 + year_start.month)
        number = months_in // 3 + 1
        start = _add_months(year_start, (number - 1) * 3)
        return Period(QUARTER, start, _add_months(start, 3) - timedelta(days=1), year, number, start_month)
    if kind == YEAR:
        return Period(YEAR, year_start, _add_months(year_start, 12) - timedelta(days=1), year, 0, start_month)
    raise ValueError(kind)


def parse(key: str, start_month: int = 4) -> Period:
    """The period a key names; ValueError for anything else."""
    match = KEY.match(key or "")
    if not match:
        raise ValueError(key)
    month_year, month, quarter_year, quarter, year = match.groups()
    if month_year:
        if not 1 <= int(month) <= 12:
            raise ValueError(key)
        return period_containing(MONTH, date(int(month_year), int(month), 1), start_month)
    if quarter_year:
        first = _add_months(date(int(quarter_year), start_month, 1), (int(quarter) - 1) * 3)
        return period_containing(QUARTER, first, start_month)
    return period_containing(YEAR, date(int(year), start_month, 1), start_month)


def recent(today: date, start_month: int = 4) -> dict[str, list[Period]]:
    """The periods a filter offers: 12 months, 8 quarters and 3 fiscal years, newest first."""
    choices: dict[str, list[Period]] = {MONTH: [], QUARTER: [], YEAR: []}
    for kind, count in ((MONTH, 12), (QUARTER, 8), (YEAR, 3)):
        period = period_containing(kind, today, start_month)
        for _step in range(count):
            choices[kind].append(period)
            period = period.previous()
    return choices
