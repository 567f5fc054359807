"""How Kyoso writes numbers, money and dates for Japanese (and English) readers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from html import escape as _html_escape

from django.utils import timezone, translation


def escape_html(value) -> str:
    """What Django's conditional_escape writes (safe text as it is, anything else escaped), without its wrapper for
    lazy arguments: a page that writes its rows or options in Python calls it hundreds of times."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _html_escape(str(value))


_EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def format_number(value: int | Decimal | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{int(value):,}"


def format_yen(value: int | Decimal | None) -> str:
    """¥ with thousands separators and no decimals; fractions are cut toward zero (切り捨て)."""
    if value is None or value == "":
        return "—"
    amount = int(Decimal(value).quantize(Decimal(1), rounding=ROUND_DOWN))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,}"


def _japanese() -> bool:
    return (translation.get_language() or "ja").startswith("ja")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if _japanese():
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{_EN_MONTHS[value.month - 1]} {value.day}, {value.year}"


def format_month(value: date | datetime | None) -> str:
    """A month as its readers write it: 2026年10月 / Oct 2026."""
    if value is None:
        return "—"
    if _japanese():
        return f"{value.year}年{value.month}月"
    return f"{_EN_MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(local)} {local:%H:%M}"


def format_datetime_seconds(value: datetime | None) -> str:
    """To the second, in the vendor's zone: for 'who registered first' comparisons."""
    if value is None:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(local)} {local:%H:%M:%S}"


def format_ordinal(value: int | None) -> str:
    """A position in an order: 1番目, 2番目… in Japanese; 1st, 2nd, 3rd, 11th, 21st… in English."""
    if value is None:
        return "—"
    if _japanese():
        return f"{value}番目"
    suffix = "th" if value % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    return f"{value}{suffix}"
