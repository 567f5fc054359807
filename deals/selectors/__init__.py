"""Reads of deal registration: the approval queue with conflicts side by side, pipelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from deals import matching
from deals.models import (
    CUSTOMER_KEYS,
    OPEN_STAGES,
    DealRegistration,
    DirectAccount,
    ExtensionRequest,
    Lead,
    Stage,
)
from deals.selectors.change_marker import change_marker_sql as change_marker_sql
from deals.selectors.commissions import CommissionDeals as CommissionDeals
from deals.selectors.commissions import CommissionDigest as CommissionDigest
from deals.selectors.commissions import DealWindow as DealWindow
from deals.selectors.commissions import cancelled_wins_for_commissions as cancelled_wins_for_commissions
from deals.selectors.commissions import commission_digest_sql as commission_digest_sql
from deals.selectors.commissions import customer_names as customer_names
from deals.selectors.commissions import deal_days_for_commissions as deal_days_for_commissions
from deals.selectors.commissions import deals_for_commissions as deals_for_commissions
from deals.selectors.commissions import first_product_codes as first_product_codes
from deals.selectors.commissions import product_codes as product_codes
from deals.selectors.commissions import registered_and_won as registered_and_won
from deals.selectors.conflicts import Conflict as Conflict
from deals.selectors.conflicts import QueuePage as QueuePage
from deals.selectors.conflicts import approval_queue as approval_queue
from deals.selectors.conflicts import deal_conflict as deal_conflict
from deals.selectors.conflicts import direct_conflicts as direct_conflicts
from deals.selectors.conflicts import registration_conflicts as registration_conflicts
from deals.selectors.dashboard import registrations_in_period_sql as registrations_in_period_sql
from deals.selectors.dashboard import won_by_month_sql as won_by_month_sql
from deals.selectors.inbox import extensions_awaiting_approval as extensions_awaiting_approval
from deals.selectors.inbox import lead_offers_past_sla as lead_offers_past_sla
from deals.selectors.inbox import registrations_awaiting_approval as registrations_awaiting_approval
from deals.selectors.lookups import (  # noqa: F401
    active_products,
    deal_for_partner,
    deal_for_sync,
    deals_for_sync,
    direct_account_for_sync,
    direct_accounts_for_sync,
    lead_for_sync,
    lead_offer_for_partner,
    lead_offers_for_partner,
    leads_for_sync,
)
from deals.selectors.lookups import deal_with_partner as deal_with_partner
from deals.selectors.lookups import deals_registered_by_users as deals_registered_by_users
from deals.selectors.pipeline import PipelineFilters as PipelineFilters
from deals.selectors.pipeline import StageTotal as StageTotal
from deals.selectors.pipeline import pipeline_by_partner as pipeline_by_partner
from deals.selectors.pipeline import pipeline_deals as pipeline_deals
from deals.selectors.pipeline import pipeline_summary as pipeline_summary
from deals.selectors.search import CustomerMatch as CustomerMatch
from deals.selectors.search import customer_search as customer_search
from deals.selectors.search import deal_search as deal_search
from deals.services import _as_stored, customer_keys_for
from partners.models import Partner
from partners.selectors import partner_names
from prm.reads import Read, fetch_rows, local_days


def wins_awaiting_confirmation() -> QuerySet[DealRegistration]:
    """Wins partners reported that wait for a channel manager, oldest report first."""
    return (DealRegistration.objects.filter(stage=Stage.WON_PENDING)
            .select_related("partner", "registered_by", "won_reported_by").order_by("won_reported_at", "pk"))


def wins_awaiting_count() -> int:
    return DealRegistration.objects.filter(stage=Stage.WON_PENDING).count()


def pending_extensions() -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING).select_related(
        "deal", "deal__partner", "requested_by")


def deals_for_partner(partner: Partner) -> QuerySet[DealRegistration]:
    return DealRegistration.objects.filter(partner=partner).select_related("registered_by").prefetch_related("products")


def direct_account_list() -> QuerySet[DirectAccount]:
    return DirectAccount.objects.select_related("owner").annotate(
        open_count=Count("opportunities", filter=Q(opportunities__is_open=True))).order_by("customer_name")


def lead_list() -> QuerySet[Lead]:
    return Lead.objects.select_related("accepted_by", "created_by").prefetch_related("offers__partner").order_by("-created_at")


# --------------------------------------------------------------------------- account mapping

# The vendor's own customer populations, as rows of matcher keys, for account mapping's joins.
KEY_COLUMNS = ("id", "customer_name", *CUSTOMER_KEYS)


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
    """Plain rows, not model instances: an import looks up ten thousand deals at once. The partners' names come
    from their owner in a second statement over the partners found (none when no deal is): on ten thousand deals
    no slower than joining the partners in the first."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT d.id, d.stage, d.won_on, d.customer_name, d.partner_id, d.registered_at,
                   d.name_key, d.corporate_key, d.domain_key
              FROM deals_dealregistration d
             WHERE {condition}
             ORDER BY d.registered_at, d.id""", params)
        rows = cursor.fetchall()
    names = partner_names({row[4] for row in rows})
    return [DealRef(pk, stage, won_on, customer, partner_id, names[partner_id], registered_at,
                    matching.CustomerKeys(name_key, corporate_key or None, domain_key or None))
            for pk, stage, won_on, customer, partner_id, registered_at, name_key, corporate_key, domain_key in rows]


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


# --------------------------------------------------------------------------- figures (see prm.figures)
#
# Won revenue and won deals: deals at the stage "won" (a vendor-confirmed win; a reported win waiting for
# confirmation is "won_pending", a win the customer cancelled moves to "cancelled"), by `won_on`, the day
# the win took effect, summing `won_amount`. Registered deals: every registration but the rejected ones,
# by the local day of `registered_at`. `partner_ids=None` covers every partner of the vendor.


def _partner_scope(partner_ids) -> Q:
    return Q() if partner_ids is None else Q(partner_id__in=list(partner_ids))


def won_totals(partner_ids, start: date, end: date) -> dict[int, tuple[int, int]]:
    """partner id → (won revenue ¥, won deals) for deals won from `start` to `end` (both included); one
    statement, written out: pages ask for one partner's, where building the query cost more than running it."""
    return won_totals_read(partner_ids, start, end).run()


