"""From dashboard numbers to what a reader sees, in the reader's language: KPI cards, charts and tables.

Every table is defined once (`Table`): the page shows it and `?format=csv&table=<name>` downloads
exactly the same columns with raw values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from insights import charts
from insights.dashboards import selectors
from insights.dashboards.filters import Filters
from partners.lifecycle.texts import RULE_LABELS
from partners.models import PartnerType, Stage
from prm import csv_export
from prm.formatting import format_date, format_number, format_yen

BAND_COLOURS = {"healthy": "success", "at_risk": "warning", "dormant": "danger"}


# --------------------------------------------------------------------------- tables

@dataclass(frozen=True)
class Cell:
    value: object  # raw: what the CSV holds
    kind: str = "text"  # text | number | change | money | percent | days | date | ratio
    href: str = ""
    badge: str = ""  # a Bootstrap colour: shown as a badge
    figure: str = ""  # a catalogued figure (prm.figures): shown with its definition and window
    window: object = None
    partner: int | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in {"number", "change", "money", "percent", "days", "ratio"}

    @property
    def display(self) -> str:
        value = self.value
        if value is None or value == "":
            return "—"
        if self.kind == "number":
            return format_number(value)
        if self.kind == "change":  # signed, so a rise reads as one: +12, -38
            return f"{value:+,}"
        if self.kind == "money":
            return format_yen(value)
        if self.kind == "percent":
            return f"{value}%"
        if self.kind == "days":
            return _("%(days)s days") % {"days": round(value)}
        if self.kind == "ratio":
            return f"{value}×"
        if self.kind == "date":
            return format_date(value)
        return str(value)

    @property
    def csv(self) -> object:
        if self.value is None:
            return ""
        if isinstance(self.value, date):
            return self.value.isoformat()
        return self.value


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = ""

    @property
    def header_cells(self) -> list[tuple[str, bool]]:
        """(header, right-aligned) pairs: numeric columns are aligned right."""
        first = self.rows[0] if self.rows else []
        return [(header, index < len(first) and first[index].numeric) for index, header in enumerate(self.headers)]

    def csv_bytes(self) -> bytes:
        """UTF-8 with a BOM, so that Excel opens Japanese text correctly; formulas escaped."""
        return csv_export.csv_bytes(self.headers, ([cell.csv for cell in row] for row in self.rows))


def _stage_label(code: str) -> str:
    return str(dict(Stage.choices).get(code, code))


def _type_label(code: str) -> str:
    return str(dict(PartnerType.choices).get(code, code))


def _band_label(code: str) -> str:
    from insights.health.models import HealthBand

    return str(dict(HealthBand.choices).get(code, code))


def _month(day: date) -> str:
    return charts.month_label(day, with_year=True)


def _partner_url(partner_id: int) -> str:
    return reverse("partner_detail", kwargs={"pk": partner_id})


def _stage_url(stage: str, filters: Filters) -> str:
    query = {"stage": stage}
    if filters.partner_type:
        query["partner_type"] = filters.partner_type
    if filters.owner:
        query["owner"] = filters.owner
    return f"{reverse('partner_list')}?{urlencode(query)}"


def _waiting_text(row: selectors.StageRow) -> str:
    """"First deal 12 · Active contact 3": how many of the stage's partners wait on which rule."""
    return " · ".join(f"{RULE_LABELS.get(rule, rule)} {format_number(count)}" for rule, count in row.waiting)


def stages_table(rows: list[selectors.StageRow], filters: Filters) -> Table:
    return Table("stages", _("Partners per lifecycle stage"), [
        _("Stage"), _("Partners"), _("Median time in the stage so far"), _("Stays that ended in the period"),
        _("Median length of those stays"), _("Waiting on (the rule not yet met)")], [
        [Cell(_stage_label(r.stage), href=_stage_url(r.stage, filters)), Cell(r.partners, "number"),
         Cell(r.days_in_stage, "days"), Cell(r.stays, "number"), Cell(r.days_spent, "days"),
         Cell(_waiting_text(r))] for r in rows])


