"""Account mapping reads. Every function that returns company names takes the viewer's side and
checks the other side's sharing level itself, so no view can show more than was shared:

- a partner sees the overlap of its own lists only, and names only where the vendor shares them;
- the vendor sees counts for every partner, and a partner's company names only where that
  partner shares them; never a partner's records that do not overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Least

from deals import segments
from deals import selectors as deal_selectors
from mapping.models import (
    CustomerList,
    CustomerRecord,
    ListUpload,
    OverlapMatch,
    OverlapSnapshot,
    PartnerPopulation,
    Sharing,
    SharingSetting,
    VendorPopulation,
)
from mapping.overlap import MATCHED_IDS, sql_of, vendor_population_sql
from partners import japan
from partners.models import Partner
from partners.selectors import partners_by_name
from prm.accounts.models import STAFF_ROLES

VENDOR, PARTNER = "vendor", "partner"
MIN_SAMPLE = 5  # closed deals a segment needs before it can be a winning condition
TARGET_LIST_SCORE = 3  # a record on the vendor's target list outranks any one condition


def lists_of(partner: Partner | None) -> QuerySet[CustomerList]:
    return CustomerList.objects.filter(partner=partner).select_related("uploaded_by")


def list_of(partner: Partner | None, pk: int) -> CustomerList | None:
    return CustomerList.objects.filter(partner=partner, pk=pk).first()


def upload_of(partner: Partner | None, pk: int) -> ListUpload | None:
    return ListUpload.objects.filter(partner=partner, pk=pk).first()


def sharing_levels(partner: Partner | None) -> dict[str, str]:
    """Population → level for one side (partner None: the vendor); unset means counts only."""
    populations = PartnerPopulation.values if partner is not None else VendorPopulation.values
    chosen = dict(SharingSetting.objects.filter(partner=partner).values_list("population", "level"))
    return {population: chosen.get(population, Sharing.COUNTS) for population in populations}


# --------------------------------------------------------------------------- matrix


@dataclass
class Cell:
    vendor_population: str
    partner_population: str
    count: int
    names_visible: bool


@dataclass
class Matrix:
    partner: Partner
    snapshot: OverlapSnapshot | None
    rows: list[tuple[str, str, list[Cell]]] = field(default_factory=list)  # (vendor population, label, cells)
    columns: list[tuple[str, str, int | None]] = field(default_factory=list)  # (population, label, list size)
    trend: list[OverlapSnapshot] = field(default_factory=list)


def names_visible(*, viewer: str, partner: Partner, vendor_population: str, partner_population: str,
                  vendor_levels: dict | None = None, partner_levels: dict | None = None) -> bool:
    """Company names of one cell: the viewer sees them only where the other side shares them."""
    if viewer == PARTNER:
        levels = vendor_levels if vendor_levels is not None else sharing_levels(None)
        return levels.get(vendor_population) == Sharing.NAMES
    levels = partner_levels if partner_levels is not None else sharing_levels(partner)
    return levels.get(partner_population) == Sharing.NAMES


def overlap_matrix(*, partner: Partner, viewer: str, trend_points: int = 12) -> Matrix:
    snapshots = list(OverlapSnapshot.objects.filter(partner=partner)[:trend_points])
    snapshot = snapshots[0] if snapshots else None
    matrix = Matrix(partner=partner, snapshot=snapshot, trend=list(reversed(snapshots)))
    sizes = dict(CustomerList.objects.filter(partner=partner).values_list("population", "row_count"))
    matrix.columns = [(value, str(label), sizes.get(value)) for value, label in PartnerPopulation.choices]
    vendor_levels, partner_levels = sharing_levels(None), sharing_levels(partner)
    cells = snapshot.cells if snapshot else {}
    for vendor_value, vendor_label in VendorPopulation.choices:
        matrix.rows.append((vendor_value, str(vendor_label), [
            Cell(vendor_value, own, cells.get(f"{vendor_value}:{own}", 0),
                 names_visible(viewer=viewer, partner=partner, vendor_population=vendor_value, partner_population=own,
                               vendor_levels=vendor_levels, partner_levels=partner_levels))
            for own, _label, _size in matrix.columns]))
    return matrix


def trend_series(matrix: Matrix) -> list[dict]:
    """Per snapshot: when, and the overlap of the partner's customers with each vendor population."""
    return [{"at": snapshot.computed_at,
             "values": [snapshot.cells.get(f"{value}:{PartnerPopulation.CUSTOMERS}", 0) for value in VendorPopulation.values]}
            for snapshot in matrix.trend]


