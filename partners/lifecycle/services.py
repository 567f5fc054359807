"""Writes of the derived lifecycle: the set-based recompute, its event-driven trigger and the manual override."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.access import require_vendor_staff
from partners.lifecycle.rules import ONBOARDING, Decision, Rules, decide
from partners.models import (
    ChecklistItem,
    EventKind,
    OnboardingTemplate,
    Partner,
    PartnerEvent,
    PartnerSettings,
    Stage,
)
from partners.selectors.lifecycle import lifecycle_facts
from prm import events, locks
from prm.accounts.models import User
from prm.after_commit import send_after_commit

STAGES_RECOMPUTE_TASK = "partners.tasks.partner_stages_recompute"  # partners.tasks (which imports this module)
MAX_OVERRIDE_DAYS = 365


def stages_recompute(*, partner_ids=None, today: date | None = None) -> int:
    """Decide every partner's stage (or the given partners') by the vendor's rules and write what changed: the
    stage, its reason and next rule, and a timeline entry with the reason for each stage that moved. A stage
    set by hand that ran out goes back to the rules. A fixed number of statements, however many partners.
    Returns how many stages moved."""
    today = today or timezone.localdate()
    now = timezone.now()
    rules = Rules.from_settings(PartnerSettings.current())
    with transaction.atomic():
        locks.hold("partner-stages", 0)  # the nightly run and an event's run of one partner, one at a time
        changes: list[tuple[int, str, Decision, bool]] = []
        for pk, (facts, stored) in lifecycle_facts(partner_ids).items():
            expired = facts.override_until is not None and facts.override_until < today
            if expired:
                facts = replace(facts, override_until=None)
            decision = decide(facts, rules, today)
            if expired or decision.stage != facts.stage or decision.as_json() != stored:
                changes.append((pk, facts.stage, decision, expired))
        if not changes:
            return 0
        _write(changes, now)
        moved = [(pk, previous, decision, expired) for pk, previous, decision, expired in changes
                 if decision.stage != previous]
        PartnerEvent.objects.bulk_create(
            PartnerEvent(partner_id=pk, kind=EventKind.STAGE_CHANGED, occurred_at=now,
                         data={"previous": previous, "stage": decision.stage,
                               "cause": "override_expired" if expired else "rule", "rule": decision.reason,
                               "params": decision.params})
            for pk, previous, decision, expired in moved)
        _publish([pk for pk, *_rest in moved])
        _checklists_start([pk for pk, _previous, decision, _expired in moved if decision.stage == ONBOARDING])
    return len(moved)


def _write(changes: list[tuple[int, str, Decision, bool]], now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE {Partner._meta.db_table} p
               SET stage = v.stage, stage_reason = v.reason::jsonb,
                   stage_changed_at = CASE WHEN p.stage <> v.stage THEN %(now)s ELSE p.stage_changed_at END,
                   stage_override_until = CASE WHEN v.expired THEN NULL ELSE p.stage_override_until END,
                   stage_override_by_id = CASE WHEN v.expired THEN NULL ELSE p.stage_override_by_id END
              FROM unnest(%(ids)s::bigint[], %(stages)s::text[], %(reasons)s::text[], %(expired)s::bool[])
                   AS v(id, stage, reason, expired)
             WHERE p.id = v.id""", {
            "now": now, "ids": [pk for pk, *_rest in changes],
            "stages": [decision.stage for _pk, _previous, decision, _expired in changes],
            "reasons": [json.dumps(decision.as_json()) for _pk, _previous, decision, _expired in changes],
            "expired": [expired for *_rest, expired in changes]})


def _publish(partner_ids: list[int]) -> None:
    from partners.services import partner_event_data

    if partner_ids:
        events.publish_many([
            events.Event("partner.updated", "partner", partner.pk, partner.pk,
                         partner_event_data(partner, changed=["stage"]))
            for partner in Partner.objects.filter(pk__in=partner_ids)])


def _checklists_start(partner_ids: list[int]) -> None:
    """The onboarding checklist of its type for each partner that reached onboarding without one: three
    statements for any number of partners (partners.services.onboarding_start does one partner)."""
    if not partner_ids:
        return
    partners = list(Partner.objects.filter(pk__in=partner_ids, checklist__isnull=True).values_list("pk", "partner_type"))
    templates = {template.partner_type: template for template in OnboardingTemplate.objects.filter(
        partner_type__in={kind for _pk, kind in partners}).prefetch_related("items")}
    today = timezone.localdate()
    ChecklistItem.objects.bulk_create(
        ChecklistItem(partner_id=pk, title=item.title, due_on=today + timedelta(days=item.due_days),
                      auto_event=item.auto_event, position=item.position)
        for pk, kind in partners if kind in templates for item in templates[kind].items.all())


def stages_recompute_soon(partner_ids) -> None:
    """Recompute these partners' stages once the caller's transaction commits (a deal registered or won): one task
    for the partners of the whole transaction, sent with the transaction's other tasks (prm.after_commit).

    Robust: a broker that cannot take the message is logged and leaves the change to the nightly run, rather
    than failing the registration that has already been stored."""
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants
    pending = send_after_commit(STAGES_RECOMPUTE_TASK, {"schema_name": schema, "partner_ids": []}, schema=schema,
                                join=True)
    pending["partner_ids"] = sorted(set(pending["partner_ids"]).union(partner_ids))


@transaction.atomic
def stage_override(*, partner: Partner, actor: User, stage: str, until: date, reason: str) -> Partner:
    """Set the partner's stage by hand until a day (at most a year ahead); the rules decide again after it."""
    require_vendor_staff(actor)
    today = timezone.localdate()
    errors = {}
    if stage not in Stage.values:
        errors["stage"] = _("Choose a valid stage.")
    if until < today or until > today + timedelta(days=MAX_OVERRIDE_DAYS):
        errors["until"] = _("Choose a day from today to %(days)s days ahead.") % {"days": MAX_OVERRIDE_DAYS}
    if not (reason or "").strip():
        errors["reason"] = _("Say why the rules do not fit this partner.")
    if errors:
        raise ValidationError(errors)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    previous = partner.stage
    partner.stage, partner.stage_override_until, partner.stage_override_by = stage, until, actor
    partner.stage_reason = {**partner.stage_reason, "reason": "manual"}
    fields = ["stage", "stage_override_until", "stage_override_by", "stage_reason", "updated_at"]
    if previous != stage:
        partner.stage_changed_at = timezone.now()
        fields.append("stage_changed_at")
    partner.save(update_fields=fields)
    kind = EventKind.STAGE_CHANGED if previous != stage else EventKind.STAGE_OVERRIDE
    PartnerEvent.objects.create(partner=partner, kind=kind, actor=actor, data={
        "previous": previous, "stage": stage, "cause": "override", "until": until.isoformat(), "reason": reason.strip()})
    return partner


def stage_override_end(*, partner: Partner, actor: User) -> Partner:
    """End a stage set by hand now: the rules decide the partner's stage again."""
    require_vendor_staff(actor)
    with transaction.atomic():
        Partner.objects.filter(pk=partner.pk).update(stage_override_until=timezone.localdate() - timedelta(days=1))
        stages_recompute(partner_ids=[partner.pk])
    partner.refresh_from_db()
    return partner
