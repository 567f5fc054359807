"""The content access log as CSV: streamed in the request, or written by the worker when it is large (prm.exports)."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enablement.models import ContentAccess
from enablement.services import resources_admin
from partners.selectors import partner_by_id
from prm import exports

KIND = "enablement.content_access"


def headers() -> list[str]:
    return [_("Date and time"), _("Partner"), _("Person"), _("E-mail address"), _("Contact"), _("Material"),
            _("Version"), _("Action")]


def filename() -> str:
    return f"content-access-{timezone.localdate():%Y%m%d}.csv"


def cells(rows: QuerySet[ContentAccess], zone):
    """One line per view or download, in `zone`; call it inside the language the file is written in."""
    actions = {value: str(label) for value, label in ContentAccess.Action.choices}
    for row in rows.iterator(chunk_size=2000):
        yield [timezone.localtime(row.at, zone).strftime("%Y-%m-%d %H:%M:%S"), row.partner.name,
               row.user.get_full_name(), row.user.email, row.contact.full_name if row.contact else "",
               row.item.title, row.version.number if row.version else "", actions.get(row.action, row.action)]


def params(filters: dict) -> dict:
    """The access log's validated filters as a queued export keeps them, with the vendor's time zone."""
    return {"partner": filters["partner"].pk if filters["partner"] else None, "action": filters["action"],
            "item_query": filters["item_query"],
            "since": filters["since"].isoformat() if filters["since"] else None,
            "until": filters["until"].isoformat() if filters["until"] else None,
            "zone": timezone.get_current_timezone_name()}


def _build(params: dict):
    zone = zoneinfo.ZoneInfo(params.get("zone") or timezone.get_default_timezone_name())
    with timezone.override(zone):
        rows = resources_admin.access_log(
            partner=partner_by_id(params["partner"]) if params.get("partner") else None,
            action=params.get("action") or "", item_query=params.get("item_query") or "",
            since=date.fromisoformat(params["since"]) if params.get("since") else None,
            until=date.fromisoformat(params["until"]) if params.get("until") else None)
        name = filename()
    return name, headers(), cells(rows, zone)


exports.register(KIND, _build)
