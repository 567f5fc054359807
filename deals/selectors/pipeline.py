"""The console pipeline: deal registrations under the manager's filters, their totals by stage and by partner.

Every filter is a condition of one SQL statement: the customer by the search key's indexes (partners.search:
ｻｸﾗ, さくら, サクラ and 株式会社サクラ are one key), a partner named like a text through the partners' own index
(partners.selectors.partner_ids_named), the channel manager who owns the partner through partners' subquery; the
page, the stage totals and the partner table read the same conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise

from deals.models import OPEN_STAGES, DealRegistration, Stage
from partners import selectors as partner_selectors
from partners.search import containing, search_query

DATE_FIELDS = ("registered_from", "registered_to", "close_from", "close_to")


@dataclass(frozen=True)
class PipelineFilters:
    """What the manager narrowed the pipeline to; empty values narrow nothing."""

    customer: str = ""  # as typed: read by the search's key
    partner_id: int | None = None
    partner_name: str = ""  # as typed: partners whose name contains it
    owner_id: int | None = None  # the channel manager who owns the partner
    stages: tuple[str, ...] = field(default_factory=tuple)
    registered_from: date | None = None
    registered_to: date | None = None  # inclusive, in the vendor's time zone
    close_from: date | None = None
    close_to: date | None = None

    def as_params(self) -> dict:
        """JSON-serialisable, for a queued export (from_params reads it back)."""
        params = asdict(self)
        params["stages"] = list(self.stages)
        params.update({name: value.isoformat() for name in DATE_FIELDS if (value := getattr(self, name))})
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PipelineFilters:
        values: dict[str, Any] = {name: params[name] for name in cls.__dataclass_fields__ if name in params}
        values["stages"] = tuple(stage for stage in values.get("stages") or () if stage in Stage.values)
        values.update({name: date.fromisoformat(text) for name in DATE_FIELDS if (text := values.get(name))})
        return cls(**values)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(filters: PipelineFilters, *, stages: bool = True) -> QuerySet[DealRegistration]:
    deals = DealRegistration.objects.all()
    if filters.customer:
        deals = containing(deals, search_query(filters.customer))
    if filters.partner_id is not None:
        deals = deals.filter(partner_id=filters.partner_id)
    if filters.partner_name:
        deals = deals.filter(partner_id__in=partner_selectors.partner_ids_named(search_query(filters.partner_name)))
    if filters.owner_id is not None:
        deals = deals.filter(partner_id__in=partner_selectors.partner_ids_owned_by(user_id=filters.owner_id))
    if stages and filters.stages:
        deals = deals.filter(stage__in=filters.stages)
    if filters.registered_from:
        deals = deals.filter(registered_at__gte=_day_start(filters.registered_from))
    if filters.registered_to:
        deals = deals.filter(registered_at__lt=_day_start(filters.registered_to + timedelta(days=1)))
    if filters.close_from:
        deals = deals.filter(expected_close__gte=filters.close_from)
    if filters.close_to:
        deals = deals.filter(expected_close__lte=filters.close_to)
    return deals


def pipeline_deals(filters: PipelineFilters) -> QuerySet[DealRegistration]:
    """The registrations under the filters, newest first, with their partner, its owner and who registered."""
    return (_filtered(filters).select_related("partner", "partner__owner", "registered_by")
            .order_by("-registered_at", "-pk"))


@dataclass(frozen=True)
class StageTotal:
    stage: str
    label: str | Promise  # a lazy translation
    count: int
    amount: int


def pipeline_summary(*, partner=None, filters: PipelineFilters | None = None) -> list[StageTotal]:
    """Count and amount of every stage (confirmed won amounts for wins, reported ones for wins waiting), of one
    partner's registrations or of those under `filters` but their stages: the stage cards choose the stages."""
    if filters is None:
        filters = PipelineFilters(partner_id=partner.pk if partner is not None else None)
    rows = {r["stage"]: r for r in _filtered(filters, stages=False).order_by().values("stage").annotate(
        n=Count("pk"), total=Sum("amount"), won=Sum("won_amount"), reported=Sum("reported_won_amount"))}
    result = []
    for stage, label in Stage.choices:
        row = rows.get(stage, {"n": 0, "total": 0, "won": 0, "reported": 0})
        amounts: dict[str, int | None] = {Stage.WON: row["won"], Stage.WON_PENDING: row["reported"]}
        amount = amounts.get(stage, row["total"])
        result.append(StageTotal(stage, label, row["n"], amount or 0))
    return result


def pipeline_by_partner(filters: PipelineFilters | None = None) -> QuerySet[DealRegistration, Mapping[str, Any]]:
    """Every partner with open or won deals (under the filters but their stages), one row each (partner_id,
    partner_name, open_count, open_amount, won_count, won_amount), most won first; a partner without a win sorts
    first (NULL is highest). One GROUP BY over the deals, the partner's name through the deal's foreign key."""
    is_open, is_won = Q(stage__in=OPEN_STAGES), Q(stage=Stage.WON)
    return (
        _filtered(filters or PipelineFilters(), stages=False).filter(is_open | is_won)
        .values("partner_id", partner_name=F("partner__name"))
        .annotate(open_count=Count("pk", filter=is_open), open_amount=Sum("amount", filter=is_open),
                  won_count=Count("pk", filter=is_won), won_amount=Sum("won_amount", filter=is_won))
        .order_by("-won_amount", "-open_amount", "partner__name_kana")
    )
