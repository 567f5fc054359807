"""The bounds a real business needs on numbers and dates, and no more: one place for all apps.

Model fields take the validators (so the admin and services refuse the same values) and
forms take the fields built here, so every bad value is a translated error naming the field.
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from prm.formatting import format_date

# Yen amounts: a trillion yen is beyond any single deal, budget or target a partner business has.
MAX_YEN = 10**12
# Counts typed by people (leads, reps, attendees, targets): a million is already generous.
MAX_COUNT = 1_000_000
# Spans typed in days (validity, extensions, windows): ten years.
MAX_DAYS = 3650
# Dates people type: the business lives in this century.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)

yen_validators = [MinValueValidator(0), MaxValueValidator(MAX_YEN)]
positive_yen_validators = [MinValueValidator(1), MaxValueValidator(MAX_YEN)]
count_validators = [MinValueValidator(0), MaxValueValidator(MAX_COUNT)]
fiscal_year_validators = [MinValueValidator(MIN_DATE.year), MaxValueValidator(MAX_DATE.year)]
day_validators = [MinValueValidator(0), MaxValueValidator(MAX_DAYS)]


def validate_business_date(value: date) -> None:
    if value is None:
        return
    if not (MIN_DATE <= value <= MAX_DATE):
        raise ValidationError(
            _("Enter a date between %(start)s and %(end)s."),
            code="date_out_of_range",
            params={"start": format_date(MIN_DATE), "end": format_date(MAX_DATE)},
        )


def parse_ascii_int(text: str) -> int | None:
    """`text` as an integer written with the digits 0-9 only (an optional leading minus); else None."""
    text = text.strip()
    body = text[1:] if text.startswith("-") else text
    if not body or len(body) > 18 or not (body.isascii() and body.isdigit()):
        return None
    return int(text)


class AsciiIntegerField(forms.IntegerField):
    """An integer typed with the digits 0-9 only (no ², no full-width or other scripts' digits
    slipping through Python's int()), bounded at both ends."""

    default_error_messages = {"invalid": _("Enter a whole number using the digits 0-9.")}

    def to_python(self, value):
        if value not in self.empty_values:
            text = str(value).strip().replace(",", "")
            if text.startswith("+") and not text.startswith("+-"):
                text = text[1:]
            value = parse_ascii_int(text)
            if value is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def yen_field(label, *, required: bool = True, allow_zero: bool = True, **kwargs) -> AsciiIntegerField:
    return AsciiIntegerField(label=label, required=required, min_value=0 if allow_zero else 1,
                             max_value=MAX_YEN, **kwargs)


def count_field(label, *, required: bool = True, min_value: int = 0, max_value: int = MAX_COUNT,
                **kwargs) -> AsciiIntegerField:
    return AsciiIntegerField(label=label, required=required, min_value=min_value, max_value=max_value, **kwargs)


def parse_month(text: str) -> date | None:
    """`YYYY-MM` (ASCII digits, month 1-12, within the business years) as the first day of that month; else None."""
    year_text, separator, month_text = text.strip().partition("-")
    if not separator or len(year_text) != 4 or not 1 <= len(month_text) <= 2:
        return None
    if not (year_text + month_text).isascii() or not (year_text + month_text).isdigit():
        return None
    year, month = int(year_text), int(month_text)
    if not 1 <= month <= 12:
        return None
    value = date(year, month, 1)
    return value if MIN_DATE.replace(day=1) <= value <= MAX_DATE else None


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (the browser's month input); cleans to the first day of it."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM between %(start)s and %(end)s.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month"}))
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        month = parse_month(text)
        if month is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid",
                                  params={"start": MIN_DATE.strftime("%Y-%m"), "end": MAX_DATE.strftime("%Y-%m")})
        return month

    def run_validators(self, value):
        return None  # max_length applies to the text, checked above by parse_month

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


class BusinessDateField(forms.DateField):
    """A date within the years a business plans in; refuses 0001-01-01 and 9999-12-31."""

    default_validators = [validate_business_date]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)


def validate_business_datetime(value: datetime) -> None:
    if value is None:
        return
    validate_business_date(value.date())


class BusinessDateTimeField(forms.DateTimeField):
    """A date and time within the business years (the browser's datetime-local input)."""

    default_validators = [validate_business_datetime]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:  # year 1 or 9999 moved across a time zone
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
