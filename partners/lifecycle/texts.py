"""How a stage's reason and the next rule read, in the reader's language (stored as codes with parameters)."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.formatting import format_date

# Short names of the rules not yet met: the funnel's "waiting on" column.
RULE_LABELS = {
    "start_recruiting": gettext_lazy("Recruiting start"),
    "agreements": gettext_lazy("Agreements"),
    "first_deal": gettext_lazy("First deal"),
    "deal_age": gettext_lazy("Deal history"),
    "recent_deal": gettext_lazy("Recent deal"),
    "active_contact": gettext_lazy("Active contact"),
    "activity": gettext_lazy("Any activity"),
}


def _day(value: str | None) -> str:
    return format_date(date.fromisoformat(value)) if value else "—"


def reason_text(stage_reason: dict | None) -> str:
    """Why the partner is at its stage; "" before the rules first ran."""
    data = stage_reason or {}
    params = data.get("params") or {}
    reason = data.get("reason", "")
    if reason == "prospect":
        return _("A prospect: nobody has started recruiting it yet.")
    if reason == "recruiting":
        return _("%(agreements)s of %(required)s agreements signed.") % params
    if reason == "agreements_signed":
        return _("%(agreements)s of %(required)s agreements signed, the last on %(day)s.") % {
            **params, "day": _day(params.get("on"))}
    if reason == "first_deal":
        return _("First deal registered on %(day)s.") % {"day": _day(params.get("first"))}
    if reason == "retained":
        return _("Deals for %(months)s months (the latest on %(day)s) and %(contacts)s active contacts.") % {
            "months": params.get("months"), "day": _day(params.get("last")), "contacts": params.get("active_contacts")}
    if reason == "no_activity":
        return _("No sign-in, training, lead or deal since %(day)s (%(days)s days or more).") % {
            "day": _day(params.get("last")), "days": params.get("days")}
    if reason == "manual":
        return _("Set by hand.")
    return ""


def next_rule_text(stage_reason: dict | None) -> str:
    """The next rule the partner has not met, with how far it is; "" when none."""
    data = stage_reason or {}
    params = data.get("params") or {}
    rule = data.get("next", "")
    if rule == "start_recruiting":
        return _("Start recruiting to move it on.")
    if rule == "agreements":
        return _("Onboarding when %(required)s agreements are signed (%(agreements)s so far).") % params
    if rule == "first_deal":
        return _("Activation with its first registered deal.")
    if rule == "deal_age":
        return _("Retention from %(day)s, with a deal in the %(months)s months before and an active contact.") % {
            "day": _day(params.get("ready_on")), "months": params.get("months")}
    if rule == "recent_deal":
        return _("Retention needs a deal in the last %(months)s months (the latest was on %(day)s).") % {
            "months": params.get("months"), "day": _day(params.get("last"))}
    if rule == "active_contact":
        return _("Retention needs an active contact (a rep who registered a lead or deal recently).")
    if rule == "activity":
        return _("Any sign-in, training, lead or deal brings it back.")
    return ""
