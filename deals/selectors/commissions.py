"""What a commission run reads of the deal register, set-based and streamed: the runs read a vendor's whole
history (incentives.runs), so the rows are plain tuples in the order the engine takes them, never models.

A deal counts for commissions once it is approved: registrations waiting for a decision and rejected ones
give no event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate

from deals.models import DealRegistration, Product, Stage
from prm.digests import DigestSQL, day_number, local_day, row_hash
from prm.reads import local_day_start, plain_rows

NOT_COUNTED = (Stage.REGISTERED, Stage.REJECTED)


def first_product_codes(deal_ids: Iterable[int] | QuerySet | None = None) -> dict[int, str]:
    """deal id → the deal's product as commission plans see it: the first of its products by code. Every deal
    with a product, or only `deal_ids` (ids, or a query of them, which stays a subquery)."""
    rows = DealRegistration.products.through.objects.all()
    if deal_ids is not None:
        rows = rows.filter(dealregistration_id__in=deal_ids)
    return dict(plain_rows(rows.order_by("dealregistration_id", "product__code").distinct("dealregistration_id")
                           .values_list("dealregistration_id", "product__code")))


@dataclass(frozen=True)
class DealWindow:
    """The first day from which each event of a deal is wanted: its registration, its win, its cancellation."""

    registered: date
    won: date
    cancelled: date


class CommissionDeals(NamedTuple):
    first_products: dict[int, str]  # deal id → product code (first_product_codes) of the deals in `rows`
    # (id, partner id, local day registered, stage, won amount, won on, local day closed, cancelled on), by id
    rows: Iterator[tuple]


def deals_for_commissions(*, partner_ids: Iterable[int] | None = None, window: DealWindow | None = None,
                          wins_of: Iterable[int] = ()) -> CommissionDeals:
    """The counted deals (every one, or those of `partner_ids`) with their products: with a `window`, only the
    deals with an event inside it, plus the deals `wins_of` whatever their dates. Two statements: the products
    are read at once, the deals stream as they are iterated. The local days are taken in SQL: converting a
    timestamp per row in Python costs more than the engine's work on it."""
    deals = DealRegistration.objects.exclude(stage__in=NOT_COUNTED)
    if partner_ids is not None:
        deals = deals.filter(partner_id__in=list(partner_ids))
    if window is not None:
        cancelled = window.cancelled
        deals = deals.filter(
            Q(registered_at__gte=local_day_start(window.registered)) | Q(won_on__gte=window.won)
            | Q(stage=Stage.CANCELLED, won_on__gte=cancelled) | Q(stage=Stage.CANCELLED, cancelled_on__gte=cancelled)
            | Q(stage=Stage.CANCELLED, cancelled_on__isnull=True, closed_at__gte=local_day_start(cancelled))
            | Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [list(set(wins_of))])))
    products = first_product_codes(None if partner_ids is None and window is None else deals.values("pk"))
    return CommissionDeals(products, plain_rows(deals.values_list(
        "pk", "partner_id", TruncDate("registered_at"), "stage", "won_amount", "won_on", TruncDate("closed_at"),
        "cancelled_on").order_by("pk")))


def cancelled_wins_for_commissions(*, since: date, until: date) -> Iterator[tuple]:
    """(id, stage, won on, local day closed, cancelled on) of the won deals, won up to `until`, that were
    cancelled with a date from `since` on: what an incremental run's clawbacks may reverse."""
    return iter(DealRegistration.objects.filter(stage=Stage.CANCELLED, won_on__isnull=False, won_on__lte=until).filter(
        Q(won_on__gte=since) | Q(cancelled_on__gte=since)
        | Q(cancelled_on__isnull=True, closed_at__gte=local_day_start(since))).values_list(
        "pk", "stage", "won_on", TruncDate("closed_at"), "cancelled_on"))


