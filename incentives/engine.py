"""The incentive engine: what a plan pays for a list of events (spec: INCENTIVE_PLANS.md).

One pure, typed module behind every caller — the periodic commission run, the console's
"simulate on past events" screen and `manage.py simulate_incentives`. No models, no database,
no I/O: `parse_plan`, `parse_events`/`read_events_csv`, `parse_partners`/`read_partners_csv`
turn what the caller passes into values, and `compute` turns those into lines. `explain` is
the same run with a trace: for each event asked about, every rule of the plan with the lines it
wrote or the reason code it wrote none (the checks return those codes; `compute` ignores them). Bad input
raises `PlanError` (naming the rule and the field) or `InputError` (naming the CSV lines)
before anything is computed.

Decisions on what the spec leaves open, chosen so that every yen is exact, explainable from
the line's own event and paid once:

- Money. `Decimal` for every product, then each line is truncated toward zero to the unit
  (切り捨て). A line of 0 yen is not written: it pays nothing, and it does not use a cap slot.
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
"""

from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_right
from calendar import isleap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, Inexact, localcontext
from itertools import groupby
from typing import Any, ClassVar, NamedTuple, NoReturn, TypeVar

from django.utils.translation import gettext as _

DEAL_REGISTERED, DEAL_WON, DEAL_CANCELLED = "deal_registered", "deal_won", "deal_cancelled"
INVOICE_PAID, CERTIFICATION_EARNED, SESSION_ATTENDED = "invoice_paid", "certification_earned", "session_attended"
EVENT_KINDS = (DEAL_REGISTERED, DEAL_WON, DEAL_CANCELLED, INVOICE_PAID, CERTIFICATION_EARNED, SESSION_ATTENDED)
WITH_AMOUNT = frozenset({DEAL_WON, INVOICE_PAID})
CURRENCY = "JPY"  # the only currency: amounts are whole yen end to end
WITH_DEAL = frozenset({DEAL_REGISTERED, DEAL_WON, DEAL_CANCELLED, INVOICE_PAID})
REVERSIBLE = frozenset({DEAL_REGISTERED, DEAL_WON, INVOICE_PAID})
PERIODS = ("month", "quarter", "year")
MODES = ("marginal", "retroactive")
EVENTS_HEADER = ("event_id", "occurred_on", "partner", "event", "amount", "deal", "product")
PARTNERS_HEADER = ("partner", "type", "tier", "parent")

MAX_DIGITS = 15  # amounts up to 999兆円; with 12-decimal rates every product stays exact at 64 digits
_DECIMAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,12})?")
_INTEGER = re.compile(r"[0-9]{1,%d}" % MAX_DIGITS)
_NUMBER_RUNS = re.compile(r"(\d+)")
T = TypeVar("T")

# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str
    on: str
    products: frozenset[str] | None = None
    start: date | None = None  # "from"
    end: date | None = None  # "to"
    cap_count: int | None = None
    cap_period: str | None = None
    # What people call the rule, per language ((("ja", "…"), ("en", "…"))); never used in the computation.
    names: tuple[tuple[str, str], ...] = ()
    kind: ClassVar[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Percent(Rule):
    rate: Decimal
    kind: ClassVar[str] = "percent"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixed(Rule):
    amount: int
    kind: ClassVar[str] = "fixed"


@dataclass(frozen=True, slots=True)
class Bracket:
    start: int  # "from", in yen
    rate: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Stepped(Rule):
    period: str
    mode: str
    brackets: tuple[Bracket, ...]
    kind: ClassVar[str] = "stepped"

    def rate_at(self, cumulative: int) -> Decimal:
        return self.brackets[bisect_right(self.brackets, cumulative, key=_bracket_start) - 1].rate

    def marginal(self, before: int, after: int) -> Decimal:
        """Each yen from `before` to `after` at the rate of the bracket it falls in."""
        total = Decimal(0)
        brackets = self.brackets
        index = bisect_right(brackets, before, key=_bracket_start) - 1
        while index < len(brackets) and brackets[index].start < after:
            upper = brackets[index + 1].start if index + 1 < len(brackets) else after
            span = min(after, upper) - max(before, brackets[index].start)
            if span > 0:
                total += brackets[index].rate * span
            index += 1
        return total


def _bracket_start(bracket: Bracket) -> int:
    return bracket.start


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdBonus(Rule):
    period: str
    threshold: int
    amount: int
    kind: ClassVar[str] = "threshold_bonus"


@dataclass(frozen=True, slots=True, kw_only=True)
class Recurring(Rule):
    rate: Decimal
    months: int
    kind: ClassVar[str] = "recurring"


@dataclass(frozen=True, slots=True, kw_only=True)
class Override(Rule):
    rate: Decimal
    kind: ClassVar[str] = "override"


@dataclass(frozen=True, slots=True, kw_only=True)
class Clawback(Rule):
    within_days: int
    share: Decimal = Decimal(1)
    kind: ClassVar[str] = "clawback"


RULE_KINDS: dict[str, type[Rule]] = {kind.kind: kind for kind in (Percent, Fixed, Stepped, ThresholdBonus, Recurring,
                                                                   Override, Clawback)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    code: str
    name: str
    currency: str
    fiscal_year_start_month: int
    valid_from: date
    valid_to: date
    partner_types: frozenset[str] | None = None
    tiers: frozenset[str] | None = None
    rules: tuple[Rule, ...]

    @property
    def limits_partners(self) -> bool:
        return self.partner_types is not None or self.tiers is not None


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    occurred_on: date
    partner: str
    kind: str  # the CSV's `event` column
    amount: int | None = None
    deal: str = ""
    product: str = ""
    line: int | None = None  # where it came from, for messages


@dataclass(frozen=True, slots=True)
class PartnerChange:
    since: date
    type: str
    tier: str


@dataclass(frozen=True, slots=True)
class PartnerInfo:
    """A partner's type and tier (the ones before the first change, then `changes` in date
    order — the database's tier history) and its parent distributor (二次店の一次店)."""

    partner: str
    type: str = ""
    tier: str = ""
    parent: str | None = None
    changes: tuple[PartnerChange, ...] = ()

    def as_of(self, day: date) -> tuple[str, str]:
        index = bisect_right(self.changes, day, key=_change_since)
        if index == 0:
            return self.type, self.tier
        change = self.changes[index - 1]
        return change.type, change.tier


def _change_since(change: PartnerChange) -> date:
    return change.since


class Line(NamedTuple):
    event_id: str
    rule: str
    amount: int
    occurred_on: date  # the day of the event that caused it, which decides its payout period
    kind: str = "pay"  # "pay", "catch_up" or "clawback"
    reverses: Line | None = None  # for a clawback line, the line it gives back


@dataclass(frozen=True, slots=True)
class PartnerResult:
    total: int
    lines: list[Line]


@dataclass(frozen=True, slots=True)
class Result:
    currency: str
    fiscal_year_start_month: int
    partners: dict[str, PartnerResult]

    def period_totals(self, period: str) -> dict[str, dict[tuple[int, int], int]]:
        """Each partner's total per `period_key` of its lines' days. Over the whole result a total
        cannot go below 0 (a clawback gives back at most what the same result paid); in the
        period of a cancellation it can, and the payout run carries that forward (次回相殺)."""
        totals: dict[str, dict[tuple[int, int], int]] = {}
        for partner, result in self.partners.items():
            periods = totals[partner] = {}
            for line in result.lines:
                key = period_key(line.occurred_on, period, self.fiscal_year_start_month)
                periods[key] = periods.get(key, 0) + line.amount
        return totals

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "partners": {
                partner: {"total": result.total,
                          "lines": [{"event_id": line.event_id, "rule": line.rule, "amount": line.amount}
                                    for line in result.lines]}
                for partner, result in self.partners.items()
            },
        }


Problem = tuple[int | None, str]


class PlanError(ValueError):
    """A plan that cannot be evaluated; `rule` and `field` say where."""

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None,
                 problem: str | None = None) -> None:
        super().__init__(message)
        self.message, self.rule, self.field = message, rule, field
        self.problem = problem or message  # what is wrong, without the rule and field (a form shows it at the field)