def won_totals_read(partner_ids, start: date, end: date) -> Read[dict[int, tuple[int, int]]]:
    """won_totals' statement, for a page that sends it with others (prm.reads.Later)."""
    return Read(f"""
        SELECT d.partner_id, sum(d.won_amount), count(*)
          FROM deals_dealregistration d
         WHERE d.stage = %(won)s AND d.won_on >= %(start)s AND d.won_on <= %(end)s {_partner_condition(partner_ids)}
         GROUP BY d.partner_id""", {"won": Stage.WON.value, "start": start, "end": end,
                                    "partner_ids": _partner_list(partner_ids)},
        lambda rows: {partner_id: (int(revenue or 0), won) for partner_id, revenue, won in rows})


def won_revenue(partner_ids, start: date, end: date) -> dict[int, int]:
    return {pk: revenue for pk, (revenue, _won) in won_totals(partner_ids, start, end).items()}


def won_deal_count(partner_ids, start: date, end: date) -> dict[int, int]:
    return {pk: won for pk, (_revenue, won) in won_totals(partner_ids, start, end).items()}


def registered_deal_count(partner_ids, start: date, end: date) -> dict[int, int]:
    """partner id → deals registered from `start` to `end` (local days, both included), rejected ones excluded."""
    since, until = local_days(start, end)
    rows = (DealRegistration.objects.filter(_partner_scope(partner_ids), registered_at__gte=since,
                                            registered_at__lt=until)
            .exclude(stage=Stage.REJECTED).order_by().values("partner_id").annotate(n=Count("pk")))
    return {row["partner_id"]: row["n"] for row in rows}


