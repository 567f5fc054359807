"""What a dashboard is about: a period of whole months and the partners (owner, type, tier) it covers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerType
from prm.accounts.models import STAFF_ROLES, User

MAX_MONTHS = 60  # five years: longer periods are refused rather than scanned


class Preset:
    LAST_12_MONTHS = "12m"
    FISCAL_YEAR = "fy"
    QUARTER = "quarter"
    CUSTOM = "custom"


PRESETS = [
    (Preset.LAST_12_MONTHS, _("Last 12 months")),
    (Preset.FISCAL_YEAR, _("This fiscal year")),
    (Preset.QUARTER, _("This quarter")),
    (Preset.CUSTOM, _("Custom (from – to)")),
]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return _add_months(day, 1) - timedelta(days=1)


def _fiscal_start_month() -> int:
    from django.db import connection

    return getattr(connection.tenant, "fiscal_year_start_month", 4) or 4


@dataclass(frozen=True)
class Filters:
    """`start` is the first day of the first month, `end` the last day of the last month (both included)."""

    start: date
    end: date
    owner: int | None = None
    partner_type: str = ""
    tier: int | None = None

    @classmethod
    def preset(cls, name: str = Preset.LAST_12_MONTHS, *, today: date | None = None, **partners) -> Filters:
        today = today or timezone.localdate()
        this_month = today.replace(day=1)
        if name == Preset.FISCAL_YEAR:
            first = _fiscal_start_month()
            start = this_month.replace(month=first) if today.month >= first else date(today.year - 1, first, 1)
            return cls(start, _month_end(_add_months(start, 11)), **partners)
        if name == Preset.QUARTER:
            offset = (today.month - _fiscal_start_month()) % 3
            start = _add_months(this_month, -offset)
            return cls(start, _month_end(_add_months(start, 2)), **partners)
        return cls(_add_months(this_month, -11), _month_end(this_month), **partners)

    @property
    def months(self) -> list[date]:
        """The first day of every month in the period."""
        result, month = [], self.start
        while month <= self.end:
            result.append(month)
            month = _add_months(month, 1)
        return result

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period, in the vendor's zone."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def key(self) -> str:
        text = f"{self.start:%Y%m%d}-{self.end:%Y%m%d}-{self.owner or ''}-{self.partner_type}-{self.tier or ''}"
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def parse_month(value: str) -> date:
    """'2026-04' → 2026-04-01; anything else raises ValueError."""
    year, month = value.strip().split("-")
    if len(year) != 4 or len(month) not in (1, 2):
        raise ValueError(value)
    return date(int(year), int(month), 1)


def _staff():
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name", "email")


def _tiers():
    from programs.selectors import tiers_in_order

    return tiers_in_order()


class TierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.program.name} · {obj.name}"


class DashboardForm(forms.Form):
    """Period and partner filters. An impossible period is a form error and nothing is computed."""

    period = forms.ChoiceField(label=_("Period"), required=False, choices=PRESETS)
    start = forms.CharField(label=_("From (month)"), required=False,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-04"}))
    end = forms.CharField(label=_("To (month)"), required=False,
                          widget=forms.TextInput(attrs={"type": "month", "placeholder": "2027-03"}))
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("All"))
    partner_type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All")), *PartnerType.choices])
    tier = TierChoiceField(label=_("Tier"), required=False, queryset=None, empty_label=_("All"))

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["owner"].queryset = _staff()
        self.fields["tier"].queryset = _tiers()

    def clean(self):
        cleaned = super().clean()
        start_text, end_text = (cleaned.get("start") or "").strip(), (cleaned.get("end") or "").strip()
        # Months typed in the form win; the preset links send no months.
        preset = Preset.CUSTOM if (start_text or end_text) else cleaned.get("period") or Preset.LAST_12_MONTHS
        partners = {
            "owner": cleaned["owner"].pk if cleaned.get("owner") else None,
            "partner_type": cleaned.get("partner_type") or "",
            "tier": cleaned["tier"].pk if cleaned.get("tier") else None,
        }
        if preset != Preset.CUSTOM:
            cleaned["filters"] = Filters.preset(preset, today=self.today, **partners)
            return cleaned
        months = {}
        for name, text in (("start", start_text), ("end", end_text)):
            if not text:
                self.add_error(name, _("Choose a month."))
                continue
            try:
                months[name] = parse_month(text)
            except ValueError:
                self.add_error(name, _("Enter a month as YYYY-MM, e.g. 2026-04."))
        if len(months) < 2:
            return cleaned
        start, end = months["start"], months["end"]
        if start > end:
            self.add_error("end", _("The period cannot end before it starts."))
            return cleaned
        if (end.year - start.year) * 12 + end.month - start.month + 1 > MAX_MONTHS:
            self.add_error("end", _("Choose a period of at most five years (60 months)."))
            return cleaned
        cleaned["filters"] = Filters(start, _month_end(end), **partners)
        return cleaned

    def presets(self) -> list[tuple[str, str, bool]]:
        """(label, query string, active) per preset period, keeping the partner filters."""
        current = self.cleaned_data.get("filters") if self.is_valid() else None
        keep = {name: self.data.get(name) for name in ("owner", "partner_type", "tier") if self.data.get(name)}
        result = []
        for code, label in PRESETS:
            if code == Preset.CUSTOM:
                continue
            period = Filters.preset(code, today=self.today)
            active = current is not None and (current.start, current.end) == (period.start, period.end)
            result.append((str(label), urlencode({"period": code, **keep}), active))
        return result

    def display(self) -> DashboardForm:
        """The form to show: a valid one shows the months it resolved to, so that editing one is a custom period."""
        if not self.is_valid():
            return self
        filters = self.cleaned_data["filters"]
        return DashboardForm(initial={
            "start": f"{filters.start:%Y-%m}", "end": f"{filters.end:%Y-%m}", "owner": filters.owner,
            "partner_type": filters.partner_type, "tier": filters.tier}, today=self.today)

    def filters(self) -> Filters:
        if not self.is_valid():
            raise ValidationError(_("The filters are not valid."))
        return self.cleaned_data["filters"]
