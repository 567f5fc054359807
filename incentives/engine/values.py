"""The values the engine reads and writes: events, partners, lines, results, and its two errors."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from incentives.engine.dates import period_key

DEAL_REGISTERED, DEAL_WON, DEAL_CANCELLED = "deal_registered", "deal_won", "deal_cancelled"
INVOICE_PAID, CERTIFICATION_EARNED, SESSION_ATTENDED = "invoice_paid", "certification_earned", "session_attended"
EVENT_KINDS = (DEAL_REGISTERED, DEAL_WON, DEAL_CANCELLED, INVOICE_PAID, CERTIFICATION_EARNED, SESSION_ATTENDED)
WITH_AMOUNT = frozenset({DEAL_WON, INVOICE_PAID})
WITH_DEAL = frozenset({DEAL_REGISTERED, DEAL_WON, DEAL_CANCELLED, INVOICE_PAID})
REVERSIBLE = frozenset({DEAL_REGISTERED, DEAL_WON, INVOICE_PAID})
EVENTS_HEADER = ("event_id", "occurred_on", "partner", "event", "amount", "deal", "product")
PARTNERS_HEADER = ("partner", "type", "tier", "parent")


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, which cost
# more than the engine's work on the event (a full recomputation builds one per recorded event).
# Nothing changes an event once built; it stays hashable by its fields, as when it was frozen.
@dataclass(slots=True, unsafe_hash=True)
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



def shown(value: Any) -> str:
    """A value as a message quotes it."""
    return json.dumps(value, ensure_ascii=False, default=str)
