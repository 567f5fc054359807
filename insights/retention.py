"""The health history the nightly purge removes (prm.retention imports this module by app label)."""

from __future__ import annotations

from datetime import date, datetime

from prm import retention


def _purge_health_history(limits: dict[str, datetime | date]) -> int:
    from insights.health.models import HealthSnapshot

    return HealthSnapshot.objects.filter(day__lt=limits["health_history"]).delete()[0]


retention.register("health_history", _purge_health_history)