class InputError(ValueError):
    """Events or partners that cannot be evaluated: (line or None, message) for each problem.
    `source` is "events", "partners" or None (the problem is about the inputs together)."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        super().__init__("; ".join(message if line is None else f"{line}: {message}" for line, message in problems))
        self.problems, self.source = list(problems), source


# --------------------------------------------------------------------------- dates and order


def natural_key(text: str) -> tuple[tuple[str | int, ...], str]:
    """Digit runs compared as numbers; split() puts them at odd places, so str meets str and int int."""
    parts = _NUMBER_RUNS.split(text)
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts)), text


def event_order(event: Event) -> tuple[date, tuple[tuple[str | int, ...], str]]:
    return event.occurred_on, natural_key(event.event_id)


def in_order(events: Iterable[Event]) -> list[Event]:
    """The events sorted by `event_order`. Sorted by day first and then one day's ties at a
    time, so that the natural-order keys never exist for all events at once."""
    ordered = sorted(events, key=_day)
    start = 0
    for _day_value, group in groupby(ordered, key=_day):
        count = sum(1 for _event in group)
        if count > 1:
            ordered[start:start + count] = sorted(ordered[start:start + count], key=_tie_order)
        start += count
    return ordered


def _day(event: Event) -> date:
    return event.occurred_on


def _tie_order(event: Event) -> tuple[tuple[str | int, ...], str]:
    return natural_key(event.event_id)


def months_after(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when there is none or `day` is the
    last day of its month (民法 143)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    last = _days_in_month(year, month)
    if day.day == _days_in_month(day.year, day.month):
        return date(year, month, last)
    return date(year, month, min(day.day, last))


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def period_key(day: date, period: str, fiscal_year_start_month: int) -> tuple[int, int]:
    """(calendar year, month) for "month"; (fiscal year, quarter 1–4) for "quarter"; (fiscal
    year, 0) for "year". A fiscal year is named by the calendar year it starts in (FY2026 =
    April 2026 – March 2027 when it starts in April)."""
    if period == "month":
        return day.year, day.month
    fiscal_year = day.year if day.month >= fiscal_year_start_month else day.year - 1
    if period == "year":
        return fiscal_year, 0
    return fiscal_year, (day.month - fiscal_year_start_month) % 12 // 3 + 1


# --------------------------------------------------------------------------- the plan

_COMMON_FIELDS = ("id", "kind", "name", "products", "from", "to", "cap_count", "cap_period")
_KIND_FIELDS = {
    "percent": ("on", "rate"),
    "fixed": ("on", "amount"),
    "stepped": ("on", "period", "mode", "brackets"),
    "threshold_bonus": ("on", "period", "threshold", "amount"),
    "recurring": ("on", "rate", "months"),
    "override": ("on", "rate"),
    "clawback": ("within_days", "share"),
}
_ON_CHOICES = {
    "percent": sorted(WITH_AMOUNT),
    "fixed": [kind for kind in EVENT_KINDS if kind != DEAL_CANCELLED],
    "stepped": sorted(WITH_AMOUNT),
    "threshold_bonus": sorted(WITH_AMOUNT),
    "recurring": [INVOICE_PAID],
    "override": sorted(WITH_AMOUNT),
}
# The fields a rule of each kind takes besides the common ones, and the events it may run on (the plan builder's form).
KIND_FIELDS, ON_CHOICES = _KIND_FIELDS, _ON_CHOICES
_PLAN_FIELDS = ("code", "name", "currency", "fiscal_year_start_month", "valid_from", "valid_to", "applies_to", "rules")


def _plan_error(problem: str, *, rule: str | None = None, field: str | None = None) -> PlanError:
    if rule is not None and field is not None:
        message = _('rule "%(rule)s", field "%(field)s": %(problem)s') % {"rule": rule, "field": field, "problem": problem}
    elif rule is not None:
        message = _('rule "%(rule)s": %(problem)s') % {"rule": rule, "problem": problem}
    elif field is not None:
        message = _('field "%(field)s": %(problem)s') % {"field": field, "problem": problem}
    else:
        message = problem
    return PlanError(message, rule=rule, field=field, problem=problem)


class _Fields:
    """Reads and checks the fields of one JSON object of the plan (the plan, a rule, a bracket)."""

    def __init__(self, data: Mapping[str, Any], rule: str | None = None, prefix: str = "") -> None:
        self.data, self.rule, self.prefix = data, rule, prefix

    def fail(self, key: str, problem: str) -> NoReturn:
        raise _plan_error(problem, rule=self.rule, field=self.prefix + key)

    def refuse_unknown(self, allowed: Sequence[str], what: str) -> None:
        for key in self.data:
            if key not in allowed:
                self.fail(str(key), _("%(what)s has no such field; its fields are %(fields)s")
                          % {"what": what, "fields": ", ".join(allowed)})

    def given(self, key: str) -> bool:
        return self.data.get(key) is not None

    def optional(self, key: str, read: Callable[[str], T]) -> T | None:
        return read(key) if self.given(key) else None

    def value(self, key: str) -> Any:
        if not self.given(key):
            self.fail(key, _("is missing"))
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, _("must be a non-empty text"))
        return value.strip()

    def choice(self, key: str, choices: Sequence[str]) -> str:
        value = self.value(key)
        if value not in choices:
            self.fail(key, _("%(value)s is not one of %(choices)s") % {"value": _shown(value), "choices": ", ".join(choices)})
        return str(value)

    def integer(self, key: str, minimum: int = 0, maximum: int = 10**MAX_DIGITS - 1) -> int:
        value = self.value(key)
        if type(value) is not int:
            self.fail(key, _("%(value)s is not a whole number (write it without quotes or decimals, such as 10000)")
                      % {"value": _shown(value)})
        if not minimum <= value <= maximum:
            self.fail(key, _("must be between %(minimum)s and %(maximum)s") % {"minimum": minimum, "maximum": maximum})
        return value

    def rate(self, key: str) -> Decimal:
        value = self.value(key)
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            self.fail(key, _('%(value)s is not a decimal string such as "0.15" (in quotes, at most 12 decimals)')
                      % {"value": _shown(value)})
        return Decimal(value)

    def day(self, key: str) -> date:
        value = self.value(key)
        parsed = _iso_date(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail(key, _("%(value)s is not an ISO 8601 date such as 2026-04-01") % {"value": _shown(value)})
        return parsed

    def names(self, key: str) -> frozenset[str]:
        value = self.value(key)
        if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
            self.fail(key, _("must be a non-empty list of texts"))
        return frozenset(item.strip() for item in value)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_plan(data: Any) -> Plan:
    """The plan of a JSON document (already decoded), checked completely; `PlanError` otherwise."""
    if not isinstance(data, Mapping):
        raise _plan_error(_("a plan must be a JSON object"))
    fields = _Fields(data)
    fields.refuse_unknown(_PLAN_FIELDS, _("the plan"))
    code, name, currency = fields.text("code"), fields.text("name"), fields.text("currency")
    if currency != CURRENCY:
        # Amounts are whole yen from the deal to the 全銀 transfer; another currency would be silently paid as yen.
        fields.fail("currency", _('must be "JPY": commissions are computed and paid in yen only'))
    start_month = fields.integer("fiscal_year_start_month", minimum=1, maximum=12)
    valid_from, valid_to = fields.day("valid_from"), fields.day("valid_to")
    if valid_to < valid_from:
        fields.fail("valid_to", _("comes before valid_from"))
    partner_types = tiers = None
    if fields.given("applies_to"):
        if not isinstance(data["applies_to"], Mapping):
            fields.fail("applies_to", _("must be an object with partner_types and/or tiers"))
        limits = _Fields(data["applies_to"], prefix="applies_to.")
        limits.refuse_unknown(("partner_types", "tiers"), "applies_to")
        partner_types, tiers = limits.optional("partner_types", limits.names), limits.optional("tiers", limits.names)
    rules_data = fields.value("rules")
    if not isinstance(rules_data, list) or not rules_data:
        fields.fail("rules", _("must be a non-empty list of rules"))
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, rule_data in enumerate(rules_data, start=1):
        rule = _parse_rule(rule_data, position)
        if rule.id in seen:
            raise _plan_error(_("another rule has the same id"), rule=rule.id, field="id")
        seen.add(rule.id)
        rules.append(rule)
    return Plan(code=code, name=name, currency=currency, fiscal_year_start_month=start_month, valid_from=valid_from,
                valid_to=valid_to, partner_types=partner_types, tiers=tiers, rules=tuple(rules))


def _parse_rule(data: Any, position: int) -> Rule:
    label = f"#{position}"  # a rule without a usable id is named by its place in the list
    if isinstance(data, Mapping) and isinstance(data.get("id"), str) and data["id"].strip():
        label = data["id"].strip()
    if not isinstance(data, Mapping):
        raise _plan_error(_("must be a JSON object"), rule=label)
    fields = _Fields(data, rule=label)
    rule_id, kind = fields.text("id"), fields.choice("kind", list(RULE_KINDS))
    fields.refuse_unknown(_COMMON_FIELDS + _KIND_FIELDS[kind], _("a %(kind)s rule") % {"kind": kind})
    start, end = fields.optional("from", fields.day), fields.optional("to", fields.day)
    if start is not None and end is not None and end < start:
        fields.fail("to", _("comes before from"))
    cap_count = fields.optional("cap_count", lambda key: fields.integer(key, minimum=1))
    cap_period = fields.optional("cap_period", lambda key: fields.choice(key, PERIODS))
    if (cap_count is None) != (cap_period is None):
        fields.fail("cap_period" if cap_period is None else "cap_count",
                    _("is missing: a cap needs both cap_count and cap_period"))
    common: dict[str, Any] = {"id": rule_id, "products": fields.optional("products", fields.names), "start": start,
                              "end": end, "cap_count": cap_count, "cap_period": cap_period,
                              "names": _rule_names(fields)}
    if kind == "clawback":
        share = fields.optional("share", fields.rate)
        if share is not None and not 0 < share <= 1:
            fields.fail("share", _("must be more than 0 and at most 1"))
        return Clawback(on=DEAL_CANCELLED, within_days=fields.integer("within_days"),
                        share=Decimal(1) if share is None else share, **common)
    common["on"] = fields.choice("on", _ON_CHOICES[kind])
    if kind == "percent":
        return Percent(rate=fields.rate("rate"), **common)
    if kind == "fixed":
        return Fixed(amount=fields.integer("amount"), **common)
    if kind == "override":
        return Override(rate=fields.rate("rate"), **common)
    if kind == "recurring":
        return Recurring(rate=fields.rate("rate"), months=fields.integer("months", minimum=1, maximum=1200), **common)
    period = fields.choice("period", PERIODS)
    if kind == "threshold_bonus":
        return ThresholdBonus(period=period, threshold=fields.integer("threshold", minimum=1),
                              amount=fields.integer("amount"), **common)
    mode = fields.choice("mode", MODES)
    return Stepped(period=period, mode=mode, brackets=_brackets(fields, mode), **common)


NAME_LANGUAGES = ("ja", "en")


def _rule_names(fields: _Fields) -> tuple[tuple[str, str], ...]:
    """The optional `name`: a text (any language) or {"ja": "…", "en": "…"}."""
    if not fields.given("name"):
        return ()
    value = fields.data["name"]
    if isinstance(value, str):
        if not value.strip() or len(value) > 200:
            fields.fail("name", _("must be a text of 1 to 200 characters"))
        return (("", value.strip()),)
    if not isinstance(value, Mapping) or not value:
        fields.fail("name", _('must be a text or an object such as {"ja": "販売マージン", "en": "Resale margin"}'))
    names = []
    for language, text in value.items():
        if language not in NAME_LANGUAGES:
            fields.fail(f"name.{language}", _("is not a supported language; use %(languages)s")
                        % {"languages": ", ".join(NAME_LANGUAGES)})
        if not isinstance(text, str) or not text.strip() or len(text) > 200:
            fields.fail(f"name.{language}", _("must be a text of 1 to 200 characters"))
        names.append((language, text.strip()))
    return tuple(names)


def _brackets(fields: _Fields, mode: str) -> tuple[Bracket, ...]:
    value = fields.value("brackets")
    if not isinstance(value, list) or not value:
        fields.fail("brackets", _('must be a non-empty list such as [{"from": 0, "rate": "0.10"}]'))
    brackets: list[Bracket] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            fields.fail(f"brackets[{number}]", _('must be an object such as {"from": 0, "rate": "0.10"}'))
        bracket = _Fields(item, rule=fields.rule, prefix=f"brackets[{number}].")
        bracket.refuse_unknown(("from", "rate"), _("a bracket"))
        start, rate = bracket.integer("from"), bracket.rate("rate")
        if not brackets and start != 0:
            bracket.fail("from", _("the first bracket must start at 0"))
        if brackets and start <= brackets[-1].start:
            bracket.fail("from", _("brackets must ascend: %(start)s does not come after %(previous)s")
                         % {"start": start, "previous": brackets[-1].start})
        if brackets and mode == "retroactive" and rate < brackets[-1].rate:
            bracket.fail("rate", _("a retroactive rate cannot go down from one bracket to the next"))
        brackets.append(Bracket(start, rate))
    return tuple(brackets)


# --------------------------------------------------------------------------- events and partners


def parse_events(rows: Iterable[Mapping[str, Any]], *, line_offset: int = 2) -> list[Event]:
    """Events from rows with the CSV's keys (the first row being line `line_offset`)."""
    return _events(enumerate(rows, start=line_offset))


