"""Checks on a programme's tiers and requirements, with messages that name the rule."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from programs.models import Metric, Program, Window


def _label(metric: str, window: str) -> str:
    return f"{Metric(metric).label} ({Window(window).label})"


def validate_program(program: Program, fiscal_year: int) -> None:
    """Refuse contradictory or overlapping requirements, negative thresholds, benefits out of
    range, and a lower tier that is stricter than a higher one."""
    errors: list[str] = []
    tiers = list(program.tiers.prefetch_related("requirements").order_by("rank"))
    ranks = [tier.rank for tier in tiers]
    if ranks != list(range(1, len(tiers) + 1)):
        errors.append(_("Tier ranks must run 1, 2, 3… without gaps; they are %(ranks)s.") % {"ranks": ranks})
    for tier in tiers:
        if tier.mdf_allocation < 0:
            errors.append(_("%(tier)s: the MDF allocation cannot be negative.") % {"tier": tier.name})
        if not 0 <= tier.lead_priority <= 100:
            errors.append(_("%(tier)s: the lead priority must be between 0 and 100.") % {"tier": tier.name})
        options: dict[int, list] = defaultdict(list)
        for requirement in tier.requirements.all():
            if requirement.threshold < 0 or requirement.annual_step < 0:
                errors.append(_("%(tier)s: %(rule)s has a negative threshold.") % {
                    "tier": tier.name, "rule": _label(requirement.metric, requirement.window)})
            options[requirement.option].append(requirement)
        seen: dict[frozenset, int] = {}
        for option, requirements in options.items():
            keys = [(r.metric, r.window) for r in requirements]
            if len(keys) != len(set(keys)):
                errors.append(_("%(tier)s, option %(option)s: the same metric appears twice.") % {
                    "tier": tier.name, "option": option})
            signature = frozenset((r.metric, r.window, r.threshold_for(fiscal_year)) for r in requirements)
            if signature in seen:
                errors.append(_("%(tier)s: options %(a)s and %(b)s are the same.") % {
                    "tier": tier.name, "a": seen[signature], "b": option})
            seen[signature] = option
    # A lower tier must not ask for more than a higher one on the same metric.
    for lower, higher in zip(tiers, tiers[1:], strict=False):
        lower_max = _thresholds(lower, fiscal_year, max)
        higher_min = _thresholds(higher, fiscal_year, min)
        for key, value in lower_max.items():
            if key in higher_min and value > higher_min[key]:
                errors.append(_("%(lower)s asks for %(metric)s ≥ %(a)s but the higher tier %(higher)s only ≥ %(b)s.") % {
                    "lower": lower.name, "higher": higher.name, "metric": _label(*key),
                    "a": f"{value:,}", "b": f"{higher_min[key]:,}"})
    if errors:
        raise ValidationError(errors)


def _thresholds(tier, fiscal_year: int, pick) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    for requirement in tier.requirements.all():
        found[(requirement.metric, requirement.window)].append(requirement.threshold_for(fiscal_year))
    return {key: pick(values) for key, values in found.items()}
