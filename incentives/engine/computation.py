"""Computing: `compute` runs the plan's rules over the events in order, one pass, and `_Run` holds
the state they keep (caps used, cumulative amounts, lines a clawback may reverse)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from math import lcm
from operator import itemgetter

from incentives.engine.dates import PERIODS, in_order, months_after, natural_key, period_key
from incentives.engine.inputs import check
from incentives.engine.money import Ratio, exact, ratio, times
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
    RECURRING_OUTSIDE_MONTHS,
    TIER_NOT_ELIGIBLE,
    WRONG_EVENT_KIND,
    ZERO_AMOUNT,
    Step,
)
from incentives.engine.rules import (
    Clawback,
    Override,
    Percent,
    Plan,
    Recurring,
    Rule,
    Stepped,
    ThresholdBonus,
)
from incentives.engine.values import (
    DEAL_CANCELLED,
    REVERSIBLE,
    Event,
    Line,
    PartnerInfo,
    PartnerResult,
    Result,
)


def compute(plan: Plan, events: Sequence[Event], partners: Mapping[str, PartnerInfo] | None = None) -> Result:
    """Every line the plan pays for the events, per partner, in processing order."""
    wins, cancelled = check(plan, events, partners)
    ordered = in_order(events)
    with exact():
        return _Run(plan, partners, wins, cancelled).run(ordered)



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
_new_line = tuple.__new__  # a Line without NamedTuple's Python-level __new__: the run writes one per paid rule
_amount = itemgetter(Line._fields.index("amount"))


@dataclass(frozen=True, slots=True)
class _Steps:
    """A stepped rule's brackets as integers: their starts and their rates over one common denominator."""

    starts: tuple[int, ...]
    numerators: tuple[int, ...]
    denominator: int

    @classmethod
    def of(cls, rule: Stepped) -> _Steps:
        ratios = [ratio(bracket.rate) for bracket in rule.brackets]
        denominator = lcm(*(denominator for _numerator, denominator in ratios))
        return cls(tuple(bracket.start for bracket in rule.brackets),
                   tuple(numerator * (denominator // part) for numerator, part in ratios), denominator)

    def numerator_at(self, cumulative: int) -> int:
        """`Stepped.rate_at` × the denominator."""
        return self.numerators[bisect_right(self.starts, cumulative) - 1]

    def marginal(self, before: int, after: int) -> int:
        """`Stepped.marginal` truncated toward zero: each yen from `before` to `after` at its bracket's rate."""
        total = 0
        starts, numerators = self.starts, self.numerators
        index = bisect_right(starts, before) - 1
        while index < len(starts) and starts[index] < after:
            upper = starts[index + 1] if index + 1 < len(starts) else after
            span = min(after, upper) - max(before, starts[index])
            if span > 0:
                total += numerators[index] * span
            index += 1
        return total // self.denominator if total >= 0 else -(-total // self.denominator)


class _Run:
    # Tracing (explain): the steps so far, and the event ids traced (None: all). Off for compute.
    trace: list[Step] | None = None
    traced: set[str] | None = None
    capture: list[tuple[str, Line]] | None = None

    def __init__(self, plan: Plan, partners: Mapping[str, PartnerInfo] | None, wins: dict[str, Event],
                 cancelled: set[str]) -> None:
        self.plan, self.partners, self.wins = plan, partners, wins
        # Per event kind, its rules with what decides whether each sees an event: (position, rule, from, to,
        # products, whether it is a clawback), read once rather than per event.
        self.rules_on: dict[str, list[tuple[int, Rule, date | None, date | None, frozenset[str] | None, bool]]] = {}
        # Each rule's rates as exact integer fractions, computed once: the products are integer arithmetic.
        self.ratios: dict[int, Ratio] = {}
        self.steps: dict[int, _Steps] = {}
        for index, rule in enumerate(plan.rules):
            self.rules_on.setdefault(rule.on, []).append((index, rule, rule.start, rule.end, rule.products,
                                                          rule.on == DEAL_CANCELLED))
            if isinstance(rule, (Percent, Override, Recurring)):
                self.ratios[index] = ratio(rule.rate)
            elif isinstance(rule, Clawback):
                self.ratios[index] = ratio(rule.share)
            elif isinstance(rule, Stepped):
                self.steps[index] = _Steps.of(rule)
        # Lines are kept for reversal only for deals that will be cancelled, until they are.
        self.watched = cancelled if DEAL_CANCELLED in self.rules_on else set()
        self.deal_lines: dict[str, list[tuple[str, Line]]] = {}
        self.capped: dict[CounterKey, int] = {}
        self.cumulative: dict[CounterKey, list[int]] = {}  # stepped: [total, paid]; threshold: [total, reached]
        self.lines: defaultdict[str, list[Line]] = defaultdict(list)
        self.periods: dict[str, dict[date, tuple[int, int]]] = {period: {} for period in PERIODS}

    def run(self, ordered: Iterable[Event]) -> Result:
        trace = self.trace
        plan, rules_on = self.plan, self.rules_on
        limited = plan.limits_partners and self.partners is not None
        valid_from, valid_to = plan.valid_from, plan.valid_to
        watched, apply = self.watched, self._apply
        for event in ordered:
            kind = event.kind
            rules = rules_on.get(kind)
            traced = trace is not None and (self.traced is None or event.event_id in self.traced)
            if traced:
                self._trace_other_kinds(event)
            if rules:
                day = event.occurred_on
                # only clawbacks run on a cancellation
                if kind == DEAL_CANCELLED:
                    refusal = None
                elif limited:
                    refusal = self._earns(event)
                else:
                    refusal = None if valid_from <= day <= valid_to else OUTSIDE_PLAN_WINDOW
                for index, rule, start, end, products, clawback in rules:
                    if traced:
                        self.capture = []
                    if start is not None and day < start:
                        reason: str | None = OUTSIDE_RULE_WINDOW
                    elif end is not None and day > end:
                        reason = OUTSIDE_RULE_WINDOW
                    elif products is not None and event.product not in products:
                        reason = PRODUCT_NOT_COVERED
                    elif clawback:
                        reason = self._clawback(index, rule, event)  # type: ignore[arg-type]
                    elif refusal is None:
                        reason = apply(index, rule, event)
                    else:
                        reason = refusal
                    if traced:
                        self._trace(event, rule, reason)
            if kind == DEAL_CANCELLED and event.deal in watched:
                watched.discard(event.deal)
                self.deal_lines.pop(event.deal, None)
        order = sorted(self.lines, key=natural_key)
        return Result(plan.currency, plan.fiscal_year_start_month,
                      {partner: PartnerResult(sum(map(_amount, self.lines[partner])), self.lines[partner])
                       for partner in order})

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

    def _period(self, day: date, period: str) -> tuple[int, int]:
        """`period_key` of the plan, remembered per day: a run meets the same few hundred days again and again."""
        days = self.periods[period]
        key = days.get(day)
        if key is None:
            key = days[day] = period_key(day, period, self.plan.fiscal_year_start_month)
        return key

    def _cap_key(self, index: int, rule: Rule, partner: str, day: date) -> CounterKey | None:
        """The counter of the rule's cap for the partner and the period of `day`; None without a cap."""
        if rule.cap_period is None:
            return None
        days = self.periods[rule.cap_period]
        return index, partner, days[day] if day in days else self._period(day, rule.cap_period)

    def _full(self, rule: Rule, cap_key: CounterKey | None) -> bool:
        return cap_key is not None and rule.cap_count is not None and self.capped.get(cap_key, 0) >= rule.cap_count

    def _apply(self, index: int, rule: Rule, event: Event) -> str | None:
        """Write the rule's lines for an earning event; the reason when it cannot pay at all."""
        partner = event.partner
        kind = rule.kind
        if kind == "override":
            parent = self.partners[partner].parent if self.partners is not None else None
            if parent is None:
                return NO_PARENT
            partner = parent
        cap_key = None if rule.cap_period is None else self._cap_key(index, rule, partner, event.occurred_on)
        if cap_key is not None and self._full(rule, cap_key):
            return CAP_REACHED
        written = False
        reason = None
        if kind == "percent" or kind == "override":
            written = self._pay(partner, event, rule.id, times(event.amount or 0, self.ratios[index]))
        elif kind == "fixed":
            written = self._pay(partner, event, rule.id, rule.amount)  # type: ignore[attr-defined]
        elif kind == "recurring":
            amount = event.amount or 0
            win = self.wins.get(event.deal)
            if win is None:
                reason = NO_WIN
            elif win.occurred_on <= event.occurred_on <= months_after(win.occurred_on, rule.months):  # type: ignore[attr-defined]
                written = self._pay(partner, event, rule.id, times(amount, self.ratios[index]))
            else:
                reason = RECURRING_OUTSIDE_MONTHS
        elif kind == "threshold_bonus":
            assert isinstance(rule, ThresholdBonus)
            amount = event.amount or 0
            state = self._counter(index, rule.period, partner, event.occurred_on)
            state[0] += amount
            if state[1]:
                reason = ALREADY_PAID
            elif state[0] >= rule.threshold:
                state[1] = 1
                written = self._pay(partner, event, rule.id, rule.amount)
            else:
                reason = BELOW_THRESHOLD
        elif kind == "stepped":
            assert isinstance(rule, Stepped)
            amount = event.amount or 0
            state = self._counter(index, rule.period, partner, event.occurred_on)
            before, after = state[0], state[0] + amount
            state[0] = after
            steps = self.steps[index]
            if rule.mode == "marginal":
                paid, catch_up = steps.marginal(before, after), 0
            else:
                rate = steps.numerator_at(after), steps.denominator
                paid = times(amount, rate)
                catch_up = times(before, rate) - state[1] if rate[0] > steps.numerator_at(before) else 0
            state[1] += paid + catch_up
            written = self._pay(partner, event, rule.id, paid)
            written = self._pay(partner, event, rule.id, catch_up, "catch_up") or written
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
        share = self.ratios[index]
        for partner, line in self.deal_lines.pop(event.deal, ()):
            reversal = Line(event.event_id, rule.id, -times(line.amount, share), event.occurred_on, "clawback", line)
            written = self._write(partner, None, reversal) or written
        if written and cap_key is not None:
            self.capped[cap_key] = self.capped.get(cap_key, 0) + 1
        return None

    def _counter(self, index: int, period: str, partner: str, day: date) -> list[int]:
        days = self.periods[period]
        key = (index, partner, days[day] if day in days else self._period(day, period))
        state = self.cumulative.get(key)
        if state is None:
            state = self.cumulative[key] = [0, 0]
        return state

    def _pay(self, partner: str, event: Event, rule_id: str, yen: int, kind: str = "pay") -> bool:
        """Write the line the rule pays on the event unless it is 0 yen (`_write` for a line already built)."""
        if not yen:
            return False
        line = _new_line(Line, (event.event_id, rule_id, yen, event.occurred_on, kind, None))
        self.lines[partner].append(line)
        if event.deal in self.watched and event.kind in REVERSIBLE:
            self.deal_lines.setdefault(event.deal, []).append((partner, line))
        if self.capture is not None:
            self.capture.append((partner, line))
        return True

    def _write(self, partner: str, event: Event | None, line: Line) -> bool:
        """Add a line unless it is 0 yen; keep it for a later clawback when its deal will be cancelled."""
        if not line.amount:
            return False
        self.lines[partner].append(line)
        if event is not None and event.deal in self.watched and event.kind in REVERSIBLE:
            self.deal_lines.setdefault(event.deal, []).append((partner, line))
        if self.capture is not None:
            self.capture.append((partner, line))
        return True