def kpi_table(kpis: selectors.Kpis) -> Table:
    return Table("kpis", _("Key figures"), [_("Measure"), _("Value")], [
        [Cell(_("Signed partners")), Cell(kpis.signed, "number")],
        [Cell(_("Active partners (registered a deal in the period)")), Cell(kpis.active_partners, "number")],
        [Cell(_("Active partner rate")), Cell(kpis.active_rate, "percent")],
        [Cell(_("Active contacts")), Cell(kpis.active_contacts, "number")],
        [Cell(_("Program participation (all four agreements)")), Cell(kpis.programme_participants, "number")],
        [Cell(_("Registered deals")), Cell(kpis.registered, "number")],
        [Cell(_("Won deals (of those registered)")), Cell(kpis.won, "number")],
        [Cell(_("Lost deals (of those registered)")), Cell(kpis.lost, "number")],
        [Cell(_("Win rate")), Cell(kpis.win_rate, "percent")],
        [Cell(_("Won revenue")), Cell(kpis.revenue, "money")],
        [Cell(_("First deals in the period")), Cell(kpis.first_deals, "number")],
        [Cell(_("Median time to first deal")), Cell(kpis.days_to_first_deal, "days")],
    ])


def deals_table(overview: selectors.Overview) -> Table:
    registered, won = overview.deals_by_month
    return Table("deals_by_month", _("Registered deals per month"), [
        _("Month"), _("Registered deals"), _("Won (of those registered)")], [
        [Cell(_month(month)), Cell(registered.values[i], "number"), Cell(won.values[i], "number")]
        for i, month in enumerate(overview.filters.months)])


def partners_table(top: list[selectors.PartnerRevenue], retention: selectors.CustomerRetention,
                   window=None) -> Table:
    rates = {row.partner_id: row.rate for row in retention.rows}
    return Table("revenue_by_partner", _("Revenue by partner"), [
        _("Position"), _("Partner"), _("Type"), _("Tier"), _("Won deals"), _("Won revenue"), _("Customer retention")], [
        [Cell(index, "number"), Cell(row.name, href=_partner_url(row.partner_id)), Cell(_type_label(row.partner_type)),
         Cell(row.tier or "—"), Cell(row.won, "number", figure="won_deals", window=window, partner=row.partner_id),
         Cell(row.revenue, "money", figure="won_revenue", window=window, partner=row.partner_id),
         Cell(rates.get(row.partner_id), "percent")]
        for index, row in enumerate(top, start=1)], empty=_("No won deals in this period."))


def period_window(filters: Filters):
    """The dashboard period as a window of prm.figures (a calendar or fiscal year is named as one)."""
    from django.db import connection
    from django.utils import timezone

    from prm import figures

    return figures.period(filters.start, filters.end, getattr(connection.tenant, "fiscal_year_start_month", 4) or 4,
                          today=timezone.localdate())


def retention_table(retention: selectors.CustomerRetention) -> Table:
    return Table("customer_retention", _("Customer retention by partner"), [
        _("Partner"), _("Customers paying 12 months before"), _("Still paying"), _("Customer retention")], [
        [Cell(row.name, href=_partner_url(row.partner_id)), Cell(row.base, "number"), Cell(row.retained, "number"),
         Cell(row.rate, "percent")] for row in retention.rows],
        empty=_("No customer paid a recurring invoice twelve months before the end of the period."))


def retention_definition() -> str:
    from incentives.selectors import retention_definition as definition

    return definition()


def _series_name(series: selectors.MonthlySeries, kind: str) -> str:
    if kind == "type":
        return _type_label(series.key)
    return series.name or _("No tier")


def monthly_table(name: str, title: str, months: list[date], series: list[selectors.MonthlySeries], kind: str) -> Table:
    headers = [_("Month"), *[_series_name(s, kind) for s in series], _("Total")]
    rows = [[Cell(_month(month)), *[Cell(s.values[i], "money") for s in series],
             Cell(sum(s.values[i] for s in series), "money")] for i, month in enumerate(months)]
    return Table(name, title, headers, rows if series else [], empty=_("No won deals in this period."))


def mdf_table(mdf: selectors.MdfSummary, window=None) -> Table:
    return Table("mdf_roi", _("Return on MDF"), [
        _("Partner"), _("Activity"), _("From"), _("To"), _("Spent"), _("Leads"), _("Won revenue"), _("MDF ROI")], [
        [Cell(r.partner, href=_partner_url(r.partner_id)), Cell(r.activity), Cell(r.starts_on, "date"),
         Cell(r.ends_on, "date"), Cell(r.spent, "money"), Cell(r.leads, "number"), Cell(r.won_revenue, "money"),
         Cell(r.ratio, "ratio", figure="mdf_roi", window=window)] for r in mdf.rows],
        empty=_("No claimed MDF activities started in this period."))