def registered_and_won(deal_ids: Iterable[int]) -> Iterator[tuple]:
    """(registered at, won on) of the deals."""
    return iter(DealRegistration.objects.filter(pk__in=deal_ids).values_list("registered_at", "won_on"))


def deal_days_for_commissions(deal_ids: Iterable[int]) -> Iterator[tuple]:
    """(id, stage, local day registered, won on, local day closed, cancelled on) of the deals that count."""
    return iter(DealRegistration.objects.filter(pk__in=deal_ids).exclude(stage__in=NOT_COUNTED).values_list(
        "pk", "stage", TruncDate("registered_at"), "won_on", TruncDate("closed_at"), "cancelled_on"))


def customer_names(deal_ids: Iterable[int]) -> dict[int, str]:
    """deal id → its customer's name (the deals that exist)."""
    return dict(DealRegistration.objects.filter(pk__in=deal_ids).values_list("pk", "customer_name"))


def product_codes() -> list[tuple[int, str]]:
    """(id, code) of every product of the catalogue, by id."""
    return list(Product.objects.order_by("pk").values_list("pk", "code"))


class CommissionDigest(NamedTuple):
    rows: DigestSQL  # the counted deals' registrations, wins and cancellations
    # A relation (id, partner_id, product) of every deal, `product` the id of its first product by code (0 for
    # none): what a reader of rows about deals (invoice payments) joins to hash them with the deal's partner
    # and product. It reads no parameter.
    deals: str


def commission_digest_sql(*, tags: tuple[int, int, int]) -> CommissionDigest:
    """The deal register as a commission run's input digest reads it (incentives.runs.input_digests), in SQL
    to compose into its one statement: a row per counted deal's registration, win and cancellation (tagged
    with `tags` in this order), on the local day it happened, hashing what the engine reads of it (partner,
    days, won amount, product; the product by its id, the codes being digested apart with product_codes)."""
    deal_table, product_table = DealRegistration._meta.db_table, Product._meta.db_table
    through = DealRegistration.products.through._meta.db_table
    deals = (f"{deal_table} d LEFT JOIN (SELECT DISTINCT ON (t.dealregistration_id) t.dealregistration_id AS deal_id, "
             f"p.id AS product FROM {through} t JOIN {product_table} p ON p.id = t.product_id "
             f"ORDER BY t.dealregistration_id, p.code) p ON p.deal_id = d.id")
    product = "coalesce(p.product, 0)"
    registered = local_day("d.registered_at", zone_param="deals_zone")
    closed = local_day("d.closed_at", zone_param="deals_zone")
    cancelled = (f"CASE WHEN d.stage = 'cancelled' AND d.won_on IS NOT NULL AND (d.cancelled_on IS NOT NULL OR "
                 f"d.closed_at IS NOT NULL) THEN greatest(coalesce(d.cancelled_on, {closed}), d.won_on) END")
    counted = "d.stage NOT IN ('registered', 'rejected')"
    registration, win, cancellation = tags
    sql = f"""
            SELECT {registered} AS day, {row_hash(registration, 'd.id', 'd.partner_id', day_number(registered), product)} AS h
                FROM {deals} WHERE {counted}
            UNION ALL SELECT d.won_on, {row_hash(win, 'd.id', 'd.partner_id', day_number('d.won_on'),
                                                 'coalesce(d.won_amount, 0)', product)}
                FROM {deals} WHERE {counted} AND d.won_on IS NOT NULL
            UNION ALL SELECT {cancelled}, {row_hash(cancellation, 'd.id', 'd.partner_id', day_number('d.won_on'),
                                                    day_number(cancelled), product)}
                FROM {deals} WHERE {counted} AND d.stage = 'cancelled' AND d.won_on IS NOT NULL"""
    return CommissionDigest(rows=DigestSQL(sql, {"deals_zone": settings.TIME_ZONE}),
                            deals=f"(SELECT d.id, d.partner_id, {product} AS product FROM {deals})")