def overlap_names(*, partner: Partner, viewer: str, vendor_population: str, partner_population: str
                  ) -> QuerySet[CustomerRecord] | None:
    """The partner's records in one cell, or None when the other side shares counts only.
    Only records that overlap: a query on this partner's matches, never its whole list."""
    if vendor_population not in VendorPopulation.values or partner_population not in PartnerPopulation.values:
        return None
    if not names_visible(viewer=viewer, partner=partner, vendor_population=vendor_population,
                         partner_population=partner_population):
        return None
    return CustomerRecord.objects.filter(
        matches__partner=partner, matches__vendor_population=vendor_population,
        customer_list__partner=partner, customer_list__population=partner_population,
    ).order_by("customer_name", "pk")


def partners_overview() -> list[dict]:
    """Console: every partner with a list, its latest counts."""
    latest: dict[int, OverlapSnapshot] = {}
    for found in OverlapSnapshot.objects.order_by("partner_id", "-computed_at", "-id").distinct("partner_id"):
        latest[found.partner_id] = found
    partners = partners_by_name(CustomerList.objects.values("partner_id"))
    rows = []
    for partner in partners:
        snapshot = latest.get(partner.pk)
        cells = snapshot.cells if snapshot else {}
        rows.append({"partner": partner, "snapshot": snapshot,
                     "size": sum((snapshot.sizes if snapshot else {}).values()),
                     "counts": [sum(count for key, count in cells.items() if key.startswith(f"{value}:"))
                                for value in VendorPopulation.values]})
    return rows


# --------------------------------------------------------------------------- winning-customer conditions


@dataclass
class Conditions:
    total: deal_selectors.Segment
    by_dimension: dict[str, list[deal_selectors.Segment]]
    winning: dict[str, set[str]]  # dimension → values that are winning conditions

    def label(self, dimension: str, value: str) -> str:
        return segment_label(dimension, value)


def segment_label(dimension: str, value: str) -> str:
    if dimension == "industry":
        return segments.industry_label(value)
    if dimension == "employee_band":
        return str(segments.EmployeeBand(value).label) if value in segments.EmployeeBand.values else value
    if dimension == "prefecture":
        return japan.prefecture_name(value)
    return value


def winning_conditions() -> Conditions:
    """A segment is a winning condition when at least MIN_SAMPLE deals in it closed and it wins at
    least as often as the vendor's deals overall (and at all)."""
    total = deal_selectors.win_totals()
    by_dimension = {dimension: deal_selectors.win_segments(dimension) for dimension in deal_selectors.SEGMENT_DIMENSIONS}
    winning = {dimension: {s.value for s in rows if s.closed >= MIN_SAMPLE and s.won and s.win_rate >= total.win_rate}
               for dimension, rows in by_dimension.items()}
    return Conditions(total, by_dimension, winning)


# --------------------------------------------------------------------------- target lists


@dataclass
class Target:
    record: CustomerRecord
    score: int
    on_target_list: bool
    reasons: list[str]