def band_table(health: selectors.Health) -> Table:
    rows = []
    for band in ("healthy", "at_risk", "dormant"):
        count = health.bands.get(band, 0)
        share = round(count * 100 / health.scored, 1) if health.scored else None
        rows.append([Cell(_band_label(band), badge=BAND_COLOURS[band]), Cell(count, "number"), Cell(share, "percent")])
    return Table("health_bands", _("Partners per health band"), [_("Band"), _("Partners"), _("Share")], rows)


def _bucket_label(index: int) -> str:
    return f"{index * 10}–{index * 10 + 9}" if index < 9 else "90–100"


def histogram_table(health: selectors.Health) -> Table:
    return Table("health_histogram", _("Health score distribution"), [_("Score"), _("Partners")], [
        [Cell(_bucket_label(i)), Cell(count, "number")] for i, count in enumerate(health.buckets)])


def movers_table(health: selectors.Health) -> Table:
    return Table("movers", _("Biggest movers"), [
        _("Partner"), _("First score in the period"), _("First scored on"), _("Latest score"), _("Latest scored on"),
        _("Score change"), _("Band")], [
        [Cell(m.name, href=_partner_url(m.partner_id)), Cell(m.before, "number"), Cell(m.before_day, "date"),
         Cell(m.after, "number"), Cell(m.after_day, "date"), Cell(m.change, "change", badge="success" if m.change > 0 else "danger"),
         Cell(_band_label(m.band), badge=BAND_COLOURS.get(m.band, "secondary"))]
        for m in health.movers], empty=_("No score changed in this period."))


TABLES = ("kpis", "stages", "deals_by_month", "revenue_by_partner", "revenue_by_type", "revenue_by_tier", "mdf_roi",
          "health_bands", "health_histogram", "movers", "customer_retention")


def tables(overview: selectors.Overview) -> dict[str, Table]:
    months = overview.filters.months
    return {
        "kpis": kpi_table(overview.kpis),
        "stages": stages_table(overview.stages, overview.filters),
        "deals_by_month": deals_table(overview),
        "revenue_by_partner": partners_table(overview.top_partners, overview.retention, period_window(overview.filters)),
        "revenue_by_type": monthly_table("revenue_by_type", _("Revenue by partner type"), months,
                                         overview.revenue_by_type, "type"),
        "revenue_by_tier": monthly_table("revenue_by_tier", _("Revenue by tier"), months, overview.revenue_by_tier,
                                         "tier"),
        "mdf_roi": mdf_table(overview.mdf, period_window(overview.filters)),
        "health_bands": band_table(overview.health),
        "health_histogram": histogram_table(overview.health),
        "movers": movers_table(overview.health),
        "customer_retention": retention_table(overview.retention),
    }


# --------------------------------------------------------------------------- charts and cards

@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    icon: str
    detail: str = ""


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


def kpi_cards(kpis: selectors.Kpis) -> list[Kpi]:
    days = "—" if kpis.days_to_first_deal is None else _("%(days)s days") % {"days": round(kpis.days_to_first_deal)}
    return [
        Kpi(_("Active partner rate"), _percent(kpis.active_rate), "activity",
            _("%(active)s of %(signed)s signed partners registered a deal") % {
                "active": format_number(kpis.active_partners), "signed": format_number(kpis.signed)}),
        Kpi(_("Active contacts"), format_number(kpis.active_contacts), "person-check",
            _("contacts who registered a lead or deal recently")),
        Kpi(_("Program participation"), format_number(kpis.programme_participants), "trophy",
            _("partners with all four agreements")),
        Kpi(_("Registered deals"), format_number(kpis.registered), "briefcase",
            _("registered in the period, rejected ones excluded")),
        Kpi(_("Win rate"), _percent(kpis.win_rate), "bullseye",
            _("%(won)s won, %(lost)s lost of the period's registrations") % {
                "won": format_number(kpis.won), "lost": format_number(kpis.lost)}),
        Kpi(_("Won revenue"), format_yen(kpis.revenue), "currency-yen", _("deals won in the period")),
        Kpi(_("Median time to first deal"), days, "hourglass-split",
            _("%(count)s partners registered their first deal in the period") % {
                "count": format_number(kpis.first_deals)}),
    ]


