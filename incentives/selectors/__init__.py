"""Reads of the incentives module: payout pages, the transfer batch, invoice payments and customer retention."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from deals import selectors as deal_selectors
from incentives import terms, zengin
from incentives.models import InvoiceImport, InvoicePayment, LedgerLine, MdfClaim, MdfRequest, Payout
from partners.models import Partner
from partners.selectors import partner_choices, partners_by_ids
from prm.inbox import Waiting, partner_scope, waiting
from prm.reads import ModelRows, fetch_rows


@dataclass(frozen=True)
class AddedAfterClose:
    period: date
    amount: int


@dataclass(frozen=True)
class PayoutRow:
    payout: Payout
    # 前回締め後の追加分: lines of earlier periods this payout pays, per original period.
    added_after_close: list[AddedAfterClose] = field(default_factory=list)

    # 訂正による調整: what this payout's adjustment lines (wins corrected, cancelled or reopened) add or deduct.
    adjustments: int = 0

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
    adjusted = dict(LedgerLine.objects.filter(payout__in=payouts, adjustment__gt=0).values("payout_id")
                    .annotate(amount=Sum("amount")).order_by("payout_id").values_list("payout_id", "amount"))
    return [PayoutRow(payout, added.get(payout.pk, []), adjusted.get(payout.pk, 0)) for payout in payouts]


def payout_rows_for_partner(*, partner: Partner, statuses: list[str]) -> list[PayoutRow]:
    """The partner's own payouts, newest first, for the portal."""
    return _rows(list(Payout.objects.filter(partner=partner, status__in=statuses).order_by("-period")))


def payout_for_partner(pk: int, *, partner: Partner, statuses: Iterable[str] | None = None) -> Payout | None:
    """One of the partner's own payouts, with its partner; `statuses` given: only in one of them."""
    payouts = Payout.objects.select_related("partner").filter(pk=pk, partner=partner)
    return (payouts if statuses is None else payouts.filter(status__in=list(statuses))).first()


def mdf_requests_of(partner: Partner) -> QuerySet[MdfRequest]:
    """The partner's MDF requests with their claims, for the portal."""
    return MdfRequest.objects.filter(partner=partner).select_related("claim")


def mdf_request_for_partner(pk: int, *, partner: Partner) -> MdfRequest | None:
    """One of the partner's own MDF requests."""
    return MdfRequest.objects.filter(pk=pk, partner=partner).first()


def mdf_requests_awaiting_review(*, partner_ids: QuerySet | None = None) -> Waiting[MdfRequest]:
    """MDF requests waiting for a decision, the longest-waiting first."""
    return waiting(MdfRequest.objects.filter(partner_scope(partner_ids), status=MdfRequest.Status.REQUESTED)
                   .select_related("partner").order_by("created_at", "pk"))


def mdf_claims_awaiting_review(*, partner_ids: QuerySet | None = None) -> Waiting[MdfClaim]:
    """Claims with proof submitted and not yet reimbursed or rejected, the longest-waiting first."""
    return waiting(MdfClaim.objects.filter(partner_scope(partner_ids, field="request__partner_id"),
                                           request__status=MdfRequest.Status.CLAIMED)
                   .select_related("request__partner").order_by("submitted_at", "pk"))


def payouts_awaiting_action(*, due_by: date, partner_ids: QuerySet | None = None) -> Waiting[Payout]:
    """Payouts in review, and approved payouts due by `due_by` that are not paid yet: the earliest due first."""
    due = Q(status=Payout.Status.REVIEW) | Q(status=Payout.Status.APPROVED, due_date__lte=due_by)
    return waiting(Payout.objects.filter(due, partner_scope(partner_ids)).select_related("partner")
                   .order_by("due_date", "pk"))


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


# --------------------------------------------------------------------------- invoice payments


@dataclass(frozen=True)
class InvoicePaymentFilter:
    partner_id: int | None = None
    month: date | None = None


def invoice_payments(filters: InvoicePaymentFilter) -> QuerySet[InvoicePayment]:
    """Recorded payments, newest first, of one partner's deals and/or paid in one month."""
    payments = InvoicePayment.objects.select_related("deal", "deal__partner", "recorded_by", "source")
    if filters.partner_id is not None:
        payments = payments.filter(deal__partner_id=filters.partner_id)
    if filters.month is not None:
        payments = payments.filter(paid_on__gte=filters.month, paid_on__lte=terms.month_end(filters.month))
    return payments.order_by("-paid_on", "-id")


def invoice_payments_total(payments: QuerySet[InvoicePayment]) -> tuple[int, int]:
    """(how many, ¥ total) of these payments."""
    row = payments.order_by().aggregate(count=Count("pk"), total=Sum("amount"))
    return row["count"], row["total"] or 0


def invoice_imports_recent(limit: int = 5) -> list[InvoiceImport]:
    return list(InvoiceImport.objects.select_related("uploaded_by").defer("content")[:limit])


