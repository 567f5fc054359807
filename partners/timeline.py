"""How each timeline event reads, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from partners.lifecycle.texts import reason_text
from partners.models import ActivityKind, AgreementKind, ContactStage, EventKind, PartnerEvent, Stage
from prm.formatting import format_date

ICONS = {
    EventKind.CREATED: "building-add", EventKind.UPDATED: "pencil", EventKind.STAGE_CHANGED: "signpost-2",
    EventKind.APPLICATION_APPROVED: "check2-circle", EventKind.AGREEMENT: "pen", EventKind.PROGRAM_JOINED: "trophy",
    EventKind.CONTACT_ADDED: "person-plus", EventKind.CONTACT_STAGE: "person-up", EventKind.CHECKLIST_DONE: "check2-square",
    EventKind.ACTIVITY: "chat-square-text", EventKind.PLAN: "graph-up-arrow", EventKind.INVITATION: "envelope",
    EventKind.IMPORTED: "file-earmark-arrow-up", EventKind.SIGNAL: "lightning", EventKind.STAGE_OVERRIDE: "hand-index",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a partner's timeline, from partners' own events or from an app above it (rendered text)."""

    at: datetime
    icon: str  # a Bootstrap icon name
    text: str
    url: str = ""
    actor: str = ""
    source: str = "partner"  # which app told it: partner, deals, enablement, programs, incentives


@dataclass(frozen=True)
class EventLine:
    """A partner event as its timeline reads it (partners.selectors.timeline)."""

    kind: str
    occurred_at: datetime
    data: dict
    actor: str  # the actor's short name; "" without one


def entry_of(event: EventLine) -> TimelineEntry:
    return TimelineEntry(at=event.occurred_at, icon=ICONS.get(event.kind, "dot"), text=describe(event),
                         actor=event.actor)


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value))


def describe(event: PartnerEvent | EventLine) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return _("Partner created at stage %(stage)s") % {"stage": _label(Stage, data.get("stage"))}
    if kind == EventKind.UPDATED:
        return _("Profile updated (%(count)s fields)") % {"count": len(data.get("fields", []))}
    if kind == EventKind.STAGE_CHANGED:
        text = _("Stage changed from %(previous)s to %(stage)s") % {
            "previous": _label(Stage, data.get("previous")), "stage": _label(Stage, data.get("stage"))}
        if data.get("cause") == "agreements_complete":
            return _("%(text)s (all four agreements recorded)") % {"text": text}
        if data.get("cause") in ("rule", "override_expired"):
            why = reason_text({"reason": data.get("rule"), "params": data.get("params")})
            if data["cause"] == "override_expired":
                return _("%(text)s: the stage set by hand ran out. %(why)s") % {"text": text, "why": why}
            return _("%(text)s by the lifecycle rules: %(why)s") % {"text": text, "why": why}
        if data.get("cause") == "override":
            return _("%(text)s by hand until %(day)s: %(reason)s") % {
                "text": text, "day": format_date(date.fromisoformat(data["until"])), "reason": data.get("reason", "")}
        return f"{text}: {data['reason']}" if data.get("reason") else text
    if kind == EventKind.STAGE_OVERRIDE:
        return _("Stage %(stage)s set by hand until %(day)s: %(reason)s") % {
            "stage": _label(Stage, data.get("stage")), "day": format_date(date.fromisoformat(data["until"])),
            "reason": data.get("reason", "")}
    if kind == EventKind.APPLICATION_APPROVED:
        return _("Application approved")
    if kind == EventKind.AGREEMENT:
        return _("Agreement recorded: %(agreement)s") % {"agreement": _label(AgreementKind, data.get("agreement"))}
    if kind == EventKind.PROGRAM_JOINED:
        return _("All four agreements in place: joined the partner program")
    if kind == EventKind.CONTACT_ADDED:
        return _("Contact added: %(name)s") % {"name": data.get("name", "")}
    if kind == EventKind.CONTACT_STAGE:
        return _("%(name)s is now %(stage)s (was %(previous)s)") % {
            "name": data.get("name", ""), "stage": _label(ContactStage, data.get("stage")),
            "previous": _label(ContactStage, data.get("previous"))}
    if kind == EventKind.CHECKLIST_DONE:
        if data.get("automatic"):
            return _("Onboarding item done automatically: %(item)s") % {"item": data.get("item", "")}
        return _("Onboarding item done: %(item)s") % {"item": data.get("item", "")}
    if kind == EventKind.ACTIVITY:
        return f"{_label(ActivityKind, data.get('activity_kind'))}: {data.get('subject', '')}"
    if kind == EventKind.PLAN:
        return _("Business plan FY%(year)s saved") % {"year": data.get("fiscal_year")}
    if kind == EventKind.INVITATION:
        return _("Invitation sent to %(email)s") % {"email": data.get("email", "")}
    if kind == EventKind.IMPORTED:
        return _("Imported from %(file)s") % {"file": data.get("file", "CSV")}
    return _label(EventKind, kind)
