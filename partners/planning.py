"""Prospect scoring (Planning): three affinities plus sales capacity, weighted per vendor.

Each factor is scored 0–5 by the channel manager; the score is the weighted mean scaled to
0–100. The same formula runs in SQL for the ranked list (prospect_score_expression) and in
Python for a single partner (prospect_score), and a test keeps them equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import ExpressionWrapper, F, FloatField, Value
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


def prospect_score(scores: dict[str, int], weights: Weights) -> float:
    if weights.total == 0:
        return 0.0
    weighted = sum(scores[factor] * getattr(weights, factor) for factor in FACTORS)
    return round(weighted * 100 / (MAX_FACTOR * weights.total), 1)


def prospect_score_expression(weights: Weights):
    if weights.total == 0:
        return Value(0.0, output_field=FloatField())
    weighted = sum(F(f"score_{factor}") * getattr(weights, factor) for factor in FACTORS)
    return Round(
        ExpressionWrapper(weighted * 100.0 / (MAX_FACTOR * weights.total), output_field=FloatField()), precision=1
    )
