"""Reads of the incentives module: payout pages and the transfer batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Sum
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


def ledger_by_event(*, partner_id: int, event_ids) -> dict[str, int]:
    """The partner's recorded amount per event, for the given event ids."""
    return dict(LedgerLine.objects.filter(partner_id=partner_id, event_id__in=list(event_ids)).values("event_id")
                .annotate(amount=Sum("amount")).values_list("event_id", "amount"))


@dataclass(frozen=True)
class PayoutLine:
    line: LedgerLine
    rule_name: str
    event: object  # runs.EventRef


@dataclass(frozen=True)
class PayoutPlanGroup:
    plan_name: str
    lines: list[PayoutLine]

    @property
    def total(self) -> int:
        return sum(item.line.amount for item in self.lines)


def payout_lines(payout: Payout) -> list[PayoutPlanGroup]:
    """The payout's ledger lines grouped by plan, each with its rule's name and its event described."""
    from incentives import rule_text, runs
    from incentives.models import PlanVersion

    lines = list(LedgerLine.objects.filter(payout=payout).select_related("plan_version__plan")
                 .order_by("plan_version__plan__name", "event_date", "event_id", "occurrence", "pk"))
    documents = dict(PlanVersion.objects.filter(pk__in={line.plan_version_id for line in lines})
                     .values_list("pk", "document"))
    names = rule_text.names_for(documents.items())
    refs = runs.event_refs(line.event_id for line in lines)
    groups: dict[str, list[PayoutLine]] = {}
    for line in lines:
        groups.setdefault(line.plan_version.plan.name, []).append(
            PayoutLine(line, names.get((line.plan_version_id, line.rule_id), line.rule_id), refs[line.event_id]))
    return [PayoutPlanGroup(name, items) for name, items in groups.items()]


def disputes_for_partner(*, partner: Partner) -> dict[int, list]:
    """{payout id: its disputes, newest first} for the partner's payouts."""
    from incentives.models import PayoutDispute

    disputes: dict[int, list] = {}
    for dispute in PayoutDispute.objects.filter(payout__partner=partner).select_related("raised_by", "resolved_by"):
        disputes.setdefault(dispute.payout_id, []).append(dispute)
    return disputes
