"""What enablement adds to the console's partner page through the hooks partners offers (connected in apps.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from enablement.selectors.partner360 import (
    partner_certifications_earned_read,
    partner_engagement_later,
    partner_learning_later,
)
from partners.models import Partner
from partners.signals import partner_detail_panels, partner_timeline_entries
from partners.timeline import TimelineEntry
from prm.paths import path_of_each
from prm.reads import Later, gather


def learning_panels(sender, *, request: HttpRequest, partner: Partner, **kwargs) -> Later[SafeString]:
    """Certifications with the reps holding them, and content engagement, side by side."""
    now = timezone.now()
    certification, content = path_of_each("enablement_certification"), path_of_each("enablement_content")
    return gather([partner_learning_later(partner.pk, now=now), partner_engagement_later(partner.pk, now=now)],
                  lambda made: render_to_string("enablement/_partner_learning.html", {
                      "partner": partner, "learning": made[0], "engagement": made[1],
                      "awards": [(award, certification(award.certification_id)) for award in made[0].awards],
                      "top_items": [(item, content(item["item_id"])) for item in made[1].top_items]}))


def certification_timeline(sender, *, partner: Partner, limit: int, **kwargs) -> Later[list[TimelineEntry]]:
    path = path_of_each("enablement_certification")
    return Later([partner_certifications_earned_read(partner.pk, limit=limit)], lambda awards: [TimelineEntry(
        at=award.issued_at, icon="patch-check",
        text=_("%(name)s earned the certification %(certification)s") % {
            "name": award.holder_name, "certification": award.certification_name},
        url=path(award.certification_id), source="enablement",
    ) for award in awards])


def register() -> None:
    partner_detail_panels.connect(learning_panels, weak=False, dispatch_uid="enablement.partner_learning")
    partner_timeline_entries.connect(certification_timeline, weak=False, dispatch_uid="enablement.partner_timeline")
