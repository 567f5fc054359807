"""Reads of deal registration: the approval queue with conflicts side by side, pipelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.functional import Promise

from deals import matching
from deals.models import (
    OPEN_STAGES,
    DealRegistration,
    DirectAccount,
    ExtensionRequest,
    Lead,
    Stage,
)
from deals.services import _as_stored, _stored_keys, customer_keys_for, matching_direct_accounts, matching_registrations
from partners.models import Partner


@dataclass
class QueueRow:
    deal: DealRegistration
    conflicts: list[DealRegistration]
    direct: list[DirectAccount]


def approval_queue() -> list[QueueRow]:
    """Registrations waiting for a decision, each with every registration and direct account it
    conflicts with (who registered first and when)."""
    waiting = list(
        DealRegistration.objects.filter(stage=Stage.REGISTERED)
        .select_related("partner", "registered_by").prefetch_related("products").order_by("registered_at", "pk")[:200]
    )
    return [QueueRow(deal, conflicts_of(deal), direct_conflicts_of(deal)) for deal in waiting]


def wins_awaiting_confirmation() -> QuerySet[DealRegistration]:
    """Wins partners reported that wait for a channel manager, oldest report first."""
    return (DealRegistration.objects.filter(stage=Stage.WON_PENDING)
            .select_related("partner", "registered_by", "won_reported_by").order_by("won_reported_at", "pk"))


def wins_awaiting_count() -> int:
    return DealRegistration.objects.filter(stage=Stage.WON_PENDING).count()


def conflicts_of(deal: DealRegistration) -> list[DealRegistration]:
    return matching_registrations(_stored_keys(deal), exclude_pk=deal.pk)


def direct_conflicts_of(deal: DealRegistration) -> list[DirectAccount]:
    return matching_direct_accounts(_stored_keys(deal))


def pending_extensions() -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING).select_related(
        "deal", "deal__partner", "requested_by")


def deal_list(*, partner: Partner | None = None, stage: str = "") -> QuerySet[DealRegistration]:
    deals = DealRegistration.objects.select_related("partner", "registered_by")
    if partner is not None:
        deals = deals.filter(partner=partner)
    if stage in Stage.values:
        deals = deals.filter(stage=stage)
    return deals.order_by("-registered_at", "-pk")


def deals_for_partner(partner: Partner) -> QuerySet[DealRegistration]:
    return DealRegistration.objects.filter(partner=partner).select_related("registered_by").prefetch_related("products")


@dataclass(frozen=True)
class StageTotal:
    stage: str
    label: str | Promise  # a lazy translation
    count: int
    amount: int


def pipeline_summary(*, partner: Partner | None = None) -> list[StageTotal]:
    deals = DealRegistration.objects.all() if partner is None else DealRegistration.objects.filter(partner=partner)
    rows = {r["stage"]: r for r in deals.values("stage").annotate(
        n=Count("pk"), total=Sum("amount"), won=Sum("won_amount"), reported=Sum("reported_won_amount"))}
    result = []
    for stage, label in Stage.choices:
        row = rows.get(stage, {"n": 0, "total": 0, "won": 0, "reported": 0})
        amounts: dict[str, int | None] = {Stage.WON: row["won"], Stage.WON_PENDING: row["reported"]}
        amount = amounts.get(stage, row["total"])
        result.append(StageTotal(stage, label, row["n"], amount or 0))
    return result


def pipeline_by_partner() -> QuerySet[Partner]:
    return (
        Partner.objects.annotate(
            open_count=Count("deals", filter=Q(deals__stage__in=OPEN_STAGES)),
            open_amount=Sum("deals__amount", filter=Q(deals__stage__in=OPEN_STAGES)),
            won_count=Count("deals", filter=Q(deals__stage=Stage.WON)),
            won_amount=Sum("deals__won_amount", filter=Q(deals__stage=Stage.WON)),
        )
        .filter(Q(open_count__gt=0) | Q(won_count__gt=0))
        .order_by("-won_amount", "-open_amount", "name_kana")
    )


def direct_account_list() -> QuerySet[DirectAccount]:
    return DirectAccount.objects.select_related("owner").annotate(
        open_count=Count("opportunities", filter=Q(opportunities__is_open=True))).order_by("customer_name")


def lead_list() -> QuerySet[Lead]:
    return Lead.objects.select_related("accepted_by", "created_by").prefetch_related("offers__partner").order_by("-created_at")


# --------------------------------------------------------------------------- account mapping

# The vendor's own customer populations, as rows of matcher keys, for account mapping's joins.
KEY_COLUMNS = ("id", "customer_name", "name_key", "corporate_key", "domain_key")


def customer_population(population: str, *, exclude_partner: Partner | None = None) -> QuerySet:
    """Rows (id, customer_name, name_key, corporate_key, domain_key) of one vendor population:
    "direct" (direct-sales accounts), "open" (open registrations; optionally only other partners'),
    "won" (won registrations). Unknown populations raise KeyError."""
    rows: QuerySet[DirectAccount] | QuerySet[DealRegistration]
    if population == "direct":
        rows = DirectAccount.objects.all()
    elif population == "open":
        rows = DealRegistration.objects.filter(stage__in=OPEN_STAGES)
        if exclude_partner is not None:
            rows = rows.exclude(partner=exclude_partner)
    elif population == "won":
        rows = DealRegistration.objects.filter(stage=Stage.WON)
    else:
        raise KeyError(population)
    return rows.order_by().values(*KEY_COLUMNS)


@dataclass(frozen=True)
class Segment:
    dimension: str  # industry | employee_band | prefecture | product
    value: str
    closed: int  # won + lost: the sample size
    won: int
    won_amount: int

    @property
    def win_rate(self) -> float:
        return self.won / self.closed if self.closed else 0.0

    @property
    def average_won(self) -> int:
        return self.won_amount // self.won if self.won else 0


SEGMENT_DIMENSIONS = ("industry", "employee_band", "prefecture", "product")


def win_segments(dimension: str) -> list[Segment]:
    """Closed deals (won or lost) grouped by one customer dimension: one GROUP BY. Deals with the
    dimension unknown are left out; a deal with two products counts in both."""
    if dimension not in SEGMENT_DIMENSIONS:
        raise KeyError(dimension)
    closed = DealRegistration.objects.filter(stage__in=(Stage.WON, Stage.LOST))
    field = "products__code" if dimension == "product" else dimension
    closed = closed.exclude(**{f"{field}__isnull": True}) if dimension == "product" else closed.exclude(**{field: ""})
    rows = (closed.order_by().values(field)
            .annotate(closed=Count("pk"), won=Count("pk", filter=Q(stage=Stage.WON)),
                      won_amount=Sum("won_amount", filter=Q(stage=Stage.WON))))
    return sorted((Segment(dimension, row[field], row["closed"], row["won"], row["won_amount"] or 0) for row in rows),
                  key=lambda segment: (-segment.win_rate, -segment.closed, segment.value))


def win_totals() -> Segment:
    row = DealRegistration.objects.filter(stage__in=(Stage.WON, Stage.LOST)).aggregate(
        closed=Count("pk"), won=Count("pk", filter=Q(stage=Stage.WON)),
        won_amount=Sum("won_amount", filter=Q(stage=Stage.WON)))
    return Segment("all", "", row["closed"], row["won"], row["won_amount"] or 0)


# --------------------------------------------------------------------------- deals by number or by customer
# A deal's number (案件番号) is its id, shown on the deal's page and in imports of invoice payments.


@dataclass(frozen=True)
class DealRef:
    """What recording a customer's payment reads of a deal: its stage and win, its customer and partner."""

    pk: int
    stage: str
    won_on: date | None
    customer_name: str
    partner_id: int
    partner_name: str
    registered_at: datetime
    keys: matching.CustomerKeys

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)


