"""Tier evaluation and tier changes: compute, decide, apply (all or nothing), approve."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.access import require_vendor_staff
from partners.models import Partner, Stage
from partners.selectors import partner_types_and_names
from prm import events
from prm import messages as msg
from prm.accounts.models import User
from prm.notifications.services import notify
from programs import metrics as metric_queries
from programs.evaluation import Rule, TierSpec, qualifying_tier
from programs.models import EvaluationRun, PartnerTier, Program, ProgramSettings, Requirement, Tier, TierChange

EVALUATED_STAGES = (Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION, Stage.DORMANT)


def fiscal_year(today: date) -> int:
    from partners.services import fiscal_year_of

    return fiscal_year_of(today)


def tier_specs(program: Program, today: date) -> list[TierSpec]:
    return specs_of([(tier, tier.requirements.all()) for tier in program.tiers.prefetch_related("requirements")
                     .order_by("rank")], today)


def specs_of(tiers: Sequence[tuple[Tier, Iterable[Requirement]]], today: date) -> list[TierSpec]:
    """The specs of these tiers (by rank, each with its requirements), with the thresholds of today's year."""
    year = fiscal_year(today)
    return [
        TierSpec(pk=tier.pk, code=tier.code, name=tier.name, rank=tier.rank, rules=tuple(
            Rule(r.option, r.metric, r.window, r.threshold_for(year)) for r in requirements))
        for tier, requirements in tiers
    ]


def program_for(partner_type: str, programs: list[Program]) -> Program | None:
    return next((p for p in programs if partner_type in p.partner_types), None)


@dataclass
class Proposal:
    partner_id: int
    partner_name: str
    from_tier: Tier | None
    to_tier: Tier | None
    direction: str
    action: str  # apply | approval | grace | downgrade_due | cancel
    metrics: dict[str, int] = field(default_factory=dict)


@dataclass
class EvaluationResult:
    partners: int
    proposals: list[Proposal]
    metrics: dict[int, dict[str, int]]
    run: EvaluationRun | None = None

    def count(self, action: str) -> int:
        return sum(1 for p in self.proposals if p.action == action)


def evaluate(*, dry_run: bool = False, today: date | None = None, actor: User | None = None,
             partner_ids: list[int] | None = None) -> EvaluationResult:
    """Compute every partner's metrics and the tier it qualifies for; apply the changes unless dry_run.

    All writes happen in one transaction at the end, so an evaluation that fails half-way
    changes no tier.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    programs = list(Program.objects.filter(is_active=True).order_by("pk"))
    specs = {program.pk: tier_specs(program, today) for program in programs}
    # Keyed by a nullable tier id too: a partner without a tier, a change without a target, find None.
    tiers: dict[int | None, Tier] = {tier.pk: tier for tier in Tier.objects.filter(program__in=programs)}
    program_of = {}
    names = {}
    for pk, name, partner_type in partner_types_and_names(stages=EVALUATED_STAGES, partner_ids=partner_ids):
        program = program_for(partner_type, programs)
        if program is not None:
            program_of[pk] = program.pk
            names[pk] = name
    values = metric_queries.compute(list(program_of) if partner_ids is not None else None,
                                    {p.pk: p for p in programs}, program_of, today)
    current = dict(PartnerTier.objects.filter(partner_id__in=program_of).values_list("partner_id", "tier_id"))
    open_changes = {c.partner_id: c for c in TierChange.objects.filter(
        partner_id__in=program_of, status__in=[TierChange.Status.GRACE, TierChange.Status.PENDING])}
    rules = ProgramSettings.current()
    proposals: list[Proposal] = []
    for partner_id, program_id in program_of.items():
        partner_metrics = values.get(partner_id, {})
        target = qualifying_tier(specs[program_id], partner_metrics)
        target_tier = tiers.get(target.pk) if target else None
        current_tier = tiers.get(current.get(partner_id))
        change = open_changes.get(partner_id)
        rank_now = current_tier.rank if current_tier else 0
        rank_target = target_tier.rank if target_tier else 0

        def propose(action, direction, to=target_tier):
            # Called only within this iteration of the loop, so the loop variables are the current ones.
            proposals.append(Proposal(partner_id, names[partner_id], current_tier, to, direction, action,  # noqa: B023
                                      partner_metrics))  # noqa: B023

        if rank_target > rank_now:
            if change and change.direction == TierChange.Direction.UP and change.to_tier_id == getattr(target_tier, "pk", None):
                continue
            propose("approval" if rules.upgrades_need_approval else "apply", TierChange.Direction.UP)
        elif rank_target < rank_now:
            if change is None or change.direction == TierChange.Direction.UP:
                propose("grace", TierChange.Direction.DOWN)
            elif change.status == TierChange.Status.GRACE and change.eligible_at <= now:
                propose("downgrade_due", TierChange.Direction.DOWN)
        elif change is not None:
            propose("cancel", change.direction, to=tiers.get(change.to_tier_id))
    result = EvaluationResult(partners=len(program_of), proposals=proposals,
                              metrics={pid: values.get(pid, {}) for pid in program_of})
    if not dry_run:
        result.run = _apply(result, rules, now, actor, open_changes)
    return result


def _reason(code: str) -> dict:
    """A tier change's reason: as a message for its readers, and as written now for the API."""
    reason = msg.text(code)
    return {"reason": str(reason), "reason_message": reason.stored()}


