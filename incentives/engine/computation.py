"""Computing: `compute` runs the plan's rules over the events in order, one pass, and `_Run` holds
the state they keep (caps used, cumulative amounts, lines a clawback may reverse)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from math import lcm
from operator import itemgetter

from incentives.engine.dates import PERIODS, in_order, months_after, natural_key, period_key
from incentives.engine.inputs import check
from incentives.engine.money import exact, ratio, times
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


def compute(plan: Plan, events: Sequence[Event], partners: Mapping[str, PartnerInfo] | None = None, *,
            ids_in_order: bool = False) -> Result:
    """Every line the plan pays for the events, per partner, in processing order. `ids_in_order`: the events
    come in the natural order of their ids (dates.in_order)."""
    wins, cancelled = check(plan, events, partners)
    ordered = in_order(events, ids_in_order=ids_in_order)
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


# A rule's work on one event it sees, chosen once per plan by its kind: (event, day, receiving partner) → a
# reason it paid nothing, or whether it wrote a line (True) or came to 0 yen (False).
_Handler = Callable[[Event, date, str], "str | bool"]


class _Cap:
    """A rule's cap: its counters per receiving partner and cap period, in the run's `capped`."""

    __slots__ = ("capped", "count", "index", "period_of")

    def __init__(self, index: int, count: int, period_of: Callable[[date], tuple[int, int]],
                 capped: dict[CounterKey, int]) -> None:
        self.index, self.count, self.period_of, self.capped = index, count, period_of, capped

    def key(self, partner: str, day: date) -> CounterKey:
        return self.index, partner, self.period_of(day)

    def full(self, key: CounterKey) -> bool:
        return self.capped.get(key, 0) >= self.count

    def used(self, key: CounterKey) -> None:
        self.capped[key] = self.capped.get(key, 0) + 1


class _Run:
    # Tracing (explain): the steps so far, and the event ids traced (None: all). Off for compute.
    trace: list[Step] | None = None
    traced: set[str] | None = None
    capture: list[tuple[str, Line]] | None = None

    def __init__(self, plan: Plan, partners: Mapping[str, PartnerInfo] | None, wins: dict[str, Event],
                 cancelled: set[str]) -> None:
        self.plan, self.partners, self.wins = plan, partners, wins
        # Lines are kept for reversal only for deals that will be cancelled, until they are.
        self.watched = cancelled if any(rule.on == DEAL_CANCELLED for rule in plan.rules) else set()
        self.deal_lines: dict[str, list[tuple[str, Line]]] = {}
        self.capped: dict[CounterKey, int] = {}
        self.cumulative: dict[CounterKey, list[int]] = {}  # stepped: [total, paid]; threshold: [total, reached]
        self.lines: defaultdict[str, list[Line]] = defaultdict(list)
        self.periods: dict[str, dict[date, tuple[int, int]]] = {period: {} for period in PERIODS}

    def run(self, ordered: Iterable[Event]) -> Result:
        trace = self.trace
        plan = self.plan
        # Per event kind, its rules with what decides whether each sees an event, read once rather than per event:
        # (from or date.min, to or date.max, products, whether it is a clawback, the rule, its handler).
        rules_on: dict[str, list[tuple[date, date, frozenset[str] | None, bool, Rule, _Handler]]] = {}
        for index, rule in enumerate(plan.rules):
            rules_on.setdefault(rule.on, []).append((rule.start or date.min, rule.end or date.max, rule.products,
                                                     rule.on == DEAL_CANCELLED, rule, self._handler(index, rule)))
        limited = plan.limits_partners and self.partners is not None
        valid_from, valid_to = plan.valid_from, plan.valid_to
        watched = self.watched
        for event in ordered:
            kind = event.kind
            rules = rules_on.get(kind)
            traced = trace is not None and (self.traced is None or event.event_id in self.traced)
            if traced:
                self._trace_other_kinds(event)
            if rules:
                day, partner = event.occurred_on, event.partner
                # only clawbacks run on a cancellation
                if kind == DEAL_CANCELLED:
                    refusal = None
                elif limited:
                    refusal = self._earns(event)
                else:
                    refusal = None if valid_from <= day <= valid_to else OUTSIDE_PLAN_WINDOW
                for start, end, products, clawback, rule, handler in rules:
                    if traced:
                        self.capture = []
                    if not start <= day <= end:
                        reason: str | bool | None = OUTSIDE_RULE_WINDOW
                    elif products is not None and event.product not in products:
                        reason = PRODUCT_NOT_COVERED
                    elif clawback or refusal is None:
                        reason = handler(event, day, partner)
                    else:
                        reason = refusal
                    if traced:
                        self._trace(event, rule, reason if isinstance(reason, str) else None)
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

    def _period_of(self, period: str) -> Callable[[date], tuple[int, int]]:
        """`period_key` of the plan, remembered per day: a run meets the same few hundred days again and again."""
        days, start_month = self.periods[period], self.plan.fiscal_year_start_month

        def period_of(day: date) -> tuple[int, int]:
            key = days.get(day)
            if key is None:
                key = days[day] = period_key(day, period, start_month)
            return key

        return period_of

    def _handler(self, index: int, rule: Rule) -> _Handler:
        """What the rule does on an event it sees (its window, products and the plan's eligibility passed), by its
        kind: an override pays the partner's parent, and a cap counts the events the rule wrote a line on."""
        cap = None
        if rule.cap_period is not None and rule.cap_count is not None:
            cap = _Cap(index, rule.cap_count, self._period_of(rule.cap_period), self.capped)
        if isinstance(rule, Clawback):
            return self._clawback(rule, cap)
        pays = self._pays(index, rule)
        if cap is not None:
            pays = _capped(pays, cap)
        if isinstance(rule, Override):
            return self._to_parent(pays)
        return pays

    def _to_parent(self, pays: _Handler) -> _Handler:
        partners = self.partners

        def to_parent(event: Event, day: date, partner: str) -> str | bool:
            parent = partners[partner].parent if partners is not None else None
            if parent is None:
                return NO_PARENT
            return pays(event, day, parent)

        return to_parent

    def _pays(self, index: int, rule: Rule) -> _Handler:
        """The rule's amounts for an event to `partner` (not yet capped)."""
        pay = self._writer(rule)
        if isinstance(rule, (Percent, Override)):
            rate = ratio(rule.rate)

            def percent(event: Event, day: date, partner: str) -> str | bool:
                return pay(partner, event, day, times(event.amount or 0, rate))

            return percent
        if isinstance(rule, Fixed):
            amount = rule.amount

            def fixed(event: Event, day: date, partner: str) -> str | bool:
                return pay(partner, event, day, amount)

            return fixed
        if isinstance(rule, Recurring):
            return self._recurring(rule, pay)
        cumulative = self.cumulative
        period_days, period_of = self.periods[rule.period], self._period_of(rule.period)  # type: ignore[attr-defined]
        if isinstance(rule, ThresholdBonus):
            threshold, bonus = rule.threshold, rule.amount

            def threshold_bonus(event: Event, day: date, partner: str) -> str | bool:
                key = (index, partner, period_days.get(day) or period_of(day))
                state = cumulative.get(key)
                if state is None:
                    state = cumulative[key] = [0, 0]
                state[0] += event.amount or 0
                if state[1]:
                    return ALREADY_PAID
                if state[0] < threshold:
                    return BELOW_THRESHOLD
                state[1] = 1
                return pay(partner, event, day, bonus)

            return threshold_bonus
        assert isinstance(rule, Stepped)
        steps = _Steps.of(rule)
        marginal, starts, numerators, denominator = rule.mode == "marginal", steps.starts, steps.numerators, \
            steps.denominator

        def stepped(event: Event, day: date, partner: str) -> str | bool:
            amount = event.amount or 0
            key = (index, partner, period_days.get(day) or period_of(day))
            state = cumulative.get(key)
            if state is None:
                state = cumulative[key] = [0, 0]
            before, after = state[0], state[0] + amount
            state[0] = after
            if marginal:
                paid, catch_up = steps.marginal(before, after), 0
            else:
                numerator = numerators[bisect_right(starts, after) - 1]  # `_Steps.numerator_at`, without a call
                paid = times(amount, (numerator, denominator))
                catch_up = (times(before, (numerator, denominator)) - state[1]
                            if numerator > numerators[bisect_right(starts, before) - 1] else 0)
            state[1] += paid + catch_up
            # most events of a retroactive rule's first bracket pay 0 yen: no line, and no call to write none
            if paid:
                pay(partner, event, day, paid)
            if catch_up:
                pay(partner, event, day, catch_up, "catch_up")
            return bool(paid or catch_up)

        return stepped

    def _recurring(self, rule: Recurring, pay: Callable[..., bool]) -> _Handler:
        wins, rate, months = self.wins, ratio(rule.rate), rule.months
        ends: dict[date, date] = {}  # the last day that counts, per win day

        def recurring(event: Event, day: date, partner: str) -> str | bool:
            win = wins.get(event.deal)
            if win is None:
                return NO_WIN
            won = win.occurred_on
            end = ends.get(won)
            if end is None:
                end = ends[won] = months_after(won, months)
            if not won <= day <= end:
                return RECURRING_OUTSIDE_MONTHS
            return pay(partner, event, day, times(event.amount or 0, rate))

        return recurring

    def _writer(self, rule: Rule) -> Callable[..., bool]:
        """Writes the rule's line on an event unless it is 0 yen, keeping it for a later clawback when its deal
        will be cancelled; True when written."""
        rule_id, reversible = rule.id, rule.on in REVERSIBLE
        lines, watched, deal_lines = self.lines, self.watched, self.deal_lines
        tracing = self.trace is not None

        def pay(partner: str, event: Event, day: date, yen: int, kind: str = "pay") -> bool:
            if not yen:
                return False
            line = _new_line(Line, (event.event_id, rule_id, yen, day, kind, None))
            lines[partner].append(line)
            if reversible and event.deal in watched:
                deal_lines.setdefault(event.deal, []).append((partner, line))
            if tracing and self.capture is not None:
                self.capture.append((partner, line))
            return True

        return pay

    def _clawback(self, rule: Clawback, cap: _Cap | None) -> _Handler:
        wins, deal_lines, lines, share = self.wins, self.deal_lines, self.lines, ratio(rule.share)

        def clawback(event: Event, day: date, partner: str) -> str | bool:
            win = wins.get(event.deal)
            if win is None:
                return NO_WIN
            if not 0 <= (day - win.occurred_on).days <= rule.within_days:
                return CLAWBACK_OUTSIDE_WINDOW
            key = None if cap is None else cap.key(partner, day)
            if key is not None and cap is not None and cap.full(key):
                return CAP_REACHED
            written = False
            for receiver, line in deal_lines.pop(event.deal, ()):
                yen = -times(line.amount, share)
                if yen:
                    reversal = Line(event.event_id, rule.id, yen, day, "clawback", line)
                    lines[receiver].append(reversal)
                    if self.capture is not None:
                        self.capture.append((receiver, reversal))
                    written = True
            if written and key is not None and cap is not None:
                cap.used(key)
            return written

        return clawback


def _capped(pays: _Handler, cap: _Cap) -> _Handler:
    """`pays` while the cap has room for the receiving partner and period; a line written uses a slot."""

    def capped(event: Event, day: date, partner: str) -> str | bool:
        key = cap.key(partner, day)
        if cap.full(key):
            return CAP_REACHED
        written = pays(event, day, partner)
        if written is True:
            cap.used(key)
        return written

    return capped
