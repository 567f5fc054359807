"""Tier benefits, read by every other module through `benefits_for`.

Until a vendor runs a partner programme with tiers, every partner has the programme-less
defaults below; the tiers module fills these from the partner's current tier.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benefits:
    tier: str | None = None
    margin_rate: str | None = None
    deal_capacity: int | None = None
    lead_priority: int = 0
    mdf_allocation: int = 0
    gated_content: bool = False
    early_roadmap: bool = False


NO_PROGRAMME = Benefits()


def benefits_for(partner) -> Benefits:
    return NO_PROGRAMME
