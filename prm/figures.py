"""The catalogue of figures shown to users: what each number means and over which window.

Pure data (no domain app is imported here: prm stays the floor). The app that owns a figure's tables
computes it in its selectors (named in `owner`); every screen renders it with the `{% figure %}` tag of
prm.templatetags.kyoso_figures, which prints the number with its definition and window and marks it up
(data-figure, data-window, data-partner, data-value) so tests can check that a partner's figure is the
same on every screen that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------- windows

NOW, TRAILING_12_MONTHS, FISCAL_YEAR, CALENDAR_YEAR, PERIOD = "now", "t12m", "fiscal_year", "calendar_year", "period"

WINDOW_KINDS = {
    NOW: _("On the day shown"),
    TRAILING_12_MONTHS: _("Trailing 12 months (the 365 days up to the day shown)"),
    FISCAL_YEAR: _("Fiscal year (from the vendor's fiscal start month; up to the day shown while it runs)"),
    CALENDAR_YEAR: _("Calendar year (January to December)"),
    PERIOD: _("The period chosen on the page (a month, quarter or custom dates)"),
}


@dataclass(frozen=True)
class Window:
    """Days `start`–`end` (both included); `start` is None for a figure taken on one day (`end`)."""

    kind: str
    start: date | None
    end: date
    year: int | None = None

    @property
    def key(self) -> str:
        """Stable id of the window, the same on every screen: now, t12m, fy2026, cy2026, 2026-07-01..2026-09-30."""
        if self.kind == NOW:
            return "now"
        if self.kind == TRAILING_12_MONTHS:
            return "t12m"
        if self.kind == FISCAL_YEAR:
            return f"fy{self.year}"
        if self.kind == CALENDAR_YEAR:
            return f"cy{self.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        from django.utils.translation import gettext

        if self.kind == NOW:
            return gettext("as of %(day)s") % {"day": _day(self.end)}
        if self.kind == TRAILING_12_MONTHS:
            return gettext("Trailing 12 months")
        if self.kind == FISCAL_YEAR:
            return gettext("FY%(year)s") % {"year": self.year}
        if self.kind == CALENDAR_YEAR:
            return gettext("%(year)s (calendar year)") % {"year": self.year}
        return gettext("%(start)s – %(end)s") % {"start": _day(self.start), "end": _day(self.end)}


def _day(day: date) -> str:
    from prm.formatting import format_date

    return format_date(day)


def as_of(day: date) -> Window:
    return Window(NOW, None, day)


def trailing_12_months(today: date) -> Window:
    return Window(TRAILING_12_MONTHS, today - timedelta(days=365), today)


def fiscal_year_start(day: date, start_month: int) -> date:
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def fiscal_year(year: int, start_month: int, *, today: date | None = None) -> Window:
    """FY2026 with an April start: 2026-04-01 to 2027-03-31, cut at `today` while it runs."""
    start = date(year, start_month, 1)
    end = date(year + 1, start_month, 1) - timedelta(days=1)
    if today is not None and start <= today < end:
        end = today
    return Window(FISCAL_YEAR, start, end, year)


def fiscal_year_to_date(today: date, start_month: int) -> Window:
    return fiscal_year(fiscal_year_start(today, start_month).year, start_month, today=today)


def period(start: date, end: date, start_month: int, *, today: date | None = None) -> Window:
    """The window of dates a page chose: named as a fiscal or calendar year when it is one."""
    if start.month == 1 and start.day == 1 and end == date(start.year, 12, 31):
        return Window(CALENDAR_YEAR, start, end, start.year)
    if start == date(start.year, start_month, 1) and end == date(start.year + 1, start_month, 1) - timedelta(days=1):
        return fiscal_year(start.year, start_month, today=today)
    return Window(PERIOD, start, end)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # lazy
    definition: object  # lazy
    windows: tuple[str, ...]
    owner: str  # the selector that computes it
    money: bool = False
    console_only: bool = False
    ratio: bool = False  # a multiple shown as 3.2×, not a count


FIGURES: tuple[Figure, ...] = (
    Figure("won_revenue", _("Won revenue"),
           _("Sum of the confirmed won amounts of the partner's deals won (by the deal's won-on date) within the "
             "window. Wins still awaiting the vendor's confirmation and wins the customer later cancelled are not "
             "counted."),
           (TRAILING_12_MONTHS, FISCAL_YEAR, CALENDAR_YEAR, PERIOD), "deals.selectors.won_revenue", money=True),
    Figure("won_deals", _("Won deals"),
           _("Number of the partner's deals won (by the won-on date) within the window, on the same terms as won "
             "revenue."),
           (TRAILING_12_MONTHS, FISCAL_YEAR, CALENDAR_YEAR, PERIOD), "deals.selectors.won_deal_count"),
    Figure("registered_deals", _("Registered deals"),
           _("Number of deals the partner registered within the window (by registration date), rejected "
             "registrations excluded."),
           (TRAILING_12_MONTHS, FISCAL_YEAR, PERIOD), "deals.selectors.registered_deal_count"),
    Figure("certified_reps", _("Certified reps"),
           _("People who, on the day shown, are active users and members of the partner and hold at least one "
             "certification that has not expired; each person is counted once however many they hold."),
           (NOW,), "enablement.selectors.reps_with_valid_certification"),
    Figure("reps_certified", _("Reps newly certified"),
           _("People of the partner who earned a certification within the window, each counted once "
             "(whether or not it is still valid)."),
           (PERIOD, FISCAL_YEAR), "enablement.selectors.reps_certified_between"),
    Figure("active_contacts", _("Active contacts"),
           _("The partner's contacts whose lifecycle stage is Active (they registered a lead or deal recently) "
             "on the day shown."),
           (NOW,), "partners.selectors.active_contacts"),
    Figure("sales_points", _("Sales points"),
           _("Programme points for won revenue in the window: per ¥1M won, the programme's rate for partner-sourced "
             "deals or the lower rate for vendor-assisted ones."),
           (TRAILING_12_MONTHS, FISCAL_YEAR), "programs.metrics.compute"),
    Figure("management_points", _("Management points"),
           _("Programme points for regular meetings, certifications earned and repeat customers in the window."),
           (TRAILING_12_MONTHS, FISCAL_YEAR), "programs.metrics.compute"),
    Figure("total_points", _("Total points"),
           _("Sales points plus management points."),
           (TRAILING_12_MONTHS, FISCAL_YEAR), "programs.metrics.compute"),
    Figure("mdf_roi", _("MDF ROI"),
           _("For MDF activities claimed (or reimbursed) that started within the window: revenue of the partner's "
             "won deals registered during each activity and up to 90 days after it, divided by the amount claimed "
             "for it. Unclaimed activities are not counted."),
           (PERIOD, FISCAL_YEAR, CALENDAR_YEAR), "incentives.selectors.mdf_roi", ratio=True),
    Figure("health_score", _("Health score"),
           _("The vendor's 0–100 assessment of the partner from its latest computation: logins, deals, certified "
             "reps, quiz pass rate, active contacts, conversion, recency and time to first deal, weighted."),
           (NOW,), "insights.health", console_only=True),
)

BY_KEY = {figure.key: figure for figure in FIGURES}


def get(key: str) -> Figure:
    return BY_KEY[key]


def for_site(site: str) -> list[Figure]:
    """The figures a site's help page lists: the portal leaves out the vendor's own assessments."""
    return [figure for figure in FIGURES if site == "console" or not figure.console_only]


def help_rows(site: str) -> list[dict]:
    """The help page's rows: each figure with the labels of the windows it is shown over."""
    return [{"figure": figure, "windows": [WINDOW_KINDS[kind] for kind in figure.windows]}
            for figure in for_site(site)]

