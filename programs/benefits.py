"""Tier benefits, read by every other module through `benefits_for`."""

from __future__ import annotations

from dataclasses import dataclass

from prm.reads import fetch_rows


@dataclass(frozen=True)
class Benefits:
    tier: str | None = None
    tier_name: str | None = None
    rank: int = 0
    deal_capacity: int | None = None
    lead_priority: int = 0
    mdf_allocation: int = 0
    gated_content: bool = False
    early_roadmap: bool = False


NO_PROGRAMME = Benefits()
_UNREAD = object()


def benefits_of_tier(tier) -> Benefits:
    if tier is None:
        return NO_PROGRAMME
    return Benefits(tier=tier.code, tier_name=tier.name, rank=tier.rank,
                    deal_capacity=tier.deal_capacity, lead_priority=tier.lead_priority,
                    mdf_allocation=tier.mdf_allocation, gated_content=tier.gated_content,
                    early_roadmap=tier.early_roadmap)


def benefits_for(partner) -> Benefits:
    """The benefits of the partner's current tier (programme-less defaults without one)."""
    # Set (to the partner's PartnerTier, or None without a tier) by whoever read it already on the same request.
    status = getattr(partner, "_tier_status_cache", _UNREAD)
    if status is not _UNREAD:
        return benefits_of_tier(status.tier if status else None)
    # Every portal page and registration asks: a fixed statement, without the ORM's compilation.
    rows = fetch_rows(_BENEFITS_SQL, {"partner": partner.pk})
    return Benefits(*rows[0]) if rows else NO_PROGRAMME


# The columns in the order of Benefits' fields; no row (no status, or a status without a tier): no programme.
_BENEFITS_SQL = """
    SELECT t.code, t.name, t.rank, t.deal_capacity, t.lead_priority, t.mdf_allocation, t.gated_content, t.early_roadmap
      FROM programs_partnertier s JOIN programs_tier t ON t.id = s.tier_id
     WHERE s.partner_id = %(partner)s"""
