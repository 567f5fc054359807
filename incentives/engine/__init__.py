"""The incentive engine: what a plan pays for a list of events (spec: INCENTIVE_PLANS.md).

One pure, typed package behind every caller — the periodic commission run, the console's
"simulate on past events" screen and `manage.py simulate_incentives`. No models, no database,
no I/O: `parse_plan`, `parse_events`/`read_events_csv`, `parse_partners`/`read_partners_csv`
turn what the caller passes into values, and `compute` turns those into lines. `explain` is
the same run with a trace: for each event asked about, every rule of the plan with the lines it
wrote or the reason code it wrote none (the checks return those codes; `compute` ignores them). Bad input
raises `PlanError` (naming the rule and the field) or `InputError` (naming the CSV lines)
before anything is computed.

Decisions on what the spec leaves open, chosen so that every yen is exact, explainable from
the line's own event and paid once:

- Money. Every product is exact (a rate is the exact fraction of its decimal string, times
  whole yen in integers), then each line is truncated toward zero to the unit (切り捨て). A
  line of 0 yen is not written: it pays nothing, and it does not use a cap slot.
- Order. Events run by `occurred_on`, ties by `event_id` in natural order — digit runs compare
  as numbers, so e2 comes before e10 and "99" before "100" (database ids), then the plain
  string breaks what is left ("e01" before "e1"). For one event the rules run in the plan's
  order. Partners are listed in the same natural order of their codes.
- Who earns. An event earns when its date is in valid_from..valid_to and its partner matches
  `applies_to` with the type and tier it had on that day (`PartnerInfo.as_of`). An override
  pays the parent whatever the parent's own type or tier: the plan is the sub-reseller's.
  A rule then sees the event when `on`, `products` and `from`/`to` also match and its cap
  still has room.
- Caps count, per receiving partner (the parent for an override, the cancelling partner for
  a clawback) and cap period, the events on which the rule wrote a line. Past the cap the
  rule ignores the event altogether: no line and no cumulative amount — otherwise a
  retroactive catch-up would pay the capped amount after all.
- Cumulative amounts (stepped, threshold_bonus) belong to one rule, one partner, one period,
  and add up the `amount` of the events that rule saw. Brackets start at 0 and a bracket is
  reached when the cumulative total is at least its `from`. Marginal: each yen of the event
  at the rate of the bracket it falls in. Retroactive: the whole amount at the rate reached
  with the event; when that rate is above the rate of the total before it, a catch-up line
  = floor(total before × new rate) − this rule's own lines for the partner and period so far
  (clawback lines are the clawback rule's, so they are not subtracted). Retroactive rates may
  not go down, so a catch-up is never negative.
- threshold_bonus pays once per rule, partner and period, on the event whose cumulative
  amount first reaches the threshold; a clawback of that line does not reopen it.
- recurring: an invoice counts from the deal's win date up to the same day `months` later,
  both inclusive; when that day does not exist, or the deal was won on the last day of a
  month, up to the last day of that month. This is how 民法 143 counts a period of months
  from the day after the win (初日不算入): won 2026-04-15, 12 months → to 2027-04-15; won
  2026-01-31 or 2026-02-28, 1 month → to 2026-02-28 or 2026-03-31. Invoices dated before the
  win pay nothing. The win date comes from the deal's `deal_won` event even when that event
  earned nothing (before valid_from, other tier): contracts won last year still share revenue.
- clawback: on a `deal_cancelled` 0..within_days days after the deal's `deal_won`, it reverses
  every line this plan wrote so far for events naming the deal (deal_registered, deal_won,
  invoice_paid — each with its catch-up, threshold_bonus and override lines), line by line,
  to the partner that got it: −trunc(line × share). A reversal is not an earning: it is not
  limited by valid_to or applies_to (a deal won on 31 March and cancelled on 1 April gives
  its commission back, and a downgrade does not cancel a clawback), only by within_days and
  the clawback rule's own `products`, `from`/`to` and cap. Each line is reversed at most once:
  the first clawback rule in plan order that applies takes the lines, so "within 30 days
  all, within 90 days half" is two rules in that order. A cancellation gives back the
  cancelled deal's money and rewrites nothing else: cumulative amounts, stepped rates, a
  reached threshold and cap counts stay as they were, and the lines of other deals (even a
  catch-up that the cancelled deal helped to reach) are final. Lines of the deal after its
  cancellation are paid as usual. Without a `deal_won` there is nothing to claw back (a
  registration bonus stays).
- A partner's total is the sum of its lines. Each line carries its event's day, so
  `Result.period_totals` gives the totals per month, quarter or fiscal year; the total of the
  period of a cancellation may be negative, and carrying it forward (次回相殺) is the payout
  run's business. Callers pass all of a plan's events, never one period's: a clawback needs
  the lines it reverses and a stepped rule its cumulative amount.
- Refused input, reported before anything is computed: an event_id twice (by the parsers),
  a deal won twice or cancelled twice, a cancellation that runs before its deal's win (same
  day, smaller event_id: the data is wrong, and computing would pay the deal for good), an
  event of a partner missing from the partners given, and a plan with `applies_to` or an
  override rule without partners. Unknown keys in a plan are refused too: a misspelt
  `cap_perod` or `applies-to` would otherwise change who is paid without anyone noticing.
  Columns that mean nothing for an event (an amount on a registration, a deal on a
  certification) are refused rather than ignored, which catches shifted CSV columns.
- Scale. One sort (by day, then one day's ties at a time) and one pass over the events; state
  lives in dicts keyed by deal and by (rule, partner, period), and lines are kept for
  clawback only for deals that have a cancellation, dropped once it has run. Nothing ever
  rescans earlier events, and besides the result only the sorted list of references and the
  per-deal index grow with the input.

Modules, one per concern (callers import from the package):

- `values`: the event kinds, `Event`, `PartnerInfo`, `Line`, `Result`, `PlanError`, `InputError`;
- `rules`: the rule kinds (`Percent`, `Fixed`, `Stepped`, …) and `Plan`;
- `plan`: `parse_plan`, the plan document checked field by field;
- `inputs`: events and partners from rows or CSV, and the checks of inputs taken together;
- `dates`: the order of events, payout periods, months after a win;
- `money`: whole yen, decimal rates and the exact context of every product;
- `computation`: `compute`, the one pass over the events with its state;
- `reasons` and `explanation`: why a rule paid nothing, and `explain`.
"""

