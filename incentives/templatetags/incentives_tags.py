"""Template tags of the incentives module."""

from __future__ import annotations

from django import template

from incentives import selectors

register = template.Library()


@register.simple_tag
def tier_margins(tier) -> list[selectors.TierRate]:
    """{% tier_margins tier as rates %}: the margin the published plans pay the tier (the plan is the one source)."""
    if tier is None:
        return []
    rates = getattr(tier, "plan_rates", None)
    if rates is None:
        rates = selectors.tier_plan_rates([tier]).get(tier.pk, [])
    return rates


@register.inclusion_tag("incentives/_tier_margins.html")
def tier_margin_list(tier, empty_text: str = ""):
    return {"rates": tier_margins(tier), "empty_text": empty_text}
