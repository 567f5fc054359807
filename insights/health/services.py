"""Recalculating health scores, keeping their history, alerting owners, and the vendor's health settings."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from insights.health import metrics, scoring
from insights.health.models import HealthAlert, HealthRun, HealthScore, HealthSettings, HealthSnapshot
from partners.access import require_vendor_staff
from partners.selectors import partners_with_owner, staff_for_many
from prm import events
from prm import messages as msg
from prm.accounts.models import User
from prm.notifications.services import notify_many
from prm.tenancy.urls import reverse_path

COMPONENT_LABELS = {
    "logins": gettext_lazy("Portal sign-ins"),
    # Rates and windows of the score's own: labelled apart from the catalogued figures (prm.figures)
    # "registered_deals" and "certified_reps", which count over other windows.
    "deals": gettext_lazy("Deals registered in the score's window"),
    "certified": gettext_lazy("Certified share of contacts"),
    "pass_rate": gettext_lazy("Training pass rate"),
    "active_contacts": gettext_lazy("Active-contact rate"),
    "conversion": gettext_lazy("Lead-to-deal conversion"),
    "recency": gettext_lazy("Days since the last deal"),
    "first_deal": gettext_lazy("Time to first deal"),
}
WEIGHT_FIELDS = {key: f"weight_{key}" for key in scoring.COMPONENTS}


def rules_of(settings: HealthSettings) -> scoring.Rules:
    return scoring.Rules(
        weights={key: getattr(settings, field) for key, field in WEIGHT_FIELDS.items()},
        healthy_from=settings.healthy_from, at_risk_from=settings.at_risk_from, deal_target=settings.deal_target,
        recency_full_days=settings.recency_full_days, recency_zero_days=settings.recency_zero_days,
        new_partner_days=settings.new_partner_days, first_deal_full_days=settings.first_deal_full_days,
        first_deal_zero_days=settings.first_deal_zero_days,
    )


PROBLEMS = {
    ("weights", "sum"): ("weight_logins", gettext_lazy("The weights add up to %(total)s; they must add up to 100.")),
    ("weights", "range"): ("weight_logins", gettext_lazy("Each weight must be between 0 and 100.")),
    ("weights", "unknown"): ("weight_logins", gettext_lazy("Unknown health components.")),
    ("bands", "order"): ("at_risk_from", gettext_lazy("“At risk from” must be above 0 and below “healthy from”, "
                                                      "which may be at most 100.")),
    ("recency", "order"): ("recency_zero_days", gettext_lazy("“No marks” must come after “full marks”.")),
    ("first_deal", "order"): ("first_deal_zero_days", gettext_lazy("“No marks” must come after “full marks”.")),
    ("deal_target", "range"): ("deal_target", gettext_lazy("The deal target must be at least 1.")),
}


@transaction.atomic
def settings_update(*, actor: User, **fields) -> HealthSettings:
    """Save the weights and bands only when they make sense together: nothing is saved otherwise."""
    require_vendor_staff(actor, admin=True)
    settings = HealthSettings.current()
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.full_clean()
    rules = rules_of(settings)
    errors: dict[str, list[str]] = {}
    for problem in scoring.validate(rules):
        field, message = PROBLEMS[problem]
        errors.setdefault(field, []).append(str(message) % {"total": sum(rules.weights.values())})
    if errors:
        raise ValidationError(errors)
    settings.save()
    return settings


def recalculate(*, now: datetime | None = None, partner_ids: list[int] | None = None) -> HealthRun:
    """Score every signed partner (or the given ones), keep today's snapshot, and alert owners once per fall."""
    started = time.monotonic()
    now = now or timezone.now()
    settings = HealthSettings.current()
    rules = rules_of(settings)
    run = HealthRun.objects.create(started_at=now)
    figures = metrics.figures(settings, now, partner_ids)
    previous = {row[0]: row[1:] for row in HealthScore.objects.filter(partner_id__in=list(figures)).values_list(
        "partner_id", "score", "band", "components")}
    today = timezone.localtime(now).date()
    scores, snapshots, falls, moved = [], [], [], []
    for partner_id, partner_figures in figures.items():
        result = scoring.score(partner_figures, rules)
        explanation = result.as_json()
        old_score, old_band, old_components = previous.get(partner_id, (None, "", {}))
        scores.append(HealthScore(partner_id=partner_id, score=result.score, band=result.band, components=explanation,
                                  previous_score=old_score, previous_band=old_band, computed_at=now, run=run))
        snapshots.append(HealthSnapshot(partner_id=partner_id, day=today, score=result.score, band=result.band,
                                        components=explanation))
        if old_band and old_band != result.band:
            moved.append(events.Event("partner.health_band_changed", "partner", partner_id, partner_id, {
                "id": partner_id, "partner_id": partner_id, "from_band": old_band, "to_band": result.band,
                "score": result.score, "previous_score": old_score}))
        if scoring.worse(old_band, result.band):
            falls.append(HealthAlert(partner_id=partner_id, from_band=old_band, to_band=result.band,
                                     score=result.score, created_at=now,
                                     fallen=scoring.fallen(old_components, explanation) or scoring.weakest(explanation)))
    with transaction.atomic():
        HealthScore.objects.bulk_create(
            scores, batch_size=2000, update_conflicts=True, unique_fields=["partner"],
            update_fields=["score", "band", "components", "previous_score", "previous_band", "computed_at", "run"])
        HealthSnapshot.objects.bulk_create(snapshots, batch_size=2000, update_conflicts=True,
                                           unique_fields=["partner", "day"], update_fields=["score", "band", "components"])
        events.publish_many(moved)
        quiet = _recently_alerted(now) if falls else set()
        falls = [fall for fall in falls if (fall.partner_id, fall.to_band) not in quiet]
        if falls:
            alerts_send(falls)
        run.finished_at, run.partners, run.alerts = timezone.now(), len(scores), len(falls)
        run.seconds = round(time.monotonic() - started, 3)
        run.save(update_fields=["finished_at", "partners", "alerts", "seconds"])
    return run


ALERT_QUIET_DAYS = 30  # a partner hovering around a threshold alerts its owner once, not every night


def _recently_alerted(now: datetime) -> set[tuple[int, str]]:
    since = now - timedelta(days=ALERT_QUIET_DAYS)
    return set(HealthAlert.objects.filter(created_at__gte=since, created_at__lt=now).values_list("partner_id", "to_band"))


def alerts_send(falls: list[HealthAlert]) -> None:
    """Notify each partner's owner and store the alerts (names the components that fell), in a constant number
    of queries however many partners fell."""
    partners = partners_with_owner([fall.partner_id for fall in falls])
    staff = staff_for_many(partners.values())
    items = []
    for fall in falls:
        partner = partners[fall.partner_id]
        owners = staff[partner.pk]
        fall.notified = owners[0] if owners else None
        url = reverse_path("partner_detail", "console", pk=partner.pk)
        band = fall.to_band
        items.append((owners, url, (
            msg.text("health.at_risk" if band == scoring.AT_RISK else "health.dormant", partner=partner.name,
                     score=fall.score),
            msg.text("health.fell.body", components=msg.labels("health_component", fall.fallen)))))
    notify_many(kind="health_alert", items=items)
    HealthAlert.objects.bulk_create(falls, batch_size=1000)