from __future__ import annotations

from incentives.engine.computation import (
    CounterKey,
    compute,
    eligibility,
)
from incentives.engine.dates import (
    PERIODS,
    event_order,
    in_order,
    months_after,
    natural_key,
    period_key,
)
from incentives.engine.explanation import (
    Explanation,
    explain,
)
from incentives.engine.inputs import (
    parse_events,
    parse_partners,
    read_events_csv,
    read_partners_csv,
)
from incentives.engine.money import (
    CURRENCY,
    MAX_DIGITS,
)
from incentives.engine.plan import (
    KIND_FIELDS,
    NAME_LANGUAGES,
    ON_CHOICES,
    parse_plan,
)
from incentives.engine.reasons import (
    ALREADY_PAID,
    BELOW_THRESHOLD,
    CAP_REACHED,
    CLAWBACK_OUTSIDE_WINDOW,
    NO_PARENT,
    NO_WIN,
    NOTHING_TO_REVERSE,
    OUTSIDE_PLAN_WINDOW,
    OUTSIDE_RULE_WINDOW,
    PARTNER_TYPE_NOT_ELIGIBLE,
    PRODUCT_NOT_COVERED,
    REASONS,
    RECURRING_OUTSIDE_MONTHS,
    TIER_NOT_ELIGIBLE,
    WRONG_EVENT_KIND,
    ZERO_AMOUNT,
    Step,
)
from incentives.engine.rules import (
    MODES,
    RULE_KINDS,
    Bracket,
    Clawback,
    Fixed,
    Override,
    Percent,
    Plan,
    Recurring,
    Rule,
    Stepped,
    ThresholdBonus,
)
from incentives.engine.values import (
    CERTIFICATION_EARNED,
    DEAL_CANCELLED,
    DEAL_REGISTERED,
    DEAL_WON,
    EVENT_KINDS,
    EVENTS_HEADER,
    INVOICE_PAID,
    PARTNERS_HEADER,
    REVERSIBLE,
    SESSION_ATTENDED,
    WITH_AMOUNT,
    WITH_DEAL,
    Event,
    InputError,
    Line,
    PartnerChange,
    PartnerInfo,
    PartnerResult,
    PlanError,
    Problem,
    Result,
)

__all__ = [
    "ALREADY_PAID",
    "BELOW_THRESHOLD",
    "Bracket",
    "CAP_REACHED",
    "CERTIFICATION_EARNED",
    "CLAWBACK_OUTSIDE_WINDOW",
    "CURRENCY",
    "Clawback",
    "CounterKey",
    "DEAL_CANCELLED",
    "DEAL_REGISTERED",
    "DEAL_WON",
    "EVENTS_HEADER",
    "EVENT_KINDS",
    "Event",
    "Explanation",
    "Fixed",
    "INVOICE_PAID",
    "InputError",
    "KIND_FIELDS",
    "Line",
    "MAX_DIGITS",
    "MODES",
    "NAME_LANGUAGES",
    "NOTHING_TO_REVERSE",
    "NO_PARENT",
    "NO_WIN",
    "ON_CHOICES",
    "OUTSIDE_PLAN_WINDOW",
    "OUTSIDE_RULE_WINDOW",
    "Override",
    "PARTNERS_HEADER",
    "PARTNER_TYPE_NOT_ELIGIBLE",
    "PERIODS",
    "PRODUCT_NOT_COVERED",
    "PartnerChange",
    "PartnerInfo",
    "PartnerResult",
    "Percent",
    "Plan",
    "PlanError",
    "Problem",
    "REASONS",
    "RECURRING_OUTSIDE_MONTHS",
    "REVERSIBLE",
    "RULE_KINDS",
    "Recurring",
    "Result",
    "Rule",
    "SESSION_ATTENDED",
    "Step",
    "Stepped",
    "TIER_NOT_ELIGIBLE",
    "ThresholdBonus",
    "WITH_AMOUNT",
    "WITH_DEAL",
    "WRONG_EVENT_KIND",
    "ZERO_AMOUNT",
    "compute",
    "eligibility",
    "event_order",
    "explain",
    "in_order",
    "months_after",
    "natural_key",
    "parse_events",
    "parse_partners",
    "parse_plan",
    "period_key",
    "read_events_csv",
    "read_partners_csv",
]
