"""What enablement adds to the console's partner page through the hooks partners offers (connected in apps.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from enablement.selectors.partner360 import partner_certifications_earned, partner_engagement, partner_learning
from partners.models import Partner
from partners.signals import partner_detail_panels, partner_timeline_entries
from partners.timeline import TimelineEntry
from prm.paths import path_of_each


def learning_panels(sender, *, request: HttpRequest, partner: Partner, **kwargs) -> SafeString:
    """Certifications with the reps holding them, and content engagement, side by side."""
    now = timezone.now()
    learning, engagement = partner_learning(partner.pk, now=now), partner_engagement(partner.pk, now=now)
    certification, content = path_of_each("enablement_certification"), path_of_each("enablement_content")
    return render_to_string("enablement/_partner_learning.html", {
        "partner": partner, "learning": learning, "engagement": engagement,
        "awards": [(award, certification(award.certification_id)) for award in learning.awards],
        "top_items": [(item, content(item["item_id"])) for item in engagement.top_items]})


def certification_timeline(sender, *, partner: Partner, limit: int, **kwargs) -> list[TimelineEntry]:
    path = path_of_each("enablement_certification")
    return [TimelineEntry(
        at=award.issued_at, icon="patch-check",
        text=_("%(name)s earned the certification %(certification)s") % {
            "name": award.holder_name, "certification": award.certification_name},
        url=path(award.certification_id), source="enablement",
    ) for award in partner_certifications_earned(partner.pk, limit=limit)]


def register() -> None:
    partner_detail_panels.connect(learning_panels, weak=False, dispatch_uid="enablement.partner_learning")
    partner_timeline_entries.connect(certification_timeline, weak=False, dispatch_uid="enablement.partner_timeline")