def retention_card(retention: selectors.CustomerRetention) -> Kpi:
    return Kpi(_("Customer retention (顧客継続率)"), _percent(retention.rate), "arrow-repeat",
               _("%(retained)s of %(base)s customers paying on %(then)s still pay") % {
                   "retained": format_number(retention.retained), "base": format_number(retention.base),
                   "then": format_date(retention.then)})


@dataclass(frozen=True)
class Page:
    kpis: list[Kpi]
    tables: dict[str, Table]
    charts: dict[str, SafeString]
    overview: selectors.Overview
    retention_definition: str = ""


def page(overview: selectors.Overview) -> Page:
    months = overview.filters.months
    health = overview.health
    funnel_steps = []
    for row in overview.stages:
        note = (_("median %(days)s days here") % {"days": round(row.days_in_stage)}
                if row.days_in_stage is not None else "")
        waiting = ""
        if row.waiting:  # the rule most of them have not met
            rule, count = row.waiting[0]
            waiting = _("%(rule)s: %(count)s waiting") % {"count": format_number(count),
                                                          "rule": RULE_LABELS.get(rule, rule)}
        funnel_steps.append(charts.Step(_stage_label(row.stage), row.partners, note,
                                        muted=row.stage in {s.value for s in selectors.OFF_PATH},
                                        href=_stage_url(row.stage, overview.filters), detail=waiting))
    registered, won = overview.deals_by_month
    bins = []
    for index, count in enumerate(health.buckets):
        low = index * 10
        band = "healthy" if low >= health.healthy_from else "at_risk" if low >= health.at_risk_from else "dormant"
        bins.append(charts.Bin(_bucket_label(index), count, charts.BAND_FILLS[band]))
    chart_map = {
        "funnel": charts.funnel("chart-funnel", _("Partners per lifecycle stage"), funnel_steps),
        "deals": charts.line_chart("chart-deals", _("Registered deals per month"), months, [
            charts.Series(_("Registered deals"), registered.values),
            charts.Series(_("Won (of those registered)"), won.values, charts.PALETTE[1])]),
        "partners": charts.bars("chart-partners", _("Revenue by partner (top 10)"), [
            charts.Bar(row.name, row.revenue, _partner_url(row.partner_id)) for row in overview.top_partners],
            fmt=format_yen),
        "by_type": charts.stacked_bars("chart-by-type", _("Revenue by partner type"), months, [
            charts.Series(_series_name(s, "type"), s.values) for s in overview.revenue_by_type],
            fmt=format_yen, axis_fmt=charts.compact_yen),
        "by_tier": charts.stacked_bars("chart-by-tier", _("Revenue by tier"), months, [
            charts.Series(_series_name(s, "tier"), s.values) for s in overview.revenue_by_tier],
            fmt=format_yen, axis_fmt=charts.compact_yen),
        "histogram": charts.histogram("chart-health", _("Health score distribution"), bins,
                                      axis_label=_("Health score")),
    }
    return Page([*kpi_cards(overview.kpis), retention_card(overview.retention)], tables(overview), chart_map, overview,
                retention_definition())


# --------------------------------------------------------------------------- CSV

FULL_LISTS = {"revenue_by_partner", "mdf_roi", "movers"}  # the page shows the top rows; the CSV has them all


def export_table(name: str, filters: Filters) -> Table:
    """The table as on the page; the ranked lists in full. KeyError for an unknown table."""
    from insights.dashboards.cached import overview

    if name not in TABLES:
        raise KeyError(name)
    if name == "revenue_by_partner":
        return partners_table(selectors.revenue(filters, limit=None).top, selectors.customer_retention(filters))
    if name == "mdf_roi":
        return mdf_table(selectors.mdf_summary(filters, limit=None), period_window(filters))
    if name == "movers":
        return movers_table(selectors.health(filters, movers=None))
    return tables(overview(filters))[name]


def csv_filename(name: str, filters: Filters) -> str:
    return f"insights-{name}-{filters.start:%Y%m}-{filters.end:%Y%m}.csv"
