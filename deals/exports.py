"""The pipeline as CSV: streamed in the request, or written by the worker when it is large (prm.exports).

The file is data, not display: amounts are whole yen, dates ISO (2026-12-05), times in the vendor's zone
(2026-12-05 09:30:00), stages by their label in the reader's language; UTF-8 with a BOM so that Excel reads
Japanese (prm.csv_export).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import tzinfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import DealRegistration, Stage
from deals.selectors import PipelineFilters, pipeline_deals
from prm import exports
from prm.csv_export import Code

KIND = "deals.pipeline"
CHUNK = 2000  # rows read from the database at a time


def headers() -> list[str]:
    return [_("Deal ID"), _("Customer company"), _("Corporate number"), _("Web domain"), _("Partner"), _("Owner"),
            _("Stage"), _("Amount (¥)"), _("Won amount (¥)"), _("Expected close date"), _("Valid until"),
            _("Won on"), _("Registered at"), _("Registered by")]


def filename() -> str:
    return f"pipeline-{timezone.localdate():%Y%m%d}.csv"


def cells(deals: QuerySet[DealRegistration], zone: tzinfo) -> Iterator[list[object]]:
    """One line per registration, read in chunks; call it inside the language the file is written in."""
    stages = {value: str(label) for value, label in Stage.choices}
    for deal in deals.iterator(chunk_size=CHUNK):
        owner = deal.partner.owner
        yield [deal.pk, deal.customer_name, Code(deal.corporate_number) if deal.corporate_number else "",
               deal.web_domain, deal.partner.name, str(owner) if owner else "", stages.get(deal.stage, deal.stage),
               deal.amount, deal.won_amount, deal.expected_close, deal.expires_on, deal.won_on,
               timezone.localtime(deal.registered_at, zone), str(deal.registered_by) if deal.registered_by else ""]


def params(filters: PipelineFilters) -> dict:
    """What a queued export keeps of the request: the validated filters and the vendor's time zone."""
    return {"filters": filters.as_params(), "zone": timezone.get_current_timezone_name()}


def _build(params: dict):
    zone = zoneinfo.ZoneInfo(params.get("zone") or timezone.get_default_timezone_name())
    with timezone.override(zone):
        deals = pipeline_deals(PipelineFilters.from_params(params.get("filters") or {}))
        name = filename()
    return name, headers(), cells(deals, zone)


exports.register(KIND, _build)