def _target_sql(partner: Partner, conditions: Conditions) -> tuple[str, list]:
    """The partner's records that fit a winning condition or are on the vendor's target list
    (where the vendor shares it), minus vendor customers (direct accounts, won deals: this
    partner's latest matches) and minus customers another partner has open registrations for
    (live). Scored in SQL."""
    p_sql, p_params = sql_of(CustomerRecord.objects.filter(customer_list__partner=partner).order_by().values(
        "id", "customer_name", "name_key", "corporate_key", "domain_key", "industry", "employee_band", "prefecture"))
    v_sql, v_params = vendor_population_sql("open", exclude_partner=partner)
    targets_shared = sharing_levels(None)[VendorPopulation.TARGETS] == Sharing.NAMES
    industries = sorted(conditions.winning["industry"]) or [""]
    bands = sorted(conditions.winning["employee_band"]) or [""]
    prefectures = sorted(conditions.winning["prefecture"]) or [""]
    sql = f"""
        WITH p AS ({p_sql}), v AS ({v_sql}), taken AS ({MATCHED_IDS}),
        scored AS (
            SELECT p.id,
                   (CASE WHEN %s AND EXISTS (SELECT 1 FROM mapping_overlapmatch t
                                              WHERE t.record_id = p.id AND t.vendor_population = 'targets')
                         THEN {TARGET_LIST_SCORE} ELSE 0 END) AS target_score,
                   (CASE WHEN p.industry <> '' AND p.industry = ANY(%s) THEN 1 ELSE 0 END) AS fit_industry,
                   (CASE WHEN p.employee_band <> '' AND p.employee_band = ANY(%s) THEN 1 ELSE 0 END) AS fit_band,
                   (CASE WHEN p.prefecture <> '' AND p.prefecture = ANY(%s) THEN 1 ELSE 0 END) AS fit_prefecture,
                   p.customer_name
              FROM p
             WHERE p.id NOT IN (SELECT id FROM taken)
               AND NOT EXISTS (SELECT 1 FROM mapping_overlapmatch c
                                WHERE c.record_id = p.id AND c.vendor_population IN ('direct', 'won'))
        )
        SELECT id, target_score + fit_industry + fit_band + fit_prefecture AS score,
               target_score > 0, fit_industry, fit_band, fit_prefecture
          FROM scored
         WHERE target_score + fit_industry + fit_band + fit_prefecture > 0
    """
    return sql, [*p_params, *v_params, targets_shared, industries, bands, prefectures]


def target_list(*, partner: Partner, limit: int = 100, offset: int = 0) -> tuple[list[Target], int]:
    """(one page of targets ranked best first, how many targets in all)."""
    conditions = winning_conditions()
    sql, params = _target_sql(partner, conditions)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) t", params)
        total = cursor.fetchone()[0]
        cursor.execute(f"SELECT t.* FROM ({sql}) t JOIN mapping_customerrecord r ON r.id = t.id "
                       f"ORDER BY t.score DESC, r.customer_name, r.id LIMIT %s OFFSET %s", [*params, limit, offset])
        rows = cursor.fetchall()
    records = CustomerRecord.objects.in_bulk([row[0] for row in rows])
    targets = []
    for record_id, score, on_list, fit_industry, fit_band, fit_prefecture in rows:
        record = records[record_id]
        reasons = []
        if on_list:
            reasons.append(str(VendorPopulation.TARGETS.label))
        for fits, dimension, value in ((fit_industry, "industry", record.industry),
                                       (fit_band, "employee_band", record.employee_band),
                                       (fit_prefecture, "prefecture", record.prefecture)):
            if fits:
                reasons.append(segment_label(dimension, value))
        targets.append(Target(record, score, bool(on_list), reasons))
    return targets, total


