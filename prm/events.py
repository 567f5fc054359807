"""Business events, published through the transactional outbox (prm.outbox).

Domain services call `publish` inside their own transaction when something a vendor's other
systems care about happens (a deal approved, a payout paid). The row is written with the change
and a dispatch task is queued once the transaction commits; a periodic sweep picks up any row
whose queueing was lost (a broker hiccup after commit), so every committed event goes out at
least once. The platform layer stays below the domain apps: it knows event names and rows, and
the webhooks app (above every domain app) is the consumer, reached by task name only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from prm.after_commit import send_after_commit
from prm.reads import ModelRows

# Every event a vendor or a partner can subscribe to, in the order of the subscription form.
CATALOGUE: dict[str, Promise] = {
    "partner.created": _("Partner created"),
    "partner.updated": _("Partner updated"),
    "partner.tier_changed": _("Partner tier changed"),
    "partner.health_band_changed": _("Partner health band changed"),
    "deal.registered": _("Deal registered"),
    "deal.approved": _("Deal approved"),
    "deal.rejected": _("Deal rejected"),
    "deal.won": _("Deal won"),
    "deal.lost": _("Deal lost"),
    "deal.cancelled": _("Deal cancelled"),
    "deal.expired": _("Deal expired"),
    "lead.offered": _("Lead offered"),
    "lead.accepted": _("Lead accepted"),
    "lead.declined": _("Lead declined"),
    "payout.approved": _("Payout approved"),
    "payout.paid": _("Payout paid"),
    "certification.earned": _("Certification earned"),
}
# Sent on request to one endpoint only (the "send a test event" button); nobody subscribes to it.
TEST_EVENT = "webhook.test"


@dataclass(frozen=True)
class Event:
    type: str
    object_type: str
    object_id: int | str
    partner_id: int | None = None
    data: dict = field(default_factory=dict)
    occurred_at: datetime | None = None  # when the change happened; the time of the insert if not given


def publish(event_type: str, *, object_type: str, object_id: int | str, partner_id: int | None = None,
            data: dict) -> None:
    """Record one event in the caller's transaction; it is dispatched after commit (never if it rolls back)."""
    publish_many([Event(event_type, object_type, object_id, partner_id, data)])


def publish_many(events: list[Event]) -> None:
    """`publish` for a batch (a nightly recalculation): one insert per thousand rows, one dispatch."""
    if not events:
        return
    unknown = {event.type for event in events} - set(CATALOGUE) - {TEST_EVENT}
    if unknown:
        raise ValueError(f"unknown event types: {sorted(unknown)}")
    held = _held.get()
    if held is not None:
        now = timezone.now()  # held as they are now, written in this order when the `collected` block ends
        held.extend(replace(event, data=_plain(event.data), occurred_at=event.occurred_at or now) for event in events)
        return
    _write(events)


# The events held by the innermost `collected` block of this thread (None outside one).
_held: ContextVar[list[Event] | None] = ContextVar("kyoso_events_held", default=None)


@contextmanager
def collected() -> Iterator[None]:
    """Hold every event published inside the block and write them all with one `publish_many` as it ends.

    For a loop that calls a service per object (a CSV import of a thousand partners): the services keep
    publishing their own events, and the loop costs one insert per thousand events instead of one per
    event, in the order they were published (so per object too). Open it inside the transaction that makes
    the changes. An exception leaving the block drops what it held, as that transaction rolls back; the block
    must therefore let the errors of its inner writes out (a savepoint rolled back and swallowed inside it
    would leave that savepoint's events held). A block inside another adds its events to the outer one.
    """
    if _held.get() is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("events.collected() must run inside the transaction that makes the changes")
    held: list[Event] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    publish_many(held)


@cache
def _outbox_rows() -> ModelRows:
    from prm.outbox.models import OutboxEvent

    return ModelRows(OutboxEvent)


def _write(events: list[Event]) -> None:
    from prm.outbox.models import OutboxEvent

    now = timezone.now()
    _outbox_rows().insert([
        OutboxEvent(type=event.type, object_type=event.object_type, object_id=str(event.object_id),
                    partner_id=event.partner_id, data=_plain(event.data), occurred_at=event.occurred_at or now)
        for event in events])
    # One dispatch after commit takes every row of the transaction (a seeding run publishes thousands): the send
    # is asked for again with each write and queued once (prm.after_commit).
    schema = connection.schema_name
    send_after_commit(settings.KYOSO_OUTBOX_DISPATCH_TASK, {"schema_name": schema}, schema=schema,
                      queue=settings.KYOSO_WEBHOOK_QUEUE or None, once_per_transaction=True)


def _plain(value):
    """JSON-ready: dates as ISO 8601 (datetimes with their offset), yen and other decimals as integers when whole."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


def external_ids(instance) -> dict:
    """The ids other systems gave this record (where the model keeps them), else {}."""
    value = getattr(instance, "external_ids", None)
    return dict(value) if isinstance(value, dict) else {}


def label(event_type: str) -> str:
    return str(CATALOGUE.get(event_type, event_type))
