"""Prospect scoring (Planning): three affinities plus sales capacity, weighted per vendor.

Each factor is scored 0–5 by the channel manager; the score is the weighted mean scaled to
0–100. The same formula runs in SQL for the ranked list (prospect_score_expression) and in
Python for a single partner (prospect_score), and a test keeps them equal.

The customer affinity is either the hand-typed score or, when the vendor chose so and the
prospect has an uploaded customer list, the score computed from that list. The computed score is
account mapping's figure: mapping sits above partners, so it registers its SQL expression and its
Python twin here (register_customer_affinity) and partners never queries mapping's tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Expression, ExpressionWrapper, F, FloatField, Value
from django.db.models.functions import Round

FACTORS = ("customer_overlap", "core_business", "characteristics", "sales_capacity")
MAX_FACTOR = 5


@dataclass(frozen=True)
class Weights:
    customer_overlap: int
    core_business: int
    characteristics: int
    sales_capacity: int

    @classmethod
    def from_settings(cls, settings_row) -> Weights:
        return cls(*(getattr(settings_row, f"weight_{factor}") for factor in FACTORS))

    @property
    def total(self) -> int:
        return sum(getattr(self, factor) for factor in FACTORS)


@dataclass(frozen=True)
class AffinityProvider:
    expression: Callable[[], Expression]  # 0–5 per Partner row, NULL without a list
    scores: Callable[[list[int]], dict[int, int]]  # the same in Python: partner id → 0–5, absent without a list


_affinity_provider: AffinityProvider | None = None


def register_customer_affinity(*, expression: Callable[[], Expression],
                               scores: Callable[[list[int]], dict[int, int]]) -> None:
    global _affinity_provider
    _affinity_provider = AffinityProvider(expression, scores)


def computed_affinity_expression() -> Expression:
    if _affinity_provider is None:
        return Value(None, output_field=FloatField())
    return _affinity_provider.expression()


def computed_affinity_scores(partner_ids: Iterable[int]) -> dict[int, int]:
    if _affinity_provider is None:
        return {}
    return _affinity_provider.scores(list(partner_ids))


def prospect_score(scores: dict[str, int], weights: Weights) -> float:
    if weights.total == 0:
        return 0.0
    weighted = sum(scores[factor] * getattr(weights, factor) for factor in FACTORS)
    return round(weighted * 100 / (MAX_FACTOR * weights.total), 1)


def prospect_score_expression(weights: Weights, *, customer_overlap=None):
    """customer_overlap: the expression to rank the customer affinity by (default: the typed score)."""
    if weights.total == 0:
        return Value(0.0, output_field=FloatField())
    factors = {factor: F(f"score_{factor}") for factor in FACTORS}
    if customer_overlap is not None:
        factors["customer_overlap"] = customer_overlap
    weighted = sum(factors[factor] * getattr(weights, factor) for factor in FACTORS)
    return Round(
        ExpressionWrapper(weighted * 100.0 / (MAX_FACTOR * weights.total), output_field=FloatField()), precision=1
    )