def target_record(*, partner: Partner, pk: int) -> CustomerRecord | None:
    return CustomerRecord.objects.filter(pk=pk, customer_list__partner=partner).first()


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Affinity:
    records: int
    in_market: int

    @property
    def share(self) -> float:
        return self.in_market / self.records if self.records else 0.0

    @property
    def score(self) -> int:
        """0–5 like the hand-typed scores: one point per started 10 % of the list in the target
        market. Integer arithmetic, as in customer_affinity_expression, so the two never differ."""
        return min(5, -(-self.in_market * 10 // self.records)) if self.records else 0


def _in_market(winning: dict[str, set[str]]) -> Q:
    """A customer record in the vendor's target market: on the target list, a won customer, or
    fitting a winning condition. Evaluated on CustomerRecord rows."""
    fits = Q(Exists(OverlapMatch.objects.filter(record=OuterRef("pk"),
                                                vendor_population__in=[VendorPopulation.TARGETS, VendorPopulation.WON])))
    for dimension in ("industry", "employee_band", "prefecture"):
        if winning[dimension]:
            fits |= Q(**{f"{dimension}__in": sorted(winning[dimension])}) & ~Q(**{dimension: ""})
    return fits


def _affinity_counts(winning: dict[str, set[str]]) -> QuerySet:
    """Per partner with a customer list: its records and how many are in the target market."""
    return (CustomerRecord.objects.filter(customer_list__population=PartnerPopulation.CUSTOMERS,
                                          customer_list__partner__isnull=False)
            .order_by().values("customer_list__partner_id")
            .annotate(total=Count("pk"), in_market=Count("pk", filter=_in_market(winning))))


def customer_affinities(partner_ids: list[int]) -> dict[int, Affinity]:
    """Per partner: how many of its listed customers are in the vendor's target market. One
    GROUP BY for the page."""
    if not partner_ids:
        return {}
    rows = _affinity_counts(winning_conditions().winning).filter(customer_list__partner_id__in=list(partner_ids))
    return {row["customer_list__partner_id"]: Affinity(row["total"], row["in_market"]) for row in rows}


def customer_affinity_scores(partner_ids: list[int]) -> dict[int, int]:
    """Partner id → computed customer affinity 0–5; partners without a customer list are absent."""
    return {partner_id: affinity.score for partner_id, affinity in customer_affinities(partner_ids).items()}


def customer_affinity_expression(partner_ref: str = "pk") -> Subquery:
    """The computed affinity as a subquery on a Partner queryset (NULL without a customer list),
    for the prospect ranking: the SQL twin of Affinity.score."""
    counts = _affinity_counts(winning_conditions().winning).filter(customer_list__partner_id=OuterRef(partner_ref))
    score = Least(Value(5), (F("in_market") * 10 + F("total") - 1) / F("total"), output_field=IntegerField())
    return Subquery(counts.annotate(score=score).values("score")[:1], output_field=IntegerField())


def partners_serving(name_key: str, corporate_key: str, domain_key: str) -> set[int]:
    """Ids of the partners whose uploaded customer list contains this customer, by the one
    matcher's rule on the stored keys (deals.matching.same_customer, as overlap.MATCHED_IDS):
    equal corporate numbers when both have one, otherwise an equal name key or domain key."""
    by_name_or_domain = Q(pk__in=[])
    if name_key:
        by_name_or_domain |= Q(name_key=name_key)
    if domain_key:
        by_name_or_domain |= Q(domain_key=domain_key)
    if corporate_key:
        match = Q(corporate_key=corporate_key) | (Q(corporate_key="") & by_name_or_domain)
    else:
        match = by_name_or_domain
    return set(CustomerRecord.objects.filter(match, customer_list__population=PartnerPopulation.CUSTOMERS,
                                             customer_list__partner__isnull=False)
               .order_by().values_list("customer_list__partner_id", flat=True).distinct())


def staff_upload(pk: int) -> ListUpload | None:
    """Console: an upload made by the vendor's staff. A partner's own pending upload is its whole
    list, overlapping or not, so the console never opens it."""
    return ListUpload.objects.filter(pk=pk, uploaded_by__role__in=STAFF_ROLES).select_related("partner").first()


def any_list(pk: int) -> CustomerList | None:
    return CustomerList.objects.filter(pk=pk).first()
