from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from programs.evaluation import Progress, TierSpec, progress_to
from programs.models import PartnerTier, Program, Tier, TierChange


def programs_with_tiers() -> list[Program]:
    programs = list(Program.objects.prefetch_related("tiers__requirements").order_by("name"))
    counts = dict(PartnerTier.objects.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    for program in programs:
        for tier in program.tiers.all():
            tier.partner_count = counts.get(tier.pk, 0)  # type: ignore[attr-defined]  # for the template; not a field
    return programs


def pending_changes() -> QuerySet[TierChange]:
    return TierChange.objects.filter(status=TierChange.Status.PENDING).select_related("partner", "from_tier", "to_tier")


def change_history(limit: int = 100) -> QuerySet[TierChange]:
    return (TierChange.objects.exclude(status=TierChange.Status.PENDING)
            .select_related("partner", "from_tier", "to_tier", "decided_by")[:limit])


@dataclass
class PartnerProgramView:
    tier: Tier | None
    next_tier: Tier | None
    progress: list[Progress]
    evaluated_at: object


def partner_program(partner, today) -> PartnerProgramView:
    from programs.services import program_for, tier_specs

    status = PartnerTier.objects.select_related("tier").filter(partner=partner).first()
    current = status.tier if status else None
    program = program_for(partner.partner_type, list(Program.objects.filter(is_active=True)))
    if program is None:
        return PartnerProgramView(current, None, [], None)
    specs: list[TierSpec] = tier_specs(program, today)
    rank = current.rank if current else 0
    following = next((spec for spec in specs if spec.rank > rank), None)
    next_tier = Tier.objects.get(pk=following.pk) if following else None
    metrics = status.metrics if status else {}
    return PartnerProgramView(current, next_tier, progress_to(following, metrics) if following else [],
                              status.evaluated_at if status else None)




def tier_choices() -> list[tuple[str, str]]:
    """(code, name) of every tier, once per code, entry tiers first: what a plan's applies_to can name."""
    seen: dict[str, str] = {}
    for code, name in Tier.objects.order_by("rank", "program__name").values_list("code", "name"):
        seen.setdefault(code, name)
    return list(seen.items())


def partner_tiers_for_sync(*, partner_id: int | None = None) -> QuerySet[PartnerTier]:
    """Each partner's current tier, for an outside system: the vendor's, or one partner's own."""
    qs = PartnerTier.objects.select_related("tier", "tier__program")
    return qs.filter(partner_id=partner_id) if partner_id is not None else qs


def tier_changes_for_sync(*, partner_id: int | None = None) -> QuerySet[TierChange]:
    """The tier history (upgrades and downgrades with their state and reason)."""
    qs = TierChange.objects.select_related("from_tier", "to_tier")
    return qs.filter(partner_id=partner_id) if partner_id is not None else qs
