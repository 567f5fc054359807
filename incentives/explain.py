"""What a deal earned and why, and what a partner earns: the engine's own explanation in words.

Nothing here decides whether a rule pays: `engine.explain` runs the evaluation the commission
run uses and says, per rule, what it paid or why it paid nothing; this module only puts that in
the reader's language, with rule names from rule_text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deals.models import HOLDING_STAGES, DealRegistration, Stage
from incentives import engine, rule_text, runs, selectors
from partners.models import Partner, PartnerType
from partners.selectors import partner_names
from prm.formatting import format_date, format_yen
from programs.selectors import programs_with_tiers

CAP_TEXT = {
    "month": gettext_noop("cap reached (%(count)s a month)"),
    "quarter": gettext_noop("cap reached (%(count)s a quarter)"),
    "year": gettext_noop("cap reached (%(count)s a year)"),
}


def _tier_names() -> dict[str, str]:
    return {tier.code: tier.name for program in programs_with_tiers() for tier in program.tiers.all()}


def reason_text(step: engine.Step, plan: engine.Plan, infos: dict[str, engine.PartnerInfo],
                tier_names: dict[str, str]) -> str:
    """Why `step.rule` paid nothing on `step.event`, in the active language."""
    rule, event, reason = step.rule, step.event, step.reason
    if reason == engine.OUTSIDE_PLAN_WINDOW:
        return _("Outside the plan period (%(start)s – %(end)s)") % {
            "start": format_date(plan.valid_from), "end": format_date(plan.valid_to)}
    if reason == engine.OUTSIDE_RULE_WINDOW:
        return _("Outside the rule's period (%(start)s – %(end)s)") % {
            "start": format_date(rule.start) if rule.start else "…", "end": format_date(rule.end) if rule.end else "…"}
    if reason in (engine.PARTNER_TYPE_NOT_ELIGIBLE, engine.TIER_NOT_ELIGIBLE):
        info = infos.get(event.partner)
        partner_type, tier = info.as_of(event.occurred_on) if info else ("", "")
        day = format_date(event.occurred_on)
        if reason == engine.TIER_NOT_ELIGIBLE:
            return _("Tier not eligible (on %(day)s: %(value)s)") % {
                "day": day, "value": tier_names.get(tier, tier) if tier else _("no tier")}
        label = dict(PartnerType.choices).get(partner_type, partner_type) or _("none")
        return _("Partner type not eligible (on %(day)s: %(value)s)") % {"day": day, "value": label}
    if reason == engine.PRODUCT_NOT_COVERED:
        return _("Product not covered (%(product)s)") % {"product": event.product or _("no product")}
    if reason == engine.CAP_REACHED:
        return _(CAP_TEXT.get(rule.cap_period or "", CAP_TEXT["month"])) % {"count": rule.cap_count}
    if reason == engine.WRONG_EVENT_KIND:
        return _("Pays on another kind of event")
    if reason == engine.NO_PARENT:
        return _("No parent distributor to pay")
    if reason == engine.NO_WIN:
        return _("The deal has no recorded win")
    if reason == engine.RECURRING_OUTSIDE_MONTHS:
        return _("Paid outside the %(months)s months after the win") % {"months": getattr(rule, "months", "")}
    if reason == engine.BELOW_THRESHOLD:
        return _("Threshold not reached yet (%(threshold)s)") % {"threshold": format_yen(getattr(rule, "threshold", 0))}
    if reason == engine.ALREADY_PAID:
        return _("Bonus already paid for this period")
    if reason == engine.CLAWBACK_OUTSIDE_WINDOW:
        return _("Cancelled more than %(days)s days after the win") % {"days": getattr(rule, "within_days", "")}
    if reason == engine.NOTHING_TO_REVERSE:
        return _("Nothing left to give back")
    if reason == engine.ZERO_AMOUNT:
        return _("Comes to ¥0")
    return reason or ""


@dataclass(frozen=True)
class RuleRow:
    name: str
    paid: bool
    amount: int
    reason: str
    to_partner: str = ""  # the receiving partner when it is not the event's (an override's distributor)


@dataclass
class EventRows:
    event: engine.Event
    label: str
    rows: list[RuleRow] = field(default_factory=list)
    other_kinds: int = 0  # rules of the plan that pay on other kinds of event

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)


@dataclass
class PlanExplanation:
    plan_name: str
    version: int
    events: list[EventRows] = field(default_factory=list)
    error: str = ""

    @property
    def total(self) -> int:
        return sum(event.total for event in self.events)


def _event_label(event: engine.Event, refs: dict[str, runs.EventRef]) -> str:
    ref = refs.get(event.event_id)
    return ref.label if ref else event.event_id


def deal_explanation(deal: DealRegistration, *, today: date | None = None) -> list[PlanExplanation]:
    """Every published plan × rule on each of the deal's recorded events: paid (how much, to whom) or why not."""
    today = today or timezone.localdate()
    events = runs.recorded_events(today, partner_ids=runs.partners_for_events_of(deal.partner_id))
    infos = runs.partner_infos()
    own = [event for event in events if event.deal == str(deal.pk)]
    refs = runs.event_refs(event.event_id for event in own)
    tier_names = _tier_names()
    parents = {infos[event.partner].parent for event in own if event.partner in infos} - {None}
    names = partner_names(int(code) for code in parents if code.isdigit())
    explained = []
    for version in runs.active_versions():
        result = PlanExplanation(version.plan.name, version.number)
        explained.append(result)
        try:
            plan = engine.parse_plan(version.document)
            explanation = engine.explain(plan, events, infos, [event.event_id for event in own])
        except (engine.PlanError, engine.InputError) as error:
            result.error = str(error)
            continue
        by_event: dict[str, EventRows] = {}
        for step in explanation.steps:
            rows = by_event.get(step.event.event_id)
            if rows is None:
                rows = by_event[step.event.event_id] = EventRows(step.event, _event_label(step.event, refs))
            if step.reason == engine.WRONG_EVENT_KIND:
                rows.other_kinds += 1
                continue
            receivers = {partner for partner, _line in step.lines if partner != step.event.partner}
            rows.rows.append(RuleRow(
                rule_text.rule_name(step.rule), step.paid, sum(line.amount for _partner, line in step.lines),
                "" if step.paid else reason_text(step, plan, infos, tier_names),
                ", ".join(names.get(int(code), code) for code in sorted(receivers) if code.isdigit())))
        result.events = list(by_event.values())
    return explained