# --------------------------------------------------------------------------- customer retention (顧客継続率)

# A customer is a won deal that pays recurring invoices. It is *paying* on a day when it paid an
# invoice in the RETENTION_WINDOW_MONTHS months up to that day (a quarterly invoice keeps it paying).
RETENTION_LOOKBACK_MONTHS = 12
RETENTION_WINDOW_MONTHS = 3


@dataclass(frozen=True)
class RetentionFigure:
    base: int = 0  # customers paying 12 months before the day
    retained: int = 0  # of those, the ones still paying on the day

    @property
    def rate(self) -> float | None:
        return round(self.retained * 100 / self.base, 1) if self.base else None


@dataclass(frozen=True)
class Retention:
    as_of: date
    then: date  # the day twelve months earlier
    overall: RetentionFigure
    by_partner: dict[int, RetentionFigure]

    def within(self, partner_ids: Iterable[int] | None) -> Retention:
        """The same figures for some partners only (None: all), the overall figure summed over them."""
        if partner_ids is None:
            return self
        wanted = set(partner_ids)
        kept = {pk: figure for pk, figure in self.by_partner.items() if pk in wanted}
        return Retention(self.as_of, self.then, RetentionFigure(sum(f.base for f in kept.values()),
                                                                sum(f.retained for f in kept.values())), kept)


def retention_definition() -> str:
    """The definition of 顧客継続率, in words, for the footnote of every page that shows it."""
    return _("Customer retention: of the customers (won deals paying recurring invoices) that paid an invoice in the "
             "%(window)s months up to the same day %(lookback)s months ago, the share that also paid one in the last "
             "%(window)s months. Per partner by the partner of the deal.") % {
        "window": RETENTION_WINDOW_MONTHS, "lookback": RETENTION_LOOKBACK_MONTHS}


def customer_retention(as_of: date) -> Retention:
    """顧客継続率 on `as_of`, overall and per partner (see retention_definition): two index range scans."""
    then = terms.add_months(as_of, -RETENTION_LOOKBACK_MONTHS)

    def paying(day: date) -> set[int]:
        return set(InvoicePayment.objects.filter(paid_on__gt=terms.add_months(day, -RETENTION_WINDOW_MONTHS),
                                                 paid_on__lte=day).order_by().values_list("deal_id", flat=True)
                   .distinct())

    base = paying(then)
    retained = paying(as_of) & base
    partners = deal_selectors.deal_partners(base)
    counts: dict[int, list[int]] = {}
    for deal_id in base:
        figure = counts.setdefault(partners[deal_id], [0, 0])
        figure[0] += 1
        figure[1] += deal_id in retained
    by_partner = {pk: RetentionFigure(base_count, kept) for pk, (base_count, kept) in counts.items()}
    return Retention(as_of, then, RetentionFigure(len(base), len(retained)), by_partner)


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


def audit_partners() -> QuerySet[Partner, tuple[int, str]]:
    """(id, name) of the partners that appear in the log, for its filter."""
    from incentives.models import AuditEntry

    ids = AuditEntry.objects.filter(partner__isnull=False).values("partner_id").distinct()
    return partner_choices(ids)


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


def payouts_for_sync(*, partner_id: int | None = None) -> QuerySet[Payout]:
    """Payouts for an outside system (the vendor's accounting, a partner's own books)."""
    qs = Payout.objects.all()
    return qs.filter(partner_id=partner_id) if partner_id is not None else qs


def payout_for_sync(pk: int, *, partner_id: int | None = None) -> Payout | None:
    return payouts_for_sync(partner_id=partner_id).filter(pk=pk).first()


def payout_lines_for_sync(payout: Payout) -> QuerySet[LedgerLine]:
    """The ledger lines a payout pays (append-only: adjustments are lines of their own)."""
    return LedgerLine.objects.filter(payout=payout).select_related("plan_version__plan")


def change_marker_sql() -> str:
    """Scalar subqueries, comma-separated, for the select list of one fingerprint statement (see
    partners.selectors.change_marker_sql): their values change when MDF is requested, claimed or decided, or an
    invoice payment is imported or deleted."""
    return """(SELECT max(id) FROM incentives_mdfrequest),
           (SELECT max(id) FROM incentives_mdfclaim),
           (SELECT max(decided_at) FROM incentives_mdfrequest),
           (SELECT max(id) FROM incentives_invoicepayment),
           (SELECT count(*) FROM incentives_invoicepayment)"""


# --------------------------------------------------------------------------- MDF ROI (prm.figures "mdf_roi")

MDF_ATTRIBUTION_DAYS = 90
MDF_SPENT = (MdfRequest.Status.CLAIMED, MdfRequest.Status.REIMBURSED)


