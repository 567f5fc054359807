"""Reads for the webhook pages: one query per list, with what each row shows."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet

from partners.models import Partner
from prm.params import MAX_ID
from webhooks.models import Attempt, Delivery, Endpoint

LOG_ROWS = 100


def endpoints_of(partner: Partner | None) -> QuerySet[Endpoint]:
    """A vendor's endpoints (partner None) or one partner's, with their waiting and failed counts."""
    return (Endpoint.objects.filter(partner=partner)
            .annotate(pending=Count("deliveries", filter=Q(deliveries__state=Delivery.State.PENDING)),
                      failed=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED)),
                      last_delivery=Max("deliveries__created_at"))
            .order_by("id"))


def endpoint_of(partner: Partner | None, pk: int) -> Endpoint | None:
    """The endpoint, if it belongs to this owner: the one access check for every webhook page."""
    if not 0 < pk <= MAX_ID:
        return None
    return Endpoint.objects.filter(partner=partner, pk=pk).first()


def deliveries_of(endpoint: Endpoint, *, state: str = "") -> list[Delivery]:
    rows = Delivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-event_id")
    if state:
        rows = rows.filter(state=state)
    return list(rows[:LOG_ROWS])


def delivery_of(endpoint: Endpoint, pk: int) -> Delivery | None:
    if not 0 < pk <= MAX_ID:
        return None
    return Delivery.objects.filter(endpoint=endpoint, pk=pk).select_related("event", "endpoint").first()


def attempts_of(delivery: Delivery) -> list[Attempt]:
    return list(Attempt.objects.filter(delivery=delivery).order_by("-number")[:LOG_ROWS])
