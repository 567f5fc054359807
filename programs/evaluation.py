"""Which tier a partner qualifies for: pure functions over metrics, no database.

A tier is reached when any one of its options is met, an option being met when every
requirement in it is. A partner qualifies for the highest-ranked tier it reaches; the entry
tier (rank 1) with no requirements is reached by everyone in the programme.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    option: int
    metric: str
    window: str
    threshold: int

    @property
    def key(self) -> str:
        return metric_key(self.metric, self.window)


@dataclass(frozen=True)
class TierSpec:
    pk: int
    code: str
    name: str
    rank: int
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def options(self) -> dict[int, list[Rule]]:
        grouped: dict[int, list[Rule]] = {}
        for rule in self.rules:
            grouped.setdefault(rule.option, []).append(rule)
        return grouped


def metric_key(metric: str, window: str) -> str:
    return f"{metric}@{window}"


def reaches(tier: TierSpec, metrics: dict[str, int]) -> bool:
    options = tier.options()
    if not options:
        return True
    return any(all(metrics.get(rule.key, 0) >= rule.threshold for rule in rules) for rules in options.values())


def qualifying_tier(tiers: list[TierSpec], metrics: dict[str, int]) -> TierSpec | None:
    """The highest tier reached. Tiers are cumulative: reaching Gold does not need Silver's rules."""
    reached = [tier for tier in tiers if reaches(tier, metrics)]
    return max(reached, key=lambda tier: tier.rank) if reached else None


@dataclass(frozen=True)
class Progress:
    metric: str
    window: str
    threshold: int
    value: int

    @property
    def met(self) -> bool:
        return self.value >= self.threshold

    @property
    def percent(self) -> int:
        if self.threshold <= 0:
            return 100
        return min(100, self.value * 100 // self.threshold)

    @property
    def missing(self) -> int:
        return max(0, self.threshold - self.value)


def progress_to(tier: TierSpec, metrics: dict[str, int]) -> list[Progress]:
    """Progress on the option that is closest to being met (by average completion)."""
    options = tier.options()
    if not options:
        return []

    def rows(rules: list[Rule]) -> list[Progress]:
        return [Progress(r.metric, r.window, r.threshold, metrics.get(r.key, 0)) for r in rules]

    return max((rows(rules) for rules in options.values()), key=lambda prog: sum(p.percent for p in prog) / len(prog))
