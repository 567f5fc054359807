"""Enablement's rows the nightly purge removes (prm.retention imports this module by app label)."""

from __future__ import annotations

from datetime import date, datetime

from prm import retention


def _purge_downloads(limits: dict[str, datetime | date]) -> int:
    from enablement.models import ContentAccess

    return ContentAccess.objects.filter(at__lt=limits["downloads"]).delete()[0]


retention.register("downloads", _purge_downloads)
