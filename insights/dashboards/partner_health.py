"""The health card of one partner: its score explained, and its trend. Two or three queries whatever the partner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from insights import charts
from partners.models import Partner
from partners.selectors.listing import PartnerRow
from prm.reads import ModelRows, Read

TREND_DAYS = 90
# Units of the health components as the card and the QBR pack show them
PERCENT_COMPONENTS = {"logins", "certified", "pass_rate", "active_contacts", "conversion"}
DAY_COMPONENTS = {"recency", "first_deal"}
BAND_COLOURS = {"healthy": "success", "at_risk": "warning", "dormant": "danger"}


@dataclass(frozen=True)
class ComponentRow:
    key: str
    label: str
    value: str  # the raw figure, with its unit
    points: int
    weight: int | None  # None: does not apply to this partner (shown as —)
    contribution: float | None


class _ScoreMove:
    """The band's colour and the move since the previous computation, of a score the card or the header shows."""

    score: int
    band: str
    previous_score: int | None

    @property
    def colour(self) -> str:
        return BAND_COLOURS.get(self.band, "secondary")

    @property
    def change(self) -> int | None:
        return None if self.previous_score is None else self.score - self.previous_score


@dataclass(frozen=True)
class HealthCard(_ScoreMove):
    score: int
    band: str
    band_label: str
    previous_score: int | None
    computed_at: datetime
    components: list[ComponentRow]
    trend: list[tuple[date, int]]
    healthy_from: int
    at_risk_from: int
    actions: list = field(default_factory=list)  # next best actions (insights.health.actions)
    # Today's figures from their owners (prm.figures), shown beside the score's rates
    certified_reps: int = 0
    active_contacts: int = 0
    contacts: int = 0
    window: object = None

    @property
    def sparkline(self) -> SafeString:
        return charts.sparkline("health-trend", _("Health score, last 90 days"), self.trend,
                                bands=(self.at_risk_from, self.healthy_from))


@dataclass(frozen=True)
class HealthHeadline(_ScoreMove):
    """The score and its move since the previous computation, for the partner page's header."""

    score: int
    band: str
    band_label: str
    previous_score: int | None
    window: object  # prm.figures.Window of the day


@cache
def _score_read() -> tuple[ModelRows, str]:
    from insights.health.models import HealthScore

    rows = ModelRows(HealthScore)
    return rows, f"SELECT {rows.columns('h')} FROM {HealthScore._meta.db_table} h WHERE h.partner_id = %(partner)s"


def score_of(partner: Partner):
    """The partner's health score row, None until it has been scored: what the header and the card show (a fixed
    statement: the partner's page asks every time)."""
    return score_read(partner).run()


def score_read(partner: Partner) -> Read:
    """score_of's statement, for a page that sends it with others (prm.reads.Later)."""
    rows, sql = _score_read()
    return Read(sql, {"partner": partner.pk}, lambda found: rows.instance(found[0]) if found else None)


UNREAD = object()  # the score row was not read yet: the function reads it


def health_headline(partner: Partner, *, today: date | None = None, score=UNREAD) -> HealthHeadline | None:
    """None until the partner has been scored; one query, none when given the score row (score_of)."""
    from prm import figures

    if score is UNREAD:
        score = score_of(partner)
    if score is None:
        return None
    return HealthHeadline(score=score.score, band=score.band, band_label=score.get_band_display(),
                          previous_score=score.previous_score, window=figures.as_of(today or timezone.localdate()))


def health_list_cell(partner: PartnerRow, *, today: date | None = None) -> SafeString:
    """The partner list's health cell: the score and band of insights.selectors.with_health's annotations, drawn
    as the partner page's header draws them."""
    from insights.health.models import HealthBand
    from prm import figures
    from prm.templatetags.kyoso_figures import figure

    score = getattr(partner, "health_score", None)
    if score is None:
        return mark_safe('<span class="text-muted">—</span>')
    band = getattr(partner, "health_band", "")
    colour = BAND_COLOURS.get(band, "secondary")
    shown = figure("health_score", score, figures.as_of(today or timezone.localdate()), partner.pk, note=False)
    return format_html('<span class="text-nowrap"><span class="fw-semibold text-{}">{}</span> '
                       '<span class="badge text-bg-{}">{}</span></span>', colour, shown, colour,
                       HealthBand(band).label if band in HealthBand.values else band)


def component_value(key: str, value) -> str:
    if value is None:
        return "—"
    if key in PERCENT_COMPONENTS:
        return f"{value}%"
    if key in DAY_COMPONENTS:
        return _("%(days)s days") % {"days": value}
    if key == "deals":
        return _("%(count)s deals") % {"count": value}
    return str(value)


def health_card(partner: Partner, *, today: date | None = None, score=UNREAD) -> HealthCard | None:
    """None until the partner has been scored (the card shows an empty state); given the score row (score_of),
    it does not read it again."""
    from insights.health.actions import next_best_actions
    from insights.health.models import HealthSettings, HealthSnapshot
    from insights.health.scoring import COMPONENTS
    from insights.health.services import COMPONENT_LABELS

    if score is UNREAD:
        score = score_of(partner)
    if score is None:
        return None
    today = today or timezone.localdate()
    trend = list(HealthSnapshot.objects.filter(partner=partner, day__gt=today - timedelta(days=TREND_DAYS))
                 .order_by("day").values_list("day", "score"))
    settings = HealthSettings.current()
    rows = []
    for key in COMPONENTS:
        part = (score.components or {}).get(key)
        if part is None:
            continue
        weight = part.get("weight") or 0
        rows.append(ComponentRow(
            key=key, label=str(COMPONENT_LABELS.get(key, key)), value=component_value(key, part.get("value")),
            points=part.get("points") or 0, weight=weight or None,
            contribution=part.get("contribution") if weight else None,
        ))
    from enablement.selectors import reps_with_valid_certification
    from partners.selectors import active_contacts
    from prm import figures

    return HealthCard(
        certified_reps=reps_with_valid_certification([partner.pk], timezone.now()).get(partner.pk, 0),
        active_contacts=active_contacts([partner.pk], today).get(partner.pk, 0),
        contacts=partner.contacts.count(), window=figures.as_of(today),
        score=score.score, band=score.band, band_label=score.get_band_display(), previous_score=score.previous_score,
        computed_at=score.computed_at, components=rows, trend=trend, healthy_from=settings.healthy_from,
        at_risk_from=settings.at_risk_from, actions=next_best_actions(partner),
    )
