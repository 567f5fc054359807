"""Computing: `compute` runs the plan's rules over the events in order, one pass, and `_Run` holds
the state they keep (caps used, cumulative amounts, lines a clawback may reverse)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from incentives.engine.dates import in_order, months_after, natural_key, period_key
from incentives.engine.inputs import check
from incentives.engine.money import exact
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
