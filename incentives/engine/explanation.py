"""Explaining: the same run as `compute` with a trace of every rule on every event asked about."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from incentives.engine.computation import _Run
from incentives.engine.dates import in_order
from incentives.engine.inputs import check
from incentives.engine.money import exact
from incentives.engine.reasons import Step
from incentives.engine.rules import Plan
from incentives.engine.values import Event, PartnerInfo, Result


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
    wins, cancelled = check(plan, events, partners)
    ordered = in_order(events)
    run = _Run(plan, partners, wins, cancelled)
    run.trace, run.traced = [], None if event_ids is None else set(event_ids)
    with exact():
        result = run.run(ordered)
    return Explanation(result, run.trace)

