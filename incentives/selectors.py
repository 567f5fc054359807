"""Reads of the incentives module: payout pages and the transfer batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, QuerySet, Sum
from django.utils.translation import gettext as _

from incentives import zengin
from incentives.models import LedgerLine, Payout
from partners.models import Partner


@dataclass(frozen=True)
class AddedAfterClose:
    period: date
    amount: int


@dataclass(frozen=True)
class PayoutRow:
    payout: Payout
    # 前回締め後の追加分: lines of earlier periods this payout pays, per original period.
    added_after_close: list[AddedAfterClose] = field(default_factory=list)

    @property
    def added_total(self) -> int:
        return sum(item.amount for item in self.added_after_close)


@dataclass(frozen=True)
class PayoutPage:
    rows: list[PayoutRow]
    total: int
    late_for_subcontract_act: bool
    # Approved payouts kept out of the transfer file until re-approved.
    bank_changed: int


def _rows(payouts: list[Payout]) -> list[PayoutRow]:
    added: dict[int, list[AddedAfterClose]] = {}
    for payout_id, line_period, amount in (
        LedgerLine.objects.filter(payout__in=payouts).exclude(period=F("payout__period"))
        .values("payout_id", "period").annotate(amount=Sum("amount")).order_by("payout_id", "period")
        .values_list("payout_id", "period", "amount")
    ):
        added.setdefault(payout_id, []).append(AddedAfterClose(line_period, amount))
    return [PayoutRow(payout, added.get(payout.pk, [])) for payout in payouts]


def payout_rows_for_partner(*, partner: Partner, statuses: list[str]) -> list[PayoutRow]:
    """The partner's own payouts, newest first, for the portal."""
    return _rows(list(Payout.objects.filter(partner=partner, status__in=statuses).order_by("-period")))


def payout_page(*, period: date) -> PayoutPage:
    payouts = list(Payout.objects.filter(period=period).select_related("partner").order_by("partner__name_kana", "pk"))
    return PayoutPage(
        rows=_rows(payouts),
        total=sum(payout.total for payout in payouts),
        late_for_subcontract_act=any(payout.late_for_subcontract_act for payout in payouts),
        bank_changed=sum(1 for payout in payouts if payout.total > 0 and payout.bank_account_changed),
    )


@dataclass(frozen=True)
class TransferBatch:
    payouts: list[Payout]
    transfers: list[zengin.Transfer]
    # Approved payouts left out of the file, each with the reason a person reads.
    excluded: list[tuple[Payout, str]]


def transfer_batch(*, period: date) -> TransferBatch:
    """The period's approved payouts as transfers to the account each was approved with.

    A payout whose partner changed the bank account after approval stays out until a vendor
    re-approves it. Raises ValidationError when an approved account cannot be written to a file.
    """
    approved = list(Payout.objects.filter(period=period, status=Payout.Status.APPROVED, total__gt=0)
                    .select_related("partner").order_by("partner__name_kana", "pk"))
    excluded = [(p, _("%(partner)s: the bank account changed since approval; re-approve the payout to include it.")
                 % {"partner": p.payee_name}) for p in approved if p.bank_account_changed]
    left_out = {p.pk for p, _reason in excluded}
    included = [p for p in approved if p.pk not in left_out]
    zengin.check({p.payee_name: {"bank_code": p.bank_code, "branch_code": p.branch_code, "account_type": p.account_type,
                                 "account_number": p.account_number, "holder": p.account_holder} for p in included})
    transfers = [zengin.Transfer(p.bank_code, p.bank_name, p.branch_code, p.branch_name, p.account_type,
                                 p.account_number, p.account_holder, p.total, f"{p.period:%Y%m}") for p in included]
    return TransferBatch(payouts=included, transfers=transfers, excluded=excluded)


@dataclass(frozen=True)
class AuditFilters:
    start: date | None = None  # first day of the first month shown
    end: date | None = None  # first day of the last month shown
    actor: int | None = None
    action: str = ""
    partner: int | None = None


def audit_entries(filters: AuditFilters):
    """The audit log's entries, newest first, narrowed by the page's filters."""
    from incentives.models import AuditEntry
    from incentives.terms import month_end

    entries = AuditEntry.objects.select_related("actor", "partner")
    if filters.start is not None:
        entries = entries.filter(created_at__date__gte=filters.start)
    if filters.end is not None:
        entries = entries.filter(created_at__date__lte=month_end(filters.end))
    if filters.actor is not None:
        entries = entries.filter(actor_id=filters.actor)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.partner is not None:
        entries = entries.filter(partner_id=filters.partner)
    return entries


def audit_actions() -> list[str]:
    """Every action code the log can be filtered by: the registered ones and the ones recorded."""
    from incentives import audit
    from incentives.models import AuditEntry

    return sorted(set(audit.SENTENCES) | set(AuditEntry.objects.values_list("action", flat=True).distinct()))


def audit_actors():
    """The people who appear in the log, for its filter."""
    from django.contrib.auth import get_user_model

    from incentives.models import AuditEntry

    ids = AuditEntry.objects.filter(actor__isnull=False).values("actor_id").distinct()
    return get_user_model().objects.filter(pk__in=ids).order_by("full_name", "email")


def audit_partners() -> QuerySet[Partner]:
    """The partners that appear in the log, for its filter."""
    from incentives.models import AuditEntry

    ids = AuditEntry.objects.filter(partner__isnull=False).values("partner_id").distinct()
    return Partner.objects.filter(pk__in=ids).order_by("name_kana", "name").only("pk", "name")


@dataclass(frozen=True)
class TierRate:
    """A margin a published plan pays partners of a tier: a percent rule on the won amount."""

    plan: str
    rule: str
    percent: Decimal
    conditions: str = ""


def tier_plan_rates(tiers) -> dict[int, list[TierRate]]:
    """{tier pk: the rates the active plans' published versions pay on a won deal for that tier}.

    The plan is the one source of a tier's margin: a plan pays a tier when its applies_to takes the
    tier's code (or names no tiers) and one of the partner types of the tier's programme (or names
    none). Its percent rules on deal_won are the margin; each is listed with its own conditions
    (products, dates), never typed a second time on the tier."""
    from incentives import engine, rule_text
    from incentives.models import PlanVersion

    published = []
    for version in (PlanVersion.objects.filter(status=PlanVersion.Status.PUBLISHED, plan__is_active=True)
                    .select_related("plan").order_by("plan__code", "-number").distinct("plan__code")):
        try:
            published.append((version.plan, engine.parse_plan(version.document)))
        except engine.PlanError:
            continue
    rates: dict[int, list[TierRate]] = {}
    for tier in tiers:
        found = rates[tier.pk] = []
        types = set(tier.program.partner_types or [])
        for plan, parsed in published:
            if parsed.tiers is not None and tier.code not in parsed.tiers:
                continue
            if parsed.partner_types is not None and not types & parsed.partner_types:
                continue
            for rule in parsed.rules:
                if isinstance(rule, engine.Percent) and rule.on == engine.DEAL_WON:
                    found.append(TierRate(plan.name, rule_text.rule_name(rule), (rule.rate * 100).normalize(),
                                          _("; ").join(rule_text.rule_conditions(rule))))
    return rates