def read_events_csv(text: str) -> list[Event]:
    """Events from the text of an events CSV with its header row."""
    return _events(_csv_rows(text, EVENTS_HEADER, "events"), source="events")


def parse_partners(rows: Iterable[Mapping[str, Any]], *, line_offset: int = 2) -> dict[str, PartnerInfo]:
    return _partners(enumerate(rows, start=line_offset))


def read_partners_csv(text: str) -> dict[str, PartnerInfo]:
    return _partners(_csv_rows(text, PARTNERS_HEADER, "partners"), source="partners")


def _csv_rows(text: str, header: Sequence[str], source: str) -> Iterator[tuple[int, Mapping[str, Any] | str]]:
    """(line, row as a dict) or (line, problem) for each non-blank row; a bad header is line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        names = [cell.strip() for cell in next(reader, [])]
        if sorted(names) != sorted(header):
            raise InputError([(1, _("the first line must be the header %(header)s") % {"header": ",".join(header)})],
                             source)
        line = reader.line_num + 1
        for row in reader:
            row_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield row_line, _("expected %(expected)s columns, found %(found)s") % {"expected": len(names),
                                                                                       "found": len(row)}
                continue
            yield row_line, dict(zip(names, row, strict=True))
    except csv.Error as error:
        raise InputError([(reader.line_num, _("the CSV cannot be read: %(error)s") % {"error": error})], source) from None


def _cell(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _events(numbered: Iterable[tuple[int, Mapping[str, Any] | str]], source: str | None = "events") -> list[Event]:
    events: list[Event] = []
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    for line, row in numbered:
        result = row if isinstance(row, str) else _event(row, line)
        if isinstance(result, str):
            problems.append((line, result))
        elif result.event_id in lines:
            problems.append((line, _("the event_id %(id)s appears twice (first on line %(line)s)")
                             % {"id": result.event_id, "line": lines[result.event_id]}))
        else:
            lines[result.event_id] = line
            events.append(result)
    if problems:
        raise InputError(problems, source)
    return events


def _event(row: Mapping[str, Any], line: int) -> Event | str:
    event_id, partner, kind = _cell(row, "event_id"), _cell(row, "partner"), _cell(row, "event")
    amount_text, deal, product = _cell(row, "amount"), _cell(row, "deal"), _cell(row, "product")
    raw_day = row.get("occurred_on")  # a date from other callers; a datetime's day depends on the zone: refused
    occurred_on = raw_day if isinstance(raw_day, date) and not isinstance(raw_day, datetime) else _iso_date(
        _cell(row, "occurred_on"))
    if not event_id:
        return _("event_id is empty")
    if occurred_on is None:
        return _("occurred_on: %(value)s is not an ISO 8601 date such as 2026-04-01") % {
            "value": _shown(_cell(row, "occurred_on"))}
    if not partner:
        return _("partner is empty")
    if kind not in EVENT_KINDS:
        return _("event: %(value)s is not one of %(choices)s") % {"value": _shown(kind), "choices": ", ".join(EVENT_KINDS)}
    amount = None
    if kind in WITH_AMOUNT:
        if not amount_text:
            return _("amount is empty; %(event)s needs one") % {"event": kind}
        if not _INTEGER.fullmatch(amount_text):
            return _("amount: %(value)s is not a whole number of yen (digits only, at most %(digits)s)") % {
                "value": _shown(amount_text), "digits": MAX_DIGITS}
        amount = int(amount_text)
    elif amount_text:
        return _("amount must be empty for %(event)s") % {"event": kind}
    if kind in WITH_DEAL and not deal:
        return _("deal is empty; %(event)s names its deal") % {"event": kind}
    if kind not in WITH_DEAL and deal:
        return _("deal must be empty for %(event)s") % {"event": kind}
    return Event(event_id, occurred_on, partner, kind, amount, deal, product, line)


def _partners(numbered: Iterable[tuple[int, Mapping[str, Any] | str]],
              source: str | None = "partners") -> dict[str, PartnerInfo]:
    partners: dict[str, PartnerInfo] = {}
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    for line, row in numbered:
        if isinstance(row, str):
            problems.append((line, row))
            continue
        partner, parent = _cell(row, "partner"), _cell(row, "parent")
        if not partner:
            problems.append((line, _("partner is empty")))
        elif partner in partners:
            problems.append((line, _("partner %(partner)s appears twice (first on line %(line)s)")
                             % {"partner": partner, "line": lines[partner]}))
        elif parent == partner:
            problems.append((line, _("partner %(partner)s cannot be its own parent") % {"partner": partner}))
        else:
            partners[partner] = PartnerInfo(partner, _cell(row, "type"), _cell(row, "tier"), parent or None)
            lines[partner] = line
    for partner, info in partners.items():
        if info.parent is not None and info.parent not in partners:
            problems.append((lines[partner], _("parent %(parent)s is not in the partners file") % {"parent": info.parent}))
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem[0] or 0), source)
    return partners


def _check(plan: Plan, events: Sequence[Event],
           partners: Mapping[str, PartnerInfo] | None) -> tuple[dict[str, Event], set[str]]:
    """Refuse inconsistent inputs; the win of each deal and the deals that are cancelled.
    (Event ids are unique in what the parsers return and in the database; they are not checked
    again here, which would keep a set of every id.)"""
    if partners is None:
        needs = []
        if plan.limits_partners:
            needs.append((None, _("the plan's applies_to needs each partner's type and tier: give the partners")))
        needs += [(None, _('rule "%(rule)s" pays the parent of the partner: give the partners') % {"rule": rule.id})
                  for rule in plan.rules if isinstance(rule, Override)]
        if needs:
            raise InputError(needs)
    problems: list[Problem] = []
    won: dict[str, Event] = {}
    cancelled: dict[str, Event] = {}
    for event in events:
        if partners is not None and event.partner not in partners:
            problems.append((event.line, _("partner %(partner)s is not among the partners") % {"partner": event.partner}))
        if event.kind in (DEAL_WON, DEAL_CANCELLED):
            seen = won if event.kind == DEAL_WON else cancelled
            first = seen.setdefault(event.deal, event)
            if first is not event:
                message = (_("deal %(deal)s is won twice: %(first)s and %(second)s") if event.kind == DEAL_WON
                           else _("deal %(deal)s is cancelled twice: %(first)s and %(second)s"))
                problems.append((event.line, message % {"deal": event.deal, "first": first.event_id,
                                                        "second": event.event_id}))
    for deal, cancellation in cancelled.items():
        win = won.get(deal)
        if win is not None and event_order(cancellation) < event_order(win):
            problems.append((cancellation.line, _("%(id)s cancels deal %(deal)s before its win %(won)s (events run by "
                                                  "occurred_on, then event_id)")
                             % {"id": cancellation.event_id, "deal": deal, "won": win.event_id}))
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem[0] or 0), "events")
    return won, set(cancelled)


# --------------------------------------------------------------------------- computing


def compute(plan: Plan, events: Sequence[Event], partners: Mapping[str, PartnerInfo] | None = None) -> Result:
    """Every line the plan pays for the events, per partner, in processing order."""
    wins, cancelled = _check(plan, events, partners)
    ordered = in_order(events)
    with localcontext() as context:
        context.prec = 64
        context.traps[Inexact] = True
        return _Run(plan, partners, wins, cancelled).run(ordered)


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


@dataclass(frozen=True, slots=True)
class Explanation:
    result: Result
    # Per traced event in processing order: the rules for other kinds of event, then its own rules in plan order.
    steps: list[Step]


def explain(plan: Plan, events: Sequence[Event], partners: Mapping[str, PartnerInfo] | None = None,
            event_ids: Iterable[str] | None = None) -> Explanation:
    """What `compute` pays, and for each event of `event_ids` (all when None) every rule of the
    plan with the lines it wrote or the reason it wrote none. The same run as `compute`: the
    reasons are the values its checks return, so an explanation cannot disagree with a payment."""
    wins, cancelled = _check(plan, events, partners)
    ordered = in_order(events)
    run = _Run(plan, partners, wins, cancelled)
    run.trace, run.traced = [], None if event_ids is None else set(event_ids)
    with localcontext() as context:
        context.prec = 64
        context.traps[Inexact] = True
        result = run.run(ordered)
    return Explanation(result, run.trace)


def eligibility(plan: Plan, info: PartnerInfo | None, day: date) -> str | None:
    """Why the plan pays nothing to a partner's event on `day` (its window, its applies_to with
    the partner's type and tier of that day), or None when the event earns."""
    if not plan.valid_from <= day <= plan.valid_to:
        return OUTSIDE_PLAN_WINDOW
    if plan.partner_types is not None or plan.tiers is not None:
        assert info is not None
        partner_type, tier = info.as_of(day)
        if plan.partner_types is not None and partner_type not in plan.partner_types:
            return PARTNER_TYPE_NOT_ELIGIBLE
        if plan.tiers is not None and tier not in plan.tiers:
            return TIER_NOT_ELIGIBLE
    return None


