"""The partner's lifecycle stage, decided from facts by the vendor's rules: one pure function.

    planning (prospect)  nobody has approached the partner yet: a person starts recruiting
    recruiting           approached or applied; fewer signed agreements than the vendor requires
    onboarding           the required agreements are signed; no deal yet
    activation           a first deal registered (or won)
    retention            the first deal is N months old, a deal in the last N months, an active contact today
    dormant              signed, but no sign-in, training, lead or deal for N days

A partner is at the highest stage whose condition holds, dormant before any signed stage; a
terminated partner stays terminated (a person ends the contract). A stage set by hand holds until
its day, and the rules decide again the day after. `decide` also names the next rule the partner
has not met, so the funnel can say where partners wait and why.

No database here: partners.lifecycle.services reads the facts of many partners at once and writes
the decisions; the tests state the rules as tables.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

PROSPECT, APPLIED, RECRUITING = "prospect", "applied", "recruiting"
ONBOARDING, ACTIVATION, RETENTION, DORMANT, TERMINATED = "onboarding", "activation", "retention", "dormant", "terminated"
PRE_SIGNING = (PROSPECT, APPLIED, RECRUITING)

# Why a partner is at its stage.
REASONS = ("prospect", "recruiting", "agreements_signed", "first_deal", "retained", "no_activity",
           "terminated", "manual")
# The next rule a partner has not met ("" = none: retention and terminated wait on nothing).
NEXT_RULES = ("start_recruiting", "agreements", "first_deal", "deal_age", "recent_deal", "active_contact", "activity")


@dataclass(frozen=True)
class Rules:
    """The vendor's thresholds (PartnerSettings), within the bounds its form allows."""

    agreements: int = 4
    retention_months: int = 6
    dormant_days: int = 90

    @classmethod
    def from_settings(cls, row) -> Rules:
        return cls(row.lifecycle_agreements, row.lifecycle_retention_months, row.lifecycle_dormant_days)


@dataclass(frozen=True)
class Facts:
    """What is known of one partner today. Days are the vendor's local days."""

    stage: str  # the stage it has now: recruiting is entered by a person (or an application), the rest by rules
    agreements: int = 0  # distinct agreements signed
    signed_on: date | None = None  # the day of its latest agreement
    first_deal_on: date | None = None  # first registration (rejected ones never count; a win was registered first)
    first_win_on: date | None = None  # shown with the reason
    last_deal_on: date | None = None
    last_activity_on: date | None = None  # latest sign-in, training, certification, lead or deal of its people
    active_contacts: int = 0
    override_until: date | None = None  # a stage set by hand holds until this day


@dataclass(frozen=True)
class Decision:
    stage: str
    reason: str
    next_rule: str = ""
    params: dict = field(default_factory=dict)  # JSON-ready: days as ISO strings, counts as integers

    def as_json(self) -> dict:
        return {"reason": self.reason, "next": self.next_rule, "params": self.params}


def shift_months(day: date, months: int) -> date:
    """The same day `months` months later (earlier when negative); the month's last day when it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def decide(facts: Facts, rules: Rules, today: date) -> Decision:
    derived = derive(facts, rules, today)
    if facts.override_until is not None and facts.override_until >= today and facts.stage != derived.stage:
        return Decision(facts.stage, "manual", derived.next_rule,
                        {**derived.params, "until": _iso(facts.override_until), "derived": derived.stage})
    return derived


def derive(facts: Facts, rules: Rules, today: date) -> Decision:
    """The stage the rules give, ignoring any stage set by hand."""
    if facts.stage == TERMINATED:
        return Decision(TERMINATED, "terminated")
    signed = facts.agreements >= rules.agreements
    activated = facts.first_deal_on is not None
    agreements = {"agreements": facts.agreements, "required": rules.agreements}
    if not signed and not activated:
        if facts.stage == PROSPECT:
            return Decision(PROSPECT, "prospect", "start_recruiting", agreements)
        floor = facts.stage if facts.stage in PRE_SIGNING else RECRUITING
        return Decision(floor, "recruiting", "agreements", agreements)

    known = [day for day in (facts.signed_on, facts.first_deal_on, facts.last_deal_on, facts.last_activity_on) if day]
    last = max(known) if known else None
    if last is not None and last < today - timedelta(days=rules.dormant_days):
        return Decision(DORMANT, "no_activity", "activity", {"last": _iso(last), "days": rules.dormant_days})
    if not activated:
        return Decision(ONBOARDING, "agreements_signed", "first_deal", {**agreements, "on": _iso(facts.signed_on)})

    horizon = shift_months(today, -rules.retention_months)
    deal = {"first": _iso(facts.first_deal_on), "last": _iso(facts.last_deal_on), "months": rules.retention_months,
            "won": _iso(facts.first_win_on), "active_contacts": facts.active_contacts}
    assert facts.first_deal_on is not None  # activated
    missing = next((rule for rule, met in (
        ("deal_age", facts.first_deal_on <= horizon),
        ("recent_deal", facts.last_deal_on is not None and facts.last_deal_on >= horizon),
        ("active_contact", facts.active_contacts > 0),
    ) if not met), "")
    if not missing:
        return Decision(RETENTION, "retained", "", deal)
    if missing == "deal_age":
        deal["ready_on"] = _iso(shift_months(facts.first_deal_on, rules.retention_months))
    return Decision(ACTIVATION, "first_deal", missing, deal)
