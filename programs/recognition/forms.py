"""The leaderboard filter shared by the console and the portal."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from programs.recognition import periods, rules
from programs.recognition.periods import Period
from programs.recognition_models import AwardKind

GROUPS = {periods.MONTH: _("Months"), periods.QUARTER: _("Fiscal quarters"), periods.YEAR: _("Fiscal years")}


class LeaderboardForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), error_messages={
        "invalid_choice": _("Choose a period from the list (a month, a fiscal quarter or a fiscal year)."),
    })
    metric = forms.ChoiceField(label=_("Ranked by"), error_messages={
        "invalid_choice": _("Choose what to rank partners by from the list."),
    })

    def __init__(self, data=None, *, today: date, start_month: int, metrics=tuple(rules.METRICS)):
        self.default_period = periods.period_containing(periods.QUARTER, today, start_month)
        self.start_month = start_month
        # An empty filter shows the current quarter by revenue; a filter given is always validated.
        super().__init__(data if data else None, initial={"period": self.default_period.key, "metric": metrics[0]})
        offered = periods.recent(today, start_month)
        self.fields["period"].choices = [
            (str(GROUPS[kind]), [(p.key, p.label) for p in offered[kind]]) for kind in periods.KINDS]
        self.fields["metric"].choices = [(key, rules.METRICS[key]) for key in metrics]
        self.fields["period"].required = self.fields["metric"].required = False

    def selection(self) -> tuple[Period, str] | None:
        """(period, metric) to show: the defaults when nothing was asked, None when the filter is invalid."""
        if not self.is_bound:
            return self.default_period, self.initial["metric"]
        if not self.is_valid():
            return None
        key = self.cleaned_data["period"]
        period = periods.parse(key, self.start_month) if key else self.default_period
        return period, self.cleaned_data["metric"] or self.initial["metric"]


class AwardPublishForm(forms.Form):
    kind = forms.ChoiceField(choices=AwardKind.choices)