def _summary(result: EvaluationResult) -> dict[str, int]:
    return {action: result.count(action) for action in ("apply", "approval", "grace", "downgrade_due", "cancel")}


@transaction.atomic
def _apply(result: EvaluationResult, rules: ProgramSettings, now, actor, open_changes) -> EvaluationRun:
    run = EvaluationRun.objects.create(started_at=now, partners=result.partners)
    grace = timedelta(days=rules.downgrade_grace_days)
    creates: list[TierChange] = []
    applied: list[Proposal] = []
    for proposal in result.proposals:
        change = open_changes.get(proposal.partner_id)
        base = dict(partner_id=proposal.partner_id, from_tier=proposal.from_tier, to_tier=proposal.to_tier,
                    direction=proposal.direction, metrics=proposal.metrics, detected_at=now)
        if proposal.action in ("apply", "approval"):
            if change is not None:  # an earlier open proposal is superseded by this one
                change.status, change.decided_at = TierChange.Status.CANCELLED, now
                change.save(update_fields=["status", "decided_at"])
            status = TierChange.Status.APPLIED if proposal.action == "apply" else TierChange.Status.PENDING
            creates.append(TierChange(status=status, eligible_at=now, decided_at=now if status == "applied" else None,
                                      **_reason("tier.reason.qualifies"), **base))
            if proposal.action == "apply":
                applied.append(proposal)
        elif proposal.action == "grace":
            if change is not None:
                change.status, change.decided_at = TierChange.Status.CANCELLED, now
                change.save(update_fields=["status", "decided_at"])
            creates.append(TierChange(status=TierChange.Status.GRACE, eligible_at=now + grace,
                                      **_reason("tier.reason.grace"), **base))
        elif proposal.action == "downgrade_due":
            change.status, change.to_tier, change.metrics = TierChange.Status.PENDING, proposal.to_tier, proposal.metrics
            for field, value in _reason("tier.reason.downgrade_due").items():
                setattr(change, field, value)
            change.save(update_fields=["status", "to_tier", "metrics", "reason", "reason_message"])
        elif proposal.action == "cancel":
            change.status, change.decided_at = TierChange.Status.CANCELLED, now
            change.save(update_fields=["status", "decided_at"])
    TierChange.objects.bulk_create(creates, batch_size=2000)
    # Everyone's latest metrics (for the portal's progress bars) and the applied tiers, in bulk.
    new_tiers = {proposal.partner_id: proposal.to_tier for proposal in applied}
    existing = set(PartnerTier.objects.filter(partner_id__in=list(result.metrics)).values_list("partner_id", flat=True))
    PartnerTier.objects.bulk_create(
        [PartnerTier(partner_id=pid, tier=new_tiers.get(pid), since=now, metrics=m, evaluated_at=now)
         for pid, m in result.metrics.items() if pid not in existing],
        batch_size=2000,
    )
    by_tier: dict[int | None, list[int]] = {}
    for pid, tier in new_tiers.items():
        if pid in existing:
            by_tier.setdefault(tier.pk if tier else None, []).append(pid)
    for tier_id, pids in by_tier.items():  # one UPDATE per tier
        PartnerTier.objects.filter(partner_id__in=pids).update(tier_id=tier_id, since=now)
    _store_metrics({pid: m for pid, m in result.metrics.items() if pid in existing}, now)
    events.publish_many([tier_event(p.partner_id, p.from_tier, p.to_tier, p.direction) for p in applied])
    run.finished_at = timezone.now()
    run.result = _summary(result)
    run.save(update_fields=["finished_at", "result"])
    _notify(result)
    return run


