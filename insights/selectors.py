"""Reads of insights' own tables for the other apps (the API)."""

from __future__ import annotations

from django.db.models import QuerySet

from insights.models import HealthScore


def health_scores_for_sync() -> QuerySet[HealthScore]:
    """Every signed partner's current health score (the vendor's figure; partners do not read it)."""
    return HealthScore.objects.all()