def won_revenue_by_source(partner_ids, start: date, end: date) -> dict[int, tuple[int, int]]:
    """partner id → (partner-sourced, vendor-assisted) won revenue: a deal is vendor-assisted when the vendor
    generated the lead or joined a meeting (商談同行)."""
    from django.db.models import Exists, OuterRef

    from deals.models import DealMeeting, Side

    assisted = Q(role_lead=Side.VENDOR) | Q(Exists(DealMeeting.objects.filter(deal_id=OuterRef("pk"))))
    rows = (DealRegistration.objects.filter(_partner_scope(partner_ids), stage=Stage.WON, won_on__gte=start,
                                            won_on__lte=end)
            .order_by().values("partner_id")
            .annotate(sourced=Sum("won_amount", filter=~assisted), assisted=Sum("won_amount", filter=assisted)))
    return {row["partner_id"]: (int(row["sourced"] or 0), int(row["assisted"] or 0)) for row in rows}


def repeat_customer_count(partner_ids, start: date, end: date) -> dict[int, int]:
    """partner id → customers (by name key) with two or more deals won from `start` to `end`."""
    repeat = (DealRegistration.objects.filter(_partner_scope(partner_ids), stage=Stage.WON, won_on__gte=start,
                                              won_on__lte=end)
              .order_by().values("partner_id", "name_key").annotate(n=Count("pk")).filter(n__gte=2))
    counts: dict[int, int] = {}
    for row in repeat:
        counts[row["partner_id"]] = counts.get(row["partner_id"], 0) + 1
    return counts


def registration_activity(partner_ids, *, recent_since: datetime, conversion_since: datetime) -> dict[int, dict]:
    """partner id → the deal figures of the health score: registrations since `recent_since`, registered and
    won since `conversion_since`, and the first and last registration (rejected ones never count)."""
    from django.db.models import Max, Min

    counted = ~Q(stage=Stage.REJECTED)
    rows = (DealRegistration.objects.filter(_partner_scope(partner_ids)).order_by().values("partner_id").annotate(
        in_window=Count("pk", filter=counted & Q(registered_at__gte=recent_since)),
        registered=Count("pk", filter=counted & Q(registered_at__gte=conversion_since)),
        won=Count("pk", filter=Q(stage=Stage.WON, registered_at__gte=conversion_since)),
        last=Max("registered_at", filter=counted), first=Min("registered_at", filter=counted)))
    return {row["partner_id"]: {"in_window": row["in_window"], "registered": row["registered"], "won": row["won"],
                                "last": row["last"], "first": row["first"]} for row in rows}


# --------------------------------------------------------------------------- dashboard figures, set-based
#
# The insights dashboard asks for a whole vendor's deals at once (a million rows in the benchmark), so these
# are single GROUP BY statements. `partner_ids=None` covers every partner without a join; a list limits the
# deals to those partners. Month boundaries go to width_bucket(): cheaper per row than date_trunc() in the
# vendor's zone.


def _partner_condition(partner_ids, column: str = "d.partner_id") -> str:
    return "" if partner_ids is None else f"AND {column} = ANY(%(partner_ids)s)"


def _partner_list(partner_ids) -> list[int] | None:
    """The value of %(partner_ids)s in a statement limited by _partner_condition."""
    return None if partner_ids is None else list(partner_ids)