def tier_event(partner_id: int, from_tier: Tier | None, to_tier: Tier | None, direction: str) -> events.Event:
    """partner.tier_changed, once a tier change is applied (at once, or when a person approves it)."""
    def tier(value: Tier | None) -> dict | None:
        return None if value is None else {"id": value.pk, "code": value.code, "name": value.name, "rank": value.rank}

    return events.Event("partner.tier_changed", "partner", partner_id, partner_id, {
        "id": partner_id, "partner_id": partner_id, "from_tier": tier(from_tier), "to_tier": tier(to_tier),
        "direction": direction})


def _store_metrics(metrics: dict[int, dict], now, batch: int = 1000) -> None:
    """One UPDATE … FROM (VALUES …) per thousand partners: far cheaper than per-row CASE updates."""
    import json

    from django.db import connection

    items = list(metrics.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), batch):
            chunk = items[start:start + batch]
            values = ", ".join(["(%s, %s::jsonb)"] * len(chunk))
            params = [v for pid, m in chunk for v in (pid, json.dumps(m))]
            cursor.execute(
                f"UPDATE programs_partnertier AS pt SET metrics = v.metrics, evaluated_at = %s "
                f"FROM (VALUES {values}) AS v(partner_id, metrics) WHERE pt.partner_id = v.partner_id",
                [now, *params],
            )


def _set_tier(partner_id: int, tier: Tier | None, metrics: dict, now) -> None:
    PartnerTier.objects.update_or_create(partner_id=partner_id,
                                         defaults={"tier": tier, "since": now, "metrics": metrics, "evaluated_at": now})


def _notify(result: EvaluationResult) -> None:
    pending = [p for p in result.proposals if p.action in ("approval", "downgrade_due")]
    if pending:
        from prm.accounts.models import Role

        admins = User.objects.filter(role__in=[Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER], is_active=True)
        notify(users=admins, kind="tier_changes_pending", url="/programs/changes/",
               message=(msg.text("tier.changes_pending", count=len(pending)), None))


@transaction.atomic
def change_decide(*, change: TierChange, actor: User, approve: bool, reason: str = "") -> TierChange:
    require_vendor_staff(actor)
    change = TierChange.objects.select_for_update().get(pk=change.pk)
    if change.status != TierChange.Status.PENDING:
        raise ValidationError(_("Only a change waiting for approval can be decided."))
    now = timezone.now()
    change.status = TierChange.Status.APPLIED if approve else TierChange.Status.REJECTED
    change.decided_at, change.decided_by = now, actor
    if reason:
        change.reason = f"{change.reason} / {reason}" if change.reason else reason
        change.decision_note = reason
    change.save(update_fields=["status", "decided_at", "decided_by", "reason", "decision_note"])
    if approve:
        _set_tier(change.partner_id, change.to_tier, change.metrics, now)
        events.publish_many([tier_event(change.partner_id, change.from_tier, change.to_tier, change.direction)])
        partner_users = User.objects.filter(partner_membership__partner_id=change.partner_id, is_active=True)
        notify(users=partner_users, kind="tier_changed", url="/program/",
               message=(msg.text("tier.changed", tier=change.to_tier.name if change.to_tier else "—"), None))
    return change


def tier_of(partner: Partner) -> Tier | None:
    status = PartnerTier.objects.select_related("tier").filter(partner=partner).first()
    return status.tier if status else None
