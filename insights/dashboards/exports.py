"""The insights tables as CSV; the ranked lists in full can be long, so those go to the worker (prm.exports)."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.utils import timezone

from insights.dashboards import presentation, selectors
from insights.dashboards.filters import Filters
from prm import exports

KIND = "partners.insights"


def params(name: str, filters: Filters) -> dict:
    return {"table": name, "start": filters.start.isoformat(), "end": filters.end.isoformat(), "owner": filters.owner,
            "partner_type": filters.partner_type, "tier": filters.tier, "zone": timezone.get_current_timezone_name()}


def rows(name: str, filters: Filters) -> int:
    return selectors.export_rows(name, filters)


def _build(params: dict):
    filters = Filters(date.fromisoformat(params["start"]), date.fromisoformat(params["end"]), owner=params.get("owner"),
                      partner_type=params.get("partner_type") or "", tier=params.get("tier"))
    name = params["table"]
    with timezone.override(zoneinfo.ZoneInfo(params.get("zone") or timezone.get_default_timezone_name())):
        table = presentation.export_table(name, filters)
    return presentation.csv_filename(name, filters), table.headers, ([cell.csv for cell in row] for row in table.rows)


exports.register(KIND, _build)
