"""Which events an incremental commission run must read: the pure part, no database.

The engine keeps three kinds of state across events (incentives.engine, "Scale"): per (rule, receiving
partner, period) a cumulative amount or a cap count, per deal its win (recurring, clawback), and
per deal to be cancelled its lines (clawback). A period-keyed state only ever sees events of its
period, and every period kind (month, quarter, fiscal year) starts on a boundary of the larger
ones. So the lines dated from a month `start` onwards are exactly those the engine computes over:

- for each event kind K, the events of kind K from `kind_start(plans, K, start)` on — the start of
  the largest period (`period` or `cap_period`) of any rule on K containing `start`, or `start`
  itself when no rule on K keeps state. An earlier event of kind K would only touch the state of a
  period that ended before that day, whose lines are not kept;
- for each cancellation read whose clawback may apply (0..within_days after the win), every
  reversible event of its deal (registration, win, invoices), with the events of its kind from the
  `kind_start` of its own day: the lines a clawback gives back must be the ones the engine wrote;
- the win of every deal whose invoices or cancellation are read (the win date decides what a
  recurring rule or a clawback pays). A win older than its kind's window is read alone: its own
  lines fall in periods before the window and are not kept.

`select` is that choice over a list of events (what the tests compare with the full computation);
`incentives.runs` makes the same choice in SQL with `windows` and `kind_start`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from incentives import engine

_LARGER = {"month": 0, "quarter": 1, "year": 2}
REVERSIBLE_KINDS = (engine.DEAL_REGISTERED, engine.DEAL_WON, engine.INVOICE_PAID)


def period_start(day: date, period: str, fiscal_year_start_month: int) -> date:
    """The first day of the month, fiscal quarter or fiscal year containing `day` (engine.period_key)."""
    if period == "month":
        return day.replace(day=1)
    year, number = engine.period_key(day, period, fiscal_year_start_month)
    month = fiscal_year_start_month + (0 if period == "year" else (number - 1) * 3)
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _rule_periods(rule: engine.Rule) -> list[str]:
    periods = [rule.cap_period] if rule.cap_period is not None and rule.cap_count is not None else []
    if isinstance(rule, (engine.Stepped, engine.ThresholdBonus)):
        periods.append(rule.period)
    return periods


def _rule_kind(rule: engine.Rule) -> str:
    return engine.DEAL_CANCELLED if isinstance(rule, engine.Clawback) else rule.on


def kind_start(plans: Sequence[engine.Plan], kind: str, day: date) -> date:
    """From which day events of `kind` must be read so that every rule on it has its state of `day`'s periods."""
    start = day
    for plan in plans:
        for rule in plan.rules:
            if _rule_kind(rule) == kind:
                for period in _rule_periods(rule):
                    start = min(start, period_start(day, period, plan.fiscal_year_start_month))
    return start


def windows(plans: Sequence[engine.Plan], start: date) -> dict[str, date]:
    """Per event kind, the first day read for the lines dated from `start` on (before extensions)."""
    return {kind: kind_start(plans, kind, start) for kind in engine.EVENT_KINDS}


def clawback_days(plans: Sequence[engine.Plan]) -> int | None:
    """The longest `within_days` of the plans' clawbacks; None when no plan claws back."""
    days = [rule.within_days for plan in plans for rule in plan.rules if isinstance(rule, engine.Clawback)]
    return max(days) if days else None


def may_claw_back(plans: Sequence[engine.Plan], won_on: date | None, cancelled_on: date) -> bool:
    """Whether a clawback of some plan may reverse the lines of a deal won and cancelled on these days."""
    days = clawback_days(plans)
    return days is not None and won_on is not None and 0 <= (cancelled_on - won_on).days <= days


def wins_needed_for(plans: Sequence[engine.Plan]) -> tuple[str, ...]:
    """The kinds of events whose deal's win the engine must know: invoices for a recurring rule, cancellations
    for a clawback."""
    rules = [rule for plan in plans for rule in plan.rules]
    return ((engine.INVOICE_PAID,) if any(isinstance(rule, engine.Recurring) for rule in rules) else ()) + (
        (engine.DEAL_CANCELLED,) if any(isinstance(rule, engine.Clawback) for rule in rules) else ())


def extend(windows_: dict[str, date], plans: Sequence[engine.Plan], reversible: Iterable[tuple[str, date]]) -> None:
    """Widen the windows so that the reversible events (kind, day) of deals a clawback may reverse are read
    with the state they were computed with."""
    for kind, day in reversible:
        windows_[kind] = min(windows_[kind], kind_start(plans, kind, day))


def select(plans: Sequence[engine.Plan], events: Sequence[engine.Event], start: date) -> list[engine.Event]:
    """The events the engine needs for the lines dated from `start` on (see the module's docstring)."""
    chosen = windows(plans, start)
    wins = {event.deal: event for event in events if event.kind == engine.DEAL_WON}
    cancelling = {event.deal for event in events if event.kind == engine.DEAL_CANCELLED
                  and event.occurred_on >= chosen[engine.DEAL_CANCELLED]
                  and may_claw_back(plans, wins[event.deal].occurred_on if event.deal in wins else None,
                                    event.occurred_on)}
    extend(chosen, plans, [(event.kind, event.occurred_on) for event in events
                           if event.deal in cancelling and event.kind in REVERSIBLE_KINDS])
    kept = [event for event in events if event.occurred_on >= chosen[event.kind]]
    needed = {event.deal for event in kept if event.kind in wins_needed_for(plans)}
    kept_ids = {event.event_id for event in kept}
    kept += [win for deal, win in wins.items() if deal in needed and win.event_id not in kept_ids]
    return kept
