"""Health scoring, pure: from a partner's raw figures to a 0–100 score, a band and an explanation.

Every component turns one raw figure into points 0–100; the score is the weighted mean of the
components that apply (time to first deal applies only to new partners; rates apply only when
there is something to divide by), so a missing figure neither rewards nor punishes. Each
component's contribution is its share of the score, so the contributions add up to the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPONENTS = ("logins", "deals", "certified", "pass_rate", "active_contacts", "conversion", "recency", "first_deal")
HEALTHY, AT_RISK, DORMANT = "healthy", "at_risk", "dormant"
BAND_ORDER = {HEALTHY: 0, AT_RISK: 1, DORMANT: 2}


@dataclass(frozen=True)
class Rules:
    weights: dict[str, int]
    healthy_from: int = 70
    at_risk_from: int = 40
    deal_target: int = 5
    recency_full_days: int = 14
    recency_zero_days: int = 180
    new_partner_days: int = 180
    first_deal_full_days: int = 30
    first_deal_zero_days: int = 120


@dataclass(frozen=True)
class Figures:
    """What the database knows about one partner (see insights.health.metrics)."""

    contacts: int = 0
    portal_users: int = 0
    signed_in: int = 0
    deals_in_window: int = 0
    certified: int = 0
    attempts: int = 0
    passed: int = 0
    active_contacts: int = 0
    registered_for_conversion: int = 0
    won_for_conversion: int = 0
    days_since_last_deal: int | None = None
    age_days: int = 0
    days_to_first_deal: int | None = None


@dataclass(frozen=True)
class Component:
    key: str
    value: float | int | None  # the raw figure shown to people (a rate in %, a count, days)
    points: int  # 0–100
    weight: int
    contribution: float  # points × weight / applicable weights: they add up to the score

    def as_json(self) -> dict:
        return {"value": self.value, "points": self.points, "weight": self.weight,
                "contribution": round(self.contribution, 1)}


@dataclass(frozen=True)
class Result:
    score: int
    band: str
    components: dict[str, Component] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {key: component.as_json() for key, component in self.components.items()}


def validate(rules: Rules) -> list[tuple[str, str]]:
    """(field, problem code) pairs: weights must add up to 100 and the bands be in order."""
    problems = []
    if set(rules.weights) != set(COMPONENTS):
        problems.append(("weights", "unknown"))
    if any(w < 0 or w > 100 for w in rules.weights.values()):
        problems.append(("weights", "range"))
    elif sum(rules.weights.values()) != 100:
        problems.append(("weights", "sum"))
    if not 0 < rules.at_risk_from < rules.healthy_from <= 100:
        problems.append(("bands", "order"))
    if rules.recency_full_days >= rules.recency_zero_days:
        problems.append(("recency", "order"))
    if rules.first_deal_full_days >= rules.first_deal_zero_days:
        problems.append(("first_deal", "order"))
    if rules.deal_target < 1:
        problems.append(("deal_target", "range"))
    return problems


def _rate(part: int, whole: int) -> int | None:
    return None if whole <= 0 else min(100, part * 100 // whole)


def _falling(days: int, full: int, zero: int) -> int:
    """100 up to `full` days, 0 from `zero` days, straight line between (rounded down)."""
    if days <= full:
        return 100
    if days >= zero:
        return 0
    return (zero - days) * 100 // (zero - full)


def points(key: str, figures: Figures, rules: Rules) -> tuple[float | int | None, int | None]:
    """(raw value, points) for one component, or points None when it does not apply."""
    if key == "logins":
        rate = _rate(figures.signed_in, figures.portal_users)
        return rate, rate
    if key == "deals":
        return figures.deals_in_window, min(100, figures.deals_in_window * 100 // rules.deal_target)
    if key == "certified":
        rate = _rate(figures.certified, figures.contacts)
        return rate, rate
    if key == "pass_rate":
        rate = _rate(figures.passed, figures.attempts)
        return rate, rate
    if key == "active_contacts":
        rate = _rate(figures.active_contacts, figures.contacts)
        return rate, rate
    if key == "conversion":
        rate = _rate(figures.won_for_conversion, figures.registered_for_conversion)
        return rate, rate
    if key == "recency":
        days = figures.days_since_last_deal
        if days is None:
            return None, 0
        return days, _falling(days, rules.recency_full_days, rules.recency_zero_days)
    if key == "first_deal":
        if figures.age_days > rules.new_partner_days:
            return figures.days_to_first_deal, None  # not new any more: does not apply
        if figures.days_to_first_deal is not None:
            return figures.days_to_first_deal, _falling(figures.days_to_first_deal, rules.first_deal_full_days,
                                                        rules.first_deal_zero_days)
        if figures.age_days >= rules.first_deal_zero_days:
            return None, 0
        # Still in time: points shrink as the days without a first deal pass.
        return None, _falling(figures.age_days, rules.first_deal_full_days, rules.first_deal_zero_days)
    raise KeyError(key)


def band_of(score: int, rules: Rules) -> str:
    if score >= rules.healthy_from:
        return HEALTHY
    return AT_RISK if score >= rules.at_risk_from else DORMANT


def score(figures: Figures, rules: Rules) -> Result:
    raw = {key: points(key, figures, rules) for key in COMPONENTS}
    applicable = {key: pts for key, (_value, pts) in raw.items() if pts is not None and rules.weights.get(key, 0) > 0}
    total_weight = sum(rules.weights[key] for key in applicable)
    components: dict[str, Component] = {}
    for key in COMPONENTS:
        value, pts = raw[key]
        weight = rules.weights.get(key, 0)
        contribution = pts * weight / total_weight if pts is not None and key in applicable and total_weight else 0.0
        components[key] = Component(key, value, pts if pts is not None else 0, weight if key in applicable else 0,
                                    contribution)
    total = round(sum(c.contribution for c in components.values())) if total_weight else 0
    return Result(score=total, band=band_of(total, rules), components=components)


def fallen(before: dict, after: dict) -> list[str]:
    """Components whose points went down between two explanations, biggest fall first."""
    drops = []
    for key in COMPONENTS:
        old, new = before.get(key, {}).get("points"), after.get(key, {}).get("points")
        if old is not None and new is not None and new < old:
            drops.append((old - new, key))
    return [key for _drop, key in sorted(drops, key=lambda pair: (-pair[0], COMPONENTS.index(pair[1])))]


def weakest(explanation: dict, count: int = 2) -> list[str]:
    """When nothing fell (a component just started to count), name the applicable components scoring lowest."""
    applicable = [(part["points"], COMPONENTS.index(key), key) for key, part in explanation.items()
                  if part.get("weight") and part["points"] < 100]
    return [key for _points, _order, key in sorted(applicable)[:count]]


def worse(old_band: str, new_band: str) -> bool:
    return bool(old_band) and BAND_ORDER[new_band] > BAND_ORDER[old_band]
