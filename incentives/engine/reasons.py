"""Why a rule paid nothing on an event: the reason codes the engine's checks return, and the
`Step` that `explain` records for one rule on one event."""

from __future__ import annotations

from dataclasses import dataclass

from incentives.engine.rules import Rule
from incentives.engine.values import Event, Line

# Why a rule paid nothing on an event: what `explain` reports, in the order the engine decides.
WRONG_EVENT_KIND = "wrong_event_kind"  # the rule pays on another kind of event
OUTSIDE_RULE_WINDOW = "outside_rule_window"  # the rule's own from/to (a SPIF's dates)
PRODUCT_NOT_COVERED = "product_not_covered"
OUTSIDE_PLAN_WINDOW = "outside_plan_window"  # valid_from..valid_to
PARTNER_TYPE_NOT_ELIGIBLE = "partner_type_not_eligible"  # applies_to, on the event's day
TIER_NOT_ELIGIBLE = "tier_not_eligible"
NO_PARENT = "no_parent"  # an override for a partner without a parent distributor
CAP_REACHED = "cap_reached"
NO_WIN = "no_win"  # recurring or clawback on a deal that has no deal_won
RECURRING_OUTSIDE_MONTHS = "recurring_outside_months"
BELOW_THRESHOLD = "below_threshold"
ALREADY_PAID = "already_paid"  # a threshold bonus already paid this period
CLAWBACK_OUTSIDE_WINDOW = "clawback_outside_window"  # cancelled more than within_days after the win
NOTHING_TO_REVERSE = "nothing_to_reverse"  # no line of the deal left to give back
ZERO_AMOUNT = "zero_amount"  # the line came to 0 yen (truncated, a 0% bracket, a 0 amount)
REASONS = (WRONG_EVENT_KIND, OUTSIDE_RULE_WINDOW, PRODUCT_NOT_COVERED, OUTSIDE_PLAN_WINDOW, PARTNER_TYPE_NOT_ELIGIBLE,
           TIER_NOT_ELIGIBLE, NO_PARENT, CAP_REACHED, NO_WIN, RECURRING_OUTSIDE_MONTHS, BELOW_THRESHOLD, ALREADY_PAID,
           CLAWBACK_OUTSIDE_WINDOW, NOTHING_TO_REVERSE, ZERO_AMOUNT)


@dataclass(frozen=True, slots=True)
class Step:
    """One rule considered on one event: the lines it wrote (partner, line), or why it wrote none."""

    event: Event
    rule: Rule
    reason: str | None  # None: paid, see `lines`
    lines: tuple[tuple[str, Line], ...] = ()

    @property
    def paid(self) -> bool:
        return self.reason is None