def registrations_by_month(partner_ids, month_starts: list[datetime], ends_before: datetime) -> tuple[list[int], list[int]]:
    """Deals registered per month (rejected ones excluded) and, of those, the ones won: two lists with a value
    per month starting at `month_starts`, the last month ending before `ends_before`."""
    months = len(month_starts)
    registered, won = [0] * months, [0] * months
    for bucket, count_registered, count_won in fetch_rows(f"""
        SELECT width_bucket(d.registered_at, %(instants)s::timestamptz[]),
               count(*) FILTER (WHERE d.stage <> 'rejected'), count(*) FILTER (WHERE d.stage = 'won')
          FROM deals_dealregistration d
         WHERE d.registered_at >= %(starts_at)s AND d.registered_at < %(ends_before)s {_partner_condition(partner_ids)}
         GROUP BY 1""", {"instants": [*month_starts, ends_before], "starts_at": month_starts[0],
                         "ends_before": ends_before,
                         "partner_ids": _partner_list(partner_ids)}):
        if 1 <= bucket <= months:
            registered[bucket - 1], won[bucket - 1] = int(count_registered), int(count_won)
    return registered, won


def won_revenue_registered_between(windows: list[tuple[int, int, date, date]]) -> dict[int, int]:
    """key → revenue of the partner's won deals registered (local day) from start to end (both included), for
    each (key, partner id, start, end): the attribution of MDF ROI (see incentives.selectors.mdf_roi)."""
    if not windows:
        return {}
    from django.utils import timezone

    keys, partners, starts, ends = (list(column) for column in zip(*windows, strict=True))
    return {key: int(total) for key, total in fetch_rows("""
        SELECT w.key, COALESCE((SELECT sum(d.won_amount) FROM deals_dealregistration d
                                 WHERE d.partner_id = w.partner_id AND d.stage = 'won'
                                   AND (d.registered_at AT TIME ZONE %(tz)s)::date >= w.starts_on
                                   AND (d.registered_at AT TIME ZONE %(tz)s)::date <= w.ends_on), 0)
          FROM unnest(%(keys)s::bigint[], %(partners)s::bigint[], %(starts)s::date[], %(ends)s::date[])
               AS w(key, partner_id, starts_on, ends_on)""",
        {"keys": keys, "partners": partners, "starts": starts, "ends": ends,
         "tz": timezone.get_current_timezone_name()})}


def partners_with_wins_between(partner_ids, start: date, end: date) -> int:
    """How many partners won a deal from `start` to `end` (a bound on a ranked table's rows)."""
    return int(fetch_rows(f"""
        SELECT count(DISTINCT d.partner_id) FROM deals_dealregistration d
         WHERE d.stage = 'won' AND d.won_on >= %(start)s AND d.won_on <= %(end)s {_partner_condition(partner_ids)}""",
        {"start": start, "end": end, "partner_ids": _partner_list(partner_ids)})[0][0])


def deal_milestones(partner_ids, *, quarter_target: int, fiscal_start_month: int) -> dict[int, tuple]:
    """partner id → (first registration instant, first win day, the first day the revenue won within one
    fiscal quarter reached `quarter_target`): the deal badges of programs.recognition. One statement."""
    rows = fetch_rows("""
        WITH ids(partner_id) AS (SELECT unnest(%(ids)s::bigint[]))
        SELECT ids.partner_id,
          (SELECT MIN(d.registered_at) FROM deals_dealregistration d WHERE d.partner_id = ids.partner_id),
          (SELECT MIN(d.won_on) FROM deals_dealregistration d WHERE d.partner_id = ids.partner_id AND d.stage = 'won'),
          (SELECT MIN(won_on) FROM (
               SELECT d.won_on, SUM(d.won_amount) OVER (
                          PARTITION BY date_trunc('quarter', d.won_on - make_interval(months => %(shift)s))
                          ORDER BY d.won_on, d.id) AS running
                 FROM deals_dealregistration d
                WHERE d.partner_id = ids.partner_id AND d.stage = 'won' AND d.won_on IS NOT NULL) quarters
            WHERE running >= %(quarter_target)s)
        FROM ids""", {"ids": list(partner_ids), "shift": fiscal_start_month - 1, "quarter_target": quarter_target})
    return {pk: (first_deal, first_win, quarter) for pk, first_deal, first_win, quarter in rows}


