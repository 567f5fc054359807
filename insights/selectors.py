"""Reads of insights' own tables for the other apps (the API)."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from insights.models import HealthBand, HealthScore
from prm.inbox import Waiting, partner_scope, waiting


def health_scores_for_sync() -> QuerySet[HealthScore]:
    """Every signed partner's current health score (the vendor's figure; partners do not read it)."""
    return HealthScore.objects.all()


def partners_at_risk(*, partner_ids: QuerySet | None = None) -> Waiting[HealthScore]:
    """Partners whose health is in the at-risk band: those that fell into it at the last scoring first, then the
    lowest scores."""
    stayed = ExpressionWrapper(Q(previous_band=HealthBand.AT_RISK), output_field=BooleanField())
    return waiting(HealthScore.objects.filter(partner_scope(partner_ids), band=HealthBand.AT_RISK)
                   .select_related("partner").order_by(stayed, "score", "pk"))
