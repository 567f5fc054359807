"""The rule kinds and the plan: what a parsed plan is made of (`parse_plan` builds them)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

MODES = ("marginal", "retroactive")


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