# --------------------------------------------------------------------------- the partner's portal


@dataclass(frozen=True)
class PlanSummary:
    name: str
    valid_from: date
    valid_to: date
    rules: list[str]


@dataclass(frozen=True)
class Spif:
    plan_name: str
    description: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class DealEarning:
    deal: DealRegistration
    earned: int  # recorded in the ledger
    expected: int | None  # open deals: what the plans would pay on a win at its amount and expected date
    expected_on: date | None = None


@dataclass
class PartnerEarnings:
    plans: list[PlanSummary]
    spifs: list[Spif]
    deals: list[DealEarning]
    month_start: date
    month_total: int
    errors: list[str] = field(default_factory=list)


def partner_earnings(*, partner: Partner, deals: list[DealRegistration], whole_partner: bool,
                     today: date | None = None) -> PartnerEarnings:
    """What the partner earns, for its portal: the plans that apply to it today and their SPIFs running
    now, each of `deals` with what it earned (the ledger) or would earn if won (the engine on a
    hypothetical win), and this month's running total from the engine — all of the partner's
    lines when `whole_partner`, else only the lines of `deals`' events (a rep's own deals)."""
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    code = runs.partner_code(partner.pk)
    infos = runs.partner_infos()
    info = infos.get(code)
    events = runs.recorded_events(today, partner_ids=runs.partners_for_lines_of(partner.pk))
    recorded_ids = {event.event_id for event in events}
    open_deals = [deal for deal in deals if deal.stage in HOLDING_STAGES and f"deal:{deal.pk}:2-won" not in recorded_ids]
    # Not before tomorrow: the events recorded up to today are paid exactly as without them.
    hypothetical = runs.hypothetical_wins(open_deals, today + timedelta(days=1))
    hypothetical_ids = {event.event_id: int(event.deal) for event in hypothetical}
    deal_events = runs.deal_event_ids(deal.pk for deal in deals)
    expected: dict[int, int] = {deal.pk: 0 for deal in open_deals}
    plans: list[PlanSummary] = []
    spifs: list[Spif] = []
    errors: list[str] = []
    month_total = 0
    for version in runs.active_versions():
        try:
            plan = engine.parse_plan(version.document)
            explanation = engine.explain(plan, events + hypothetical, infos, hypothetical_ids)
        except (engine.PlanError, engine.InputError) as error:
            errors.append(f"{version.plan.name}: {error}")
            continue
        if info is not None and engine.eligibility(plan, info, today) is None:
            plans.append(PlanSummary(plan.name, plan.valid_from, plan.valid_to,
                                     [rule_text.rule_description(rule) for rule in plan.rules]))
            spifs += [Spif(plan.name, rule_text.rule_description(rule), rule.start, rule.end) for rule in plan.rules
                      if (rule.start or rule.end) and (rule.start or today) <= today <= (rule.end or today)]
        for step in explanation.steps:
            expected[hypothetical_ids[step.event.event_id]] += sum(
                line.amount for partner, line in step.lines if partner == code)
        lines = explanation.result.partners.get(code)
        for line in lines.lines if lines else ():
            if (month_start <= line.occurred_on <= today and line.event_id not in hypothetical_ids
                    and (whole_partner or line.event_id in deal_events)):
                month_total += line.amount
    earned_by_event = selectors.ledger_by_event(partner_id=partner.pk, event_ids=deal_events)
    earned: dict[int, int] = {}
    for event_id, amount in earned_by_event.items():
        earned[deal_events[event_id]] = earned.get(deal_events[event_id], 0) + amount
    when = {int(event.deal): event.occurred_on for event in hypothetical}
    rows = [DealEarning(deal, earned.get(deal.pk, 0), expected.get(deal.pk), when.get(deal.pk)) for deal in deals]
    return PartnerEarnings(plans, spifs, rows, month_start, month_total, errors)


def deals_for_earnings(*, partner: Partner, user) -> list[DealRegistration]:
    """The deals whose earnings a portal user sees: all of the partner's for its admins, a rep's own."""
    from deals import selectors as deal_selectors

    deals = deal_selectors.deals_for_partner(partner).exclude(stage__in=[Stage.REJECTED, Stage.EXPIRED])
    if not user.is_partner_admin:
        deals = deals.filter(registered_by=user)
    return list(deals.order_by("-registered_at", "-pk")[:200])