CounterKey = tuple[int, str, tuple[int, int]]  # (rule's position, partner, period)


class _Run:
    # Tracing (explain): the steps so far, and the event ids traced (None: all). Off for compute.
    trace: list[Step] | None = None
    traced: set[str] | None = None
    capture: list[tuple[str, Line]] | None = None

    def __init__(self, plan: Plan, partners: Mapping[str, PartnerInfo] | None, wins: dict[str, Event],
                 cancelled: set[str]) -> None:
        self.plan, self.partners, self.wins = plan, partners, wins
        self.rules_on: dict[str, list[tuple[int, Rule]]] = {}
        for index, rule in enumerate(plan.rules):
            self.rules_on.setdefault(rule.on, []).append((index, rule))
        # Lines are kept for reversal only for deals that will be cancelled, until they are.
        self.watched = cancelled if DEAL_CANCELLED in self.rules_on else set()
        self.deal_lines: dict[str, list[tuple[str, Line]]] = {}
        self.capped: dict[CounterKey, int] = {}
        self.cumulative: dict[CounterKey, list[int]] = {}  # stepped: [total, paid]; threshold: [total, reached]
        self.lines: dict[str, list[Line]] = {}
        self.totals: dict[str, int] = {}

    def run(self, ordered: Iterable[Event]) -> Result:
        trace = self.trace
        for event in ordered:
            rules = self.rules_on.get(event.kind)
            traced = trace is not None and (self.traced is None or event.event_id in self.traced)
            if traced:
                self._trace_other_kinds(event)
            if rules:
                # only clawbacks run on a cancellation
                refusal = None if event.kind == DEAL_CANCELLED else self._earns(event)
                for index, rule in rules:
                    if traced:
                        self.capture = []
                    if rule.start is not None and event.occurred_on < rule.start:
                        reason: str | None = OUTSIDE_RULE_WINDOW
                    elif rule.end is not None and event.occurred_on > rule.end:
                        reason = OUTSIDE_RULE_WINDOW
                    elif rule.products is not None and event.product not in rule.products:
                        reason = PRODUCT_NOT_COVERED
                    elif isinstance(rule, Clawback):
                        reason = self._clawback(index, rule, event)
                    elif refusal is None:
                        reason = self._apply(index, rule, event)
                    else:
                        reason = refusal
                    if traced:
                        self._trace(event, rule, reason)
            if event.kind == DEAL_CANCELLED and event.deal in self.watched:
                self.watched.discard(event.deal)
                self.deal_lines.pop(event.deal, None)
        order = sorted(self.lines, key=natural_key)
        return Result(self.plan.currency, self.plan.fiscal_year_start_month,
                      {partner: PartnerResult(self.totals[partner], self.lines[partner]) for partner in order})

    def _trace_other_kinds(self, event: Event) -> None:
        assert self.trace is not None
        for rule in self.plan.rules:
            if rule.on != event.kind:
                self.trace.append(Step(event, rule, WRONG_EVENT_KIND))

    def _trace(self, event: Event, rule: Rule, reason: str | None) -> None:
        assert self.trace is not None and self.capture is not None
        lines, self.capture = tuple(self.capture), None
        if reason is None and not lines:
            reason = NOTHING_TO_REVERSE if isinstance(rule, Clawback) else ZERO_AMOUNT
        self.trace.append(Step(event, rule, reason, lines))

    def _earns(self, event: Event) -> str | None:
        """None when the event earns under the plan, else why not (`eligibility`)."""
        return eligibility(self.plan, self.partners[event.partner] if self.plan.limits_partners and self.partners
                           is not None else None, event.occurred_on)

    def _cap_key(self, index: int, rule: Rule, partner: str, day: date) -> CounterKey | None:
        """The counter of the rule's cap for the partner and the period of `day`; None without a cap."""
        if rule.cap_period is None:
            return None
        return index, partner, period_key(day, rule.cap_period, self.plan.fiscal_year_start_month)

    def _full(self, rule: Rule, cap_key: CounterKey | None) -> bool:
        return cap_key is not None and rule.cap_count is not None and self.capped.get(cap_key, 0) >= rule.cap_count

    def _apply(self, index: int, rule: Rule, event: Event) -> str | None:
        """Write the rule's lines for an earning event; the reason when it cannot pay at all."""
        partner = event.partner
        if isinstance(rule, Override):
            parent = self.partners[event.partner].parent if self.partners is not None else None
            if parent is None:
                return NO_PARENT
            partner = parent
        cap_key = self._cap_key(index, rule, partner, event.occurred_on)
        if self._full(rule, cap_key):
            return CAP_REACHED
        amount = event.amount or 0
        written = False
        reason = None

        def pay(yen: int, kind: str = "pay") -> None:
            nonlocal written
            written = self._write(partner, event, Line(event.event_id, rule.id, yen, event.occurred_on, kind)) or written

        if isinstance(rule, (Percent, Override)):
            pay(int(rule.rate * amount))
        elif isinstance(rule, Fixed):
            pay(rule.amount)
        elif isinstance(rule, Recurring):
            win = self.wins.get(event.deal)
            if win is None:
                reason = NO_WIN
            elif win.occurred_on <= event.occurred_on <= months_after(win.occurred_on, rule.months):
                pay(int(rule.rate * amount))
            else:
                reason = RECURRING_OUTSIDE_MONTHS
        elif isinstance(rule, ThresholdBonus):
            state = self._counter(index, rule.period, partner, event.occurred_on)
            state[0] += amount
            if state[1]:
                reason = ALREADY_PAID
            elif state[0] >= rule.threshold:
                state[1] = 1
                pay(rule.amount)
            else:
                reason = BELOW_THRESHOLD
        elif isinstance(rule, Stepped):
            state = self._counter(index, rule.period, partner, event.occurred_on)
            before, after = state[0], state[0] + amount
            state[0] = after
            if rule.mode == "marginal":
                paid, catch_up = int(rule.marginal(before, after)), 0
            else:
                rate = rule.rate_at(after)
                paid = int(rate * amount)
                catch_up = int(rate * before) - state[1] if rate > rule.rate_at(before) else 0
            state[1] += paid + catch_up
            pay(paid)
            pay(catch_up, "catch_up")
        if written and cap_key is not None:
            self.capped[cap_key] = self.capped.get(cap_key, 0) + 1
        return reason

    def _clawback(self, index: int, rule: Clawback, event: Event) -> str | None:
        win = self.wins.get(event.deal)
        if win is None:
            return NO_WIN
        if not 0 <= (event.occurred_on - win.occurred_on).days <= rule.within_days:
            return CLAWBACK_OUTSIDE_WINDOW
        cap_key = self._cap_key(index, rule, event.partner, event.occurred_on)
        if self._full(rule, cap_key):
            return CAP_REACHED
        written = False
        for partner, line in self.deal_lines.pop(event.deal, ()):
            reversal = Line(event.event_id, rule.id, -int(line.amount * rule.share), event.occurred_on, "clawback", line)
            written = self._write(partner, None, reversal) or written
        if written and cap_key is not None:
            self.capped[cap_key] = self.capped.get(cap_key, 0) + 1
        return None

    def _counter(self, index: int, period: str, partner: str, day: date) -> list[int]:
        key = (index, partner, period_key(day, period, self.plan.fiscal_year_start_month))
        state = self.cumulative.get(key)
        if state is None:
            state = self.cumulative[key] = [0, 0]
        return state

    def _write(self, partner: str, event: Event | None, line: Line) -> bool:
        """Add a line unless it is 0 yen; keep it for a later clawback when its deal will be cancelled."""
        if not line.amount:
            return False
        lines = self.lines.get(partner)
        if lines is None:
            lines = self.lines[partner] = []
        lines.append(line)
        self.totals[partner] = self.totals.get(partner, 0) + line.amount
        if event is not None and event.deal in self.watched and event.kind in REVERSIBLE:
            self.deal_lines.setdefault(event.deal, []).append((partner, line))
        if self.capture is not None:
            self.capture.append((partner, line))
        return True