def roi_ratio(won_revenue: int, spent: int) -> float | None:
    """MDF ROI: yen of won revenue per yen spent, to one decimal; none when nothing was spent."""
    return round(won_revenue / spent, 1) if spent else None


@dataclass(frozen=True)
class Roi:
    """One MDF activity: what the partner spent (its claim), the leads it reported, and the revenue of the
    partner's won deals registered during the activity and up to 90 days after it."""

    request: MdfRequest
    spent: int
    leads: int
    won_revenue: int

    @property
    def ratio(self) -> float | None:
        return roi_ratio(self.won_revenue, self.spent)


@dataclass(frozen=True)
class MdfRoi:
    rows: list[Roi] = field(default_factory=list)  # the best return first

    @property
    def activities(self) -> int:
        return len(self.rows)

    @property
    def spent(self) -> int:
        return sum(row.spent for row in self.rows)

    @property
    def leads(self) -> int:
        return sum(row.leads for row in self.rows)

    @property
    def won_revenue(self) -> int:
        return sum(row.won_revenue for row in self.rows)

    @property
    def ratio(self) -> float | None:
        return roi_ratio(self.won_revenue, self.spent)


def mdf_roi_of(requests) -> list[Roi]:
    """The ROI of each of these MDF requests (with their claim loaded), in their order: one statement for all."""
    from datetime import timedelta

    requests = list(requests)
    won = deal_selectors.won_revenue_registered_between([
        (request.pk, request.partner_id, request.starts_on, request.ends_on + timedelta(days=MDF_ATTRIBUTION_DAYS))
        for request in requests])
    result = []
    for request in requests:
        claim = getattr(request, "claim", None)
        result.append(Roi(request, claim.amount if claim else 0, claim.leads if claim else 0, won.get(request.pk, 0)))
    return result


_MDF_REQUEST, _MDF_CLAIM = ModelRows(MdfRequest), ModelRows(MdfClaim)


@cache
def _claimed_requests_sql(some_partners: bool) -> str:
    return (f"SELECT {_MDF_REQUEST.columns('r')}, {_MDF_CLAIM.columns('c')} FROM {MdfRequest._meta.db_table} r"
            f" JOIN {MdfClaim._meta.db_table} c ON c.request_id = r.id"
            " WHERE r.status = ANY(%(spent)s) AND r.starts_on >= %(start)s AND r.starts_on <= %(end)s"
            f"{' AND r.partner_id = ANY(%(partner_ids)s)' if some_partners else ''} ORDER BY r.id")


def mdf_roi(partner_ids, start: date, end: date, *, partners: dict[int, Partner] | None = None) -> MdfRoi:
    """MDF ROI of the claimed (or reimbursed) activities that started from `start` to `end` (both included), of
    these partners (every partner when None): the figure "mdf_roi" of prm.figures. Each row's request comes with its
    claim and its partner: `partners` are those the caller already read (the partner page's own), the others are
    read once for all."""
    params = {"spent": [str(status) for status in MDF_SPENT], "start": start, "end": end}
    if partner_ids is not None:
        params["partner_ids"] = list(partner_ids)
        if not params["partner_ids"]:  # a scope with no partner (a dashboard's filters): nothing to read
            return MdfRoi([])
    requests = []
    for row in fetch_rows(_claimed_requests_sql(partner_ids is not None), params):
        request, claim = _MDF_REQUEST.instance(row[:_MDF_REQUEST.width]), _MDF_CLAIM.instance(row[_MDF_REQUEST.width:])
        MdfRequest.claim.related.set_cached_value(request, claim)  # as select_related("claim") keeps it, both ways
        MdfClaim.request.field.set_cached_value(claim, request)
        requests.append(request)
    known = dict(partners or {})
    if missing := {request.partner_id for request in requests} - known.keys():
        known.update(partners_by_ids(missing))
    for request in requests:
        MdfRequest.partner.field.set_cached_value(request, known[request.partner_id])
    rows = mdf_roi_of(requests)
    rows.sort(key=lambda row: (-row.won_revenue, -row.spent, row.request.pk))
    return MdfRoi(rows)


def mdf_activity_count(partner_ids, start: date, end: date) -> int:
    requests = MdfRequest.objects.filter(status__in=MDF_SPENT, starts_on__gte=start, starts_on__lte=end)
    if partner_ids is not None:
        requests = requests.filter(partner_id__in=list(partner_ids))
    return requests.count()


def mdf_requests_between(partner_id: int, start: date, end: date) -> list[MdfRequest]:
    """The partner's MDF requests whose activity starts or ends from `start` to `end`, with their claims."""
    from django.db.models import Q

    return list(MdfRequest.objects.filter(Q(starts_on__gte=start, starts_on__lte=end)
                                          | Q(ends_on__gte=start, ends_on__lte=end), partner_id=partner_id)
                .select_related("claim", "partner").order_by("starts_on", "pk"))