def _deal_refs(condition: str, params: list) -> list[DealRef]:
    """Plain rows, not model instances: an import looks up ten thousand deals at once."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT d.id, d.stage, d.won_on, d.customer_name, d.partner_id, p.name, d.registered_at,
                   d.name_key, d.corporate_key, d.domain_key
              FROM deals_dealregistration d JOIN partners_partner p ON p.id = d.partner_id
             WHERE {condition}
             ORDER BY d.registered_at, d.id""", params)
        return [DealRef(pk, stage, won_on, customer, partner_id, partner, registered_at,
                        matching.CustomerKeys(name_key, corporate_key or None, domain_key or None))
                for pk, stage, won_on, customer, partner_id, partner, registered_at, name_key, corporate_key, domain_key
                in cursor.fetchall()]


def deals_by_number(numbers) -> dict[int, DealRef]:
    """The registrations with these numbers (any stage), keyed by number."""
    numbers = sorted({number for number in numbers if number is not None and 0 < number < 2**63})
    if not numbers:
        return {}
    return {deal.pk: deal for deal in _deal_refs("d.id = ANY(%s)", [numbers])}


def deals_for_customers(customers: list[tuple[str, str]]) -> list[list[DealRef]]:
    """For each (customer name, corporate number), every registration of that customer in any stage,
    as the one matcher (deals.matching) judges it, oldest first. One index look-up for the whole list."""
    keys = [_as_stored(customer_keys_for(name, number, "")) for name, number in customers]
    names = sorted({k.name_key for k in keys if k.name_key})
    numbers = sorted({k.corporate_number for k in keys if k.corporate_number})
    by_name: dict[str, list[DealRef]] = {}
    by_number: dict[str, list[DealRef]] = {}
    if names or numbers:
        for deal in _deal_refs("d.name_key = ANY(%s) OR d.corporate_key = ANY(%s)", [names, numbers]):
            by_name.setdefault(deal.keys.name_key, []).append(deal)
            if deal.keys.corporate_number:
                by_number.setdefault(deal.keys.corporate_number, []).append(deal)
    found = []
    for key in keys:
        seen: dict[int, DealRef] = {}
        for deal in [*by_number.get(key.corporate_number or "", []), *by_name.get(key.name_key, [])]:
            if deal.pk not in seen and matching.same_customer(key, deal.keys):
                seen[deal.pk] = deal
        found.append(sorted(seen.values(), key=lambda deal: (deal.registered_at, deal.pk)))
    return found


def deal_partners(deal_ids) -> dict[int, int]:
    """deal id → partner id, for figures other apps keep per deal."""
    ids = sorted(set(deal_ids))
    if not ids:
        return {}
    return dict(DealRegistration.objects.filter(pk__in=ids).values_list("pk", "partner_id"))
