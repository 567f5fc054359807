"""Deals as the other apps look them up: one deal with its partner, the deals a set of people registered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from deals.models import DealRegistration


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
