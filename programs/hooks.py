"""What programs adds to the console's partner page through the hooks partners offers (connected in apps.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners import list_columns
from partners.models import Partner
from partners.selectors.listing import PartnerRow
from partners.signals import partner_detail_header, partner_timeline_entries
from partners.timeline import TimelineEntry
from prm.reads import Later
from programs import selectors
from programs.models import TierChange


def tier_fact(sender, *, request: HttpRequest, partner: Partner, **kwargs) -> Later[SafeString]:
    """The tier the partner holds and how far it is on the way to the next one."""
    return selectors.partner_program_later(partner, timezone.localdate()).then(lambda view: render_to_string(
        "programs/_partner_tier.html", {"view": view, "partner": partner}))


def _change_text(change: selectors.TierChangeLine) -> str:
    values = {"previous": change.from_tier or _("no tier"), "tier": change.to_tier or _("no tier"),
              "status": change.status_label}
    if change.direction == TierChange.Direction.UP:
        return _("Tier upgrade %(previous)s → %(tier)s (%(status)s)") % values
    return _("Tier downgrade %(previous)s → %(tier)s (%(status)s)") % values


def tier_timeline(sender, *, partner: Partner, limit: int, **kwargs) -> Later[list[TimelineEntry]]:
    url = reverse("program_changes")
    return Later([selectors.tier_changes_read(partner.pk, limit=limit)], lambda changes: [TimelineEntry(
        at=change.at,
        icon="arrow-up-circle" if change.direction == TierChange.Direction.UP else "arrow-down-circle",
        text=_change_text(change), url=url, source="programs",
    ) for change in changes])


def tier_cell(partner: PartnerRow) -> SafeString:
    """The partner list's tier cell, from selectors.with_tier's annotations (TIER_ROW_SQL's, on the list's rows)."""
    name = getattr(partner, "tier_name", None)
    if name is None:
        return mark_safe('<span class="text-muted">—</span>')
    return format_html('<span class="text-nowrap" data-tier="{}">{}</span>', getattr(partner, "tier_code", ""), name)


def register() -> None:
    list_columns.register(list_columns.ListColumn(
        key="tier", label=gettext_lazy("Tier"), annotate=selectors.with_tier, ordering=("tier_rank", "tier_name"),
        options=selectors.tier_filter_options, filter=selectors.partners_of_tier, cell=tier_cell,
        sql=selectors.TIER_ROW_SQL))
    partner_detail_header.connect(tier_fact, weak=False, dispatch_uid="programs.partner_tier")
    partner_timeline_entries.connect(tier_timeline, weak=False, dispatch_uid="programs.partner_timeline")