def last_registration(partner_ids) -> dict[int, datetime]:
    """partner id → the instant of its latest deal registration (rejected ones never count)."""
    from django.db.models import Max

    rows = (DealRegistration.objects.filter(_partner_scope(partner_ids)).exclude(stage=Stage.REJECTED)
            .order_by().values("partner_id").annotate(last=Max("registered_at")))
    return {row["partner_id"]: row["last"] for row in rows}


def registrations_expiring_between(partner_ids, start: date, end: date) -> dict[int, int]:
    """partner id → its registrations still being worked (approved, proposal, negotiation) whose protection
    expires from `start` to `end` (both included)."""
    rows = (DealRegistration.objects.filter(_partner_scope(partner_ids),
                                            stage__in=[Stage.APPROVED, Stage.PROPOSAL, Stage.NEGOTIATION],
                                            expires_on__gte=start, expires_on__lte=end)
            .order_by().values("partner_id").annotate(n=Count("pk")))
    return {row["partner_id"]: row["n"] for row in rows}


def open_pipeline(partner_ids) -> dict[int, dict[str, tuple[int, int]]]:
    """partner id → {open stage → (deals, registered amount ¥)} today; one statement, written out (see won_totals)."""
    return open_pipeline_read(partner_ids).run()


def open_pipeline_read(partner_ids) -> Read[dict[int, dict[str, tuple[int, int]]]]:
    """open_pipeline's statement, for a page that sends it with others (prm.reads.Later)."""
    def build(rows: list[tuple]) -> dict[int, dict[str, tuple[int, int]]]:
        result: dict[int, dict[str, tuple[int, int]]] = {}
        for partner_id, stage, deals, amount in rows:
            result.setdefault(partner_id, {})[stage] = (deals, int(amount or 0))
        return result

    return Read(f"""
            SELECT d.partner_id, d.stage, count(*), sum(d.amount)
              FROM deals_dealregistration d
             WHERE d.stage = ANY(%(open)s) {_partner_condition(partner_ids)}
             GROUP BY d.partner_id, d.stage""", {"open": [stage.value for stage in OPEN_STAGES],
                                                 "partner_ids": _partner_list(partner_ids)}, build)


def deals_registered_by(windows: list[tuple[int, int, datetime, datetime]]) -> dict[int, int]:
    """key → deals registered by the user from `since` to `until` (both included), for each
    (key, user id, since, until); a deal counts once per key. One statement."""
    if not windows:
        return {}
    keys, users, since, until = (list(column) for column in zip(*windows, strict=True))
    return dict(fetch_rows("""
        SELECT w.key, count(DISTINCT d.id)
          FROM unnest(%(keys)s::bigint[], %(users)s::bigint[], %(since)s::timestamptz[], %(until)s::timestamptz[])
               AS w(key, user_id, since, until)
          JOIN deals_dealregistration d ON d.registered_by_id = w.user_id
           AND d.registered_at >= w.since AND d.registered_at <= w.until
         GROUP BY w.key""", {"keys": keys, "users": users, "since": since, "until": until}))


def lifecycle_dates(partner_ids) -> dict[int, tuple[datetime | None, datetime | None, date | None]]:
    """partner id → (first registration, latest registration, first win day): the deal facts of the partners'
    lifecycle stages (partners.lifecycle). Rejected registrations never count. One GROUP BY."""
    from django.db.models import Max, Min

    rows = (DealRegistration.objects.filter(_partner_scope(partner_ids)).exclude(stage=Stage.REJECTED)
            .order_by().values("partner_id").annotate(first=Min("registered_at"), last=Max("registered_at"),
                                                      won=Min("won_on", filter=Q(stage=Stage.WON))))
    return {row["partner_id"]: (row["first"], row["last"], row["won"]) for row in rows}
