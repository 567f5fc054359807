"""Per-request reads of the deals tables for the portal and the API: a partner's own deal, the API's list
querysets (each scoped to a partner key's own partner; the caller orders and pages them) and the products a
payload names. A record of another partner reads as None, the same as one that does not exist. And deals as the
other apps look them up: one deal with its partner, the deals a set of people registered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from deals.models import DealRegistration, DirectAccount, Lead, LeadOffer, Product
from partners.models import Partner


def deal_for_partner(pk: int, *, partner: Partner) -> DealRegistration | None:
    """One of the partner's own deals, with who registered it."""
    return DealRegistration.objects.select_related("registered_by").filter(pk=pk, partner=partner).first()


def active_products(product_ids: Iterable[int]) -> list[Product]:
    """The active products among these ids; fewer than asked for means one is unknown or retired."""
    return list(Product.objects.filter(is_active=True, pk__in=list(product_ids)))


def _with_external_id(qs: QuerySet, external_id: tuple[str, str] | None) -> QuerySet:
    return qs if external_id is None else qs.filter(external_ids__contains={external_id[0]: external_id[1]})


def deals_for_sync(*, partner_id: int | None = None, stage: str | None = None, listed_partner_id: int | None = None,
                   external_id: tuple[str, str] | None = None) -> QuerySet[DealRegistration]:
    """Deal registrations as an outside system syncs them, with their products: the vendor's (`partner_id`
    None), or a partner key's own. `listed_partner_id` narrows the list to one partner's (a filter of the
    list, on top of the key's scope); `external_id` (source, id) finds the one a CRM knows."""
    qs = DealRegistration.objects.prefetch_related("products")
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    if stage:
        qs = qs.filter(stage=stage)
    if listed_partner_id:
        qs = qs.filter(partner_id=listed_partner_id)
    return _with_external_id(qs, external_id)


def deal_for_sync(pk: int, *, partner_id: int | None = None) -> DealRegistration | None:
    return deals_for_sync(partner_id=partner_id).filter(pk=pk).first()


def direct_accounts_for_sync(*, external_id: tuple[str, str] | None = None) -> QuerySet[DirectAccount]:
    """The vendor's direct-sales accounts with their owners and opportunities, for its CRM."""
    return _with_external_id(DirectAccount.objects.select_related("owner").prefetch_related("opportunities"),
                             external_id)


def direct_account_for_sync(pk: int) -> DirectAccount | None:
    return direct_accounts_for_sync().filter(pk=pk).first()


def leads_for_sync(*, external_id: tuple[str, str] | None = None) -> QuerySet[Lead]:
    """The vendor's leads with their products, offers and the deal an accepted one became."""
    return _with_external_id(Lead.objects.prefetch_related("products", "offers").select_related("deal"), external_id)


def lead_for_sync(pk: int) -> Lead | None:
    return leads_for_sync().filter(pk=pk).first()


def _offers_to(partner_id: int) -> QuerySet[LeadOffer]:
    return LeadOffer.objects.filter(partner_id=partner_id).select_related("lead", "lead__deal")


def lead_offers_for_partner(*, partner_id: int, status: str | None = None) -> QuerySet[LeadOffer]:
    """The lead offers made to a partner, with their leads and the deals accepted ones became, each annotated
    with `changed_at`: the last change it records (its answer, else when it was made), which the API's list is
    ordered and paged by."""
    qs = _offers_to(partner_id).annotate(changed_at=Coalesce("responded_at", "offered_at"))
    return qs.filter(status=status) if status else qs


def lead_offer_for_partner(pk: int, *, partner_id: int) -> LeadOffer | None:
    """One of the offers made to the partner, with its lead and the deal it became."""
    return _offers_to(partner_id).filter(pk=pk).first()


def deal_with_partner(deal_id: int) -> DealRegistration | None:
    """The deal with its partner loaded, or None when there is no deal with this number."""
    return DealRegistration.objects.select_related("partner").filter(pk=deal_id).first()


def deals_registered_by_users(user_ids: Iterable[int] | QuerySet, *, since: datetime, until: datetime
                              ) -> list[DealRegistration]:
    """The deals any of the users registered from `since` to `until` (both included), oldest first, each with
    its partner and the person who registered it. `user_ids` may be a queryset selecting the ids (one
    statement)."""
    users = user_ids if isinstance(user_ids, QuerySet) else list(user_ids)
    return list(DealRegistration.objects.filter(registered_by__in=users, registered_at__range=(since, until))
                .select_related("partner", "registered_by").order_by("registered_at", "pk"))
