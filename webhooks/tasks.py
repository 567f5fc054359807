"""Webhook work on the worker: new outbox rows fanned out, each endpoint drained, the minute's sweep."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from prm.tasks import require_schema

# A retry due later than this is left to the minute's sweep rather than held as a delayed message
# (Redis redelivers delayed messages after its visibility timeout).
FOLLOW_UP_SECONDS = 15 * 60


def _queue(task) -> str | None:
    """The queue this task came from, so follow-ups stay on it (a test's own worker, a dedicated queue)."""
    info = getattr(task.request, "delivery_info", None) or {}
    return info.get("routing_key") or settings.KYOSO_WEBHOOK_QUEUE or None


@shared_task(bind=True, name="webhooks.tasks.events_dispatch", time_limit=300, acks_late=True)
def events_dispatch(self, schema_name: str) -> int:
    """After a commit that published events: make their deliveries and drain the endpoints concerned."""
    from webhooks import services

    require_schema(schema_name)
    touched = services.events_fan_out()
    for endpoint_id in sorted(touched):
        services.drain_soon(endpoint_id, queue=_queue(self))
    return len(touched)


def _follow_up_key(endpoint_id: int) -> str:
    return f"webhooks:follow-up:{endpoint_id}"


@shared_task(bind=True, name="webhooks.tasks.endpoint_deliver", time_limit=1800, soft_time_limit=1700, acks_late=True)
def endpoint_deliver(self, schema_name: str, endpoint_id: int, follow_up: bool = False) -> dict:
    """Send what is due for one endpoint; idempotent (a delivered row is never sent again, a busy endpoint
    is left to the worker holding it). Queues one follow-up for the next retry when it is soon: at most
    one waits per endpoint (a cache key, per tenant), however many drains ran meanwhile."""
    from webhooks import services

    require_schema(schema_name)
    if follow_up:
        cache.delete(_follow_up_key(endpoint_id))
    result = services.endpoint_drain(endpoint_id=endpoint_id)
    if not result.busy and result.next_due is not None:
        wait = max((result.next_due - timezone.now()).total_seconds(), 0.2)
        if wait <= FOLLOW_UP_SECONDS and cache.add(_follow_up_key(endpoint_id), 1, timeout=int(wait) + 60):
            services.drain_soon(endpoint_id, countdown=wait, queue=_queue(self), follow_up=True)
    return {"busy": result.busy, "sent": result.sent, "failed": result.failed}


@shared_task(bind=True, name="webhooks.tasks.webhooks_sweep", time_limit=300)
def webhooks_sweep(self, schema_name: str) -> dict:
    """Every minute: outbox rows whose dispatch was never queued, and retries that came due."""
    from webhooks import services

    require_schema(schema_name)
    services.events_fan_out()
    due = services.endpoints_due()
    for endpoint_id in due:
        services.drain_soon(endpoint_id, queue=_queue(self))
    return {"endpoints": len(due)}
