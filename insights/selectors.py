"""Reads of insights' own tables for the other apps (the API, programs' leaderboards)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from insights.models import HealthBand, HealthScore
from partners.list_columns import ColumnSQL
from partners.models import Partner
from partners.selectors import FiguresSQL
from prm.inbox import Waiting, partner_scope, waiting
from programs.recognition.periods import Period

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def health_scores_for_sync() -> QuerySet[HealthScore]:
    """Every signed partner's current health score (the vendor's figure; partners do not read it)."""
    return HealthScore.objects.all()


def health_scores_for_ranking(period: Period, today: date) -> FiguresSQL:
    """The health score to rank partners by over a period (programs' leaderboard, in one statement with the
    partners): the current score while the period runs, else the score each partner had on the period's last
    computed day (one index probe per partner ranked)."""
    if period.end >= today:
        return FiguresSQL("SELECT partner_id, score FROM partners_healthscore", {})
    return FiguresSQL("SELECT c.id, (SELECT s.score FROM partners_healthsnapshot s WHERE s.partner_id = c.id "
                      "AND s.day <= %(health_end)s ORDER BY s.day DESC LIMIT 1) FROM candidates c",
                      {"health_end": period.end})


def partners_at_risk(*, partner_ids: QuerySet | None = None) -> Waiting[HealthScore]:
    """Partners whose health is in the at-risk band: those that fell into it at the last scoring first, then the
    lowest scores."""
    stayed = ExpressionWrapper(Q(previous_band=HealthBand.AT_RISK), output_field=BooleanField())
    return waiting(HealthScore.objects.filter(partner_scope(partner_ids), band=HealthBand.AT_RISK)
                   .select_related("partner").order_by(stayed, "score", "pk"))


# --------------------------------------------------------------------------- the console's partner list's health column
# (registered with partners.list_columns in hooks.py)

UNSCORED = "unscored"  # the filter's option for partners not scored yet


def with_health(partners: QuerySet[Partner]) -> QuerySet[Partner]:
    """The partners with their current health score and band, the partner page's: health_score and health_band
    (None until scored). Joined in the list's one query (a partner has one score row): sorting 10,000 partners
    by health is then a hash join rather than a subquery per partner."""
    return partners.annotate(health_score=F("health__score"), health_band=F("health__band"))


# with_health's annotations in the partner list's statement for a page's rows (partners.list_columns.ColumnSQL).
HEALTH_ROW_SQL = ColumnSQL(
    joins="LEFT JOIN partners_healthscore health_score ON health_score.partner_id = p.id",
    select=(("health_score", "health_score.score"), ("health_band", "health_score.band")))


def partners_in_band(partners: QuerySet[Partner], band: str) -> QuerySet[Partner]:
    """The partners whose current score is in the band, or not scored yet (UNSCORED)."""
    if band == UNSCORED:
        return partners.filter(health__isnull=True)
    return partners.filter(health__band=band)


def band_filter_options() -> list[tuple[str, StrOrPromise]]:
    return [*HealthBand.choices, (UNSCORED, _("Not scored yet"))]
