"""Webhook rules: who manages which endpoint, what a valid endpoint is, and how events reach it.

Delivery is at least once and in order per object: each endpoint's pending deliveries are sent by
one worker at a time (a session advisory lock per endpoint), always the earliest pending delivery
of each object first, so an object's later event waits until its earlier one succeeded or was
given up. A failed attempt is retried on the back-off schedule (KYOSO_WEBHOOK_RETRY_SECONDS, about
24 hours); after the last one, or after too many failures in a row, the endpoint is disabled and
the people who manage it are told.
"""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.access import require_partner_member, require_vendor_staff
from partners.models import Partner
from prm import events, locks
from prm import messages as msg
from prm.accounts.models import Role, User
from prm.notifications.services import notify
from prm.outbox.models import OutboxEvent
from prm.tenancy.urls import reverse_path
from webhooks import signing
from webhooks.models import MAX_URL_LENGTH, Attempt, Delivery, Endpoint
from webhooks.transport import Response, Sender

MAX_ENDPOINTS = 20  # per vendor, and per partner
ROTATION_OVERLAP = timedelta(hours=24)
BATCH = 200


# --------------------------------------------------------------------------- who may manage an endpoint


def require_manager(actor: User, *, partner: Partner | None) -> None:
    """Vendor endpoints: vendor admins. A partner's endpoints: that partner's admins."""
    if partner is None:
        require_vendor_staff(actor, admin=True)
    else:
        require_partner_member(actor, partner, admin=True)


# --------------------------------------------------------------------------- what a valid endpoint is


def clean_url(url: str) -> str:
    """An absolute https URL (http to a loopback or private host only where private addresses are allowed),
    no credentials, no address that is private when they are not; errors name the field."""
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": _("Enter the URL that receives the webhooks.")})
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"url": _("Keep the URL to %(max)s characters.") % {"max": MAX_URL_LENGTH}})
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValidationError({"url": _("The URL cannot contain spaces or control characters.")})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError({"url": _("Enter a valid URL, such as https://example.com/webhooks.")}) from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.fragment:
        raise ValidationError({"url": _("Enter a valid URL, such as https://example.com/webhooks.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Leave user names and passwords out of the URL; the signature "
                                        "authenticates each message.")})
    if port == 0:
        raise ValidationError({"url": _("Enter a valid URL, such as https://example.com/webhooks.")})
    allow_private = settings.KYOSO_WEBHOOK_ALLOW_PRIVATE
    if parts.scheme == "http" and not allow_private:
        raise ValidationError({"url": _("Use an https:// URL.")})
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    local_name = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    if not allow_private and ((literal is not None and not literal.is_global) or local_name):
        raise ValidationError({"url": _("The address is private, loopback or reserved; webhooks go to "
                                        "public addresses only.")})
    return url


def clean_event_types(chosen, *, partner: Partner | None) -> list[str]:
    """A non-empty subset of the catalogue, in its order (a partner endpoint chooses from the same list;
    it only ever receives events of its own partner)."""
    chosen = list(chosen or [])
    if len(chosen) > len(events.CATALOGUE) or any(not isinstance(c, str) for c in chosen):
        raise ValidationError({"event_types": _("Choose events from the list.")})
    unknown = set(chosen) - set(events.CATALOGUE)
    if unknown:
        raise ValidationError({"event_types": _("Choose events from the list.")})
    if not chosen:
        raise ValidationError({"event_types": _("Choose at least one event.")})
    return [code for code in events.CATALOGUE if code in set(chosen)]


# --------------------------------------------------------------------------- managing endpoints


@dataclass(frozen=True)
class Created:
    endpoint: Endpoint
    secret: str  # shown once


@transaction.atomic
def endpoint_create(*, actor: User, partner: Partner | None, url: str, event_types: list[str],
                    description: str = "") -> Created:
    require_manager(actor, partner=partner)
    errors: dict[str, list[str]] = {}
    try:
        url = clean_url(url)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        event_types = clean_event_types(event_types, partner=partner)
    except ValidationError as error:
        errors.update(error.message_dict)
    if len(description) > 200:
        errors["description"] = [_("Keep the description to %(max)s characters.") % {"max": 200}]
    if errors:
        raise ValidationError(errors)
    locks.hold("webhooks.endpoints", partner.pk if partner else 0)
    if Endpoint.objects.filter(partner=partner).count() >= MAX_ENDPOINTS:
        raise ValidationError(_("You already have %(max)s endpoints, the most allowed. Remove one first.")
                              % {"max": MAX_ENDPOINTS})
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(partner=partner, url=url, event_types=event_types, description=description,
                                       secret=secret, created_by=actor)
    return Created(endpoint, secret)


@transaction.atomic
def endpoint_update(*, actor: User, endpoint: Endpoint, url: str, event_types: list[str],
                    description: str = "") -> Endpoint:
    require_manager(actor, partner=endpoint.partner)
    errors: dict[str, list[str]] = {}
    try:
        url = clean_url(url)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        event_types = clean_event_types(event_types, partner=endpoint.partner)
    except ValidationError as error:
        errors.update(error.message_dict)
    if len(description) > 200:
        errors["description"] = [_("Keep the description to %(max)s characters.") % {"max": 200}]
    if errors:
        raise ValidationError(errors)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.url, endpoint.event_types, endpoint.description = url, event_types, description
    endpoint.save(update_fields=["url", "event_types", "description"])
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: User, endpoint: Endpoint) -> None:
    require_manager(actor, partner=endpoint.partner)
    endpoint.delete()


@transaction.atomic
def endpoint_rotate_secret(*, actor: User, endpoint: Endpoint) -> str:
    """A new secret, returned once; the old one keeps signing beside it for 24 hours (several signatures
    per message, as Standard Webhooks allows), so the receiver can switch without a gap."""
    require_manager(actor, partner=endpoint.partner)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = signing.new_secret()
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, timezone.now() + ROTATION_OVERLAP
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return secret


def endpoint_set_enabled(*, actor: User, endpoint: Endpoint, enabled: bool) -> Endpoint:
    """Turn an endpoint off by hand, or back on: its waiting deliveries are then tried again at once."""
    require_manager(actor, partner=endpoint.partner)
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        if enabled:
            endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
            endpoint.consecutive_failures = 0
            Delivery.objects.filter(endpoint=endpoint, state=Delivery.State.PENDING).update(
                next_attempt_at=timezone.now(), attempts=0)
        else:
            endpoint.enabled, endpoint.disabled_at = False, timezone.now()
            endpoint.disabled_reason = _("Disabled by %(name)s.") % {"name": actor.get_full_name() or actor.email}
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "consecutive_failures"])
        if enabled:
            transaction.on_commit(lambda: drain_soon(endpoint.pk))
    return endpoint


def delivery_resend(*, actor: User, delivery: Delivery) -> Delivery:
    """Send a delivery again (delivered or given up): a new round of attempts, in its place in the order."""
    require_manager(actor, partner=delivery.endpoint.partner)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.state, delivery.attempts, delivery.next_attempt_at = Delivery.State.PENDING, 0, timezone.now()
        delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
        endpoint_id = delivery.endpoint_id
        transaction.on_commit(lambda: drain_soon(endpoint_id))
    return delivery


def endpoint_send_test(*, actor: User, endpoint: Endpoint) -> Delivery:
    """A `webhook.test` event for this endpoint only, through the same queue, signing and log as the rest."""
    require_manager(actor, partner=endpoint.partner)
    with transaction.atomic():
        event = OutboxEvent.objects.create(
            type=events.TEST_EVENT, object_type="endpoint", object_id=str(endpoint.pk), partner_id=endpoint.partner_id,
            data={"endpoint_id": endpoint.pk, "message": "This is a test event from Kyoso."},
            dispatched_at=timezone.now())
        delivery = Delivery.objects.create(endpoint=endpoint, event=event)
        transaction.on_commit(lambda: drain_soon(endpoint.pk))
    return delivery


# --------------------------------------------------------------------------- dispatch: outbox → deliveries


def _wants(endpoint: Endpoint, event: OutboxEvent) -> bool:
    """Only events published since the endpoint was made: a new endpoint never receives the backlog of
    rows that waited undispatched before it existed (a lost dispatch, a worker that was down)."""
    if event.occurred_at < endpoint.created_at:
        return False
    if event.type not in endpoint.event_types:
        return False
    return endpoint.partner_id is None or endpoint.partner_id == event.partner_id


def events_fan_out(*, limit: int = 1000) -> set[int]:
    """Turn new outbox rows into one delivery per interested endpoint; returns the endpoints to drain.

    Serialised per tenant (a transaction lock) so rows are taken in id order: an object's deliveries are
    created in the order of its events, which is the order the drain keeps."""
    touched: set[int] = set()
    while True:
        with transaction.atomic():
            locks.hold("webhooks.fan_out", 0)
            rows = list(OutboxEvent.objects.filter(dispatched_at__isnull=True).order_by("id")[:limit])
            if not rows:
                return touched
            endpoints = list(Endpoint.objects.filter(enabled=True))
            now = timezone.now()
            made = [Delivery(endpoint=endpoint, event=row, next_attempt_at=now, created_at=now)
                    for row in rows for endpoint in endpoints if _wants(endpoint, row)]
            Delivery.objects.bulk_create(made, batch_size=1000, ignore_conflicts=True)
            OutboxEvent.objects.filter(pk__in=[row.pk for row in rows]).update(dispatched_at=now)
            touched |= {delivery.endpoint_id for delivery in made}
        if len(rows) < limit:
            return touched


def drain_soon(endpoint_id: int, *, countdown: float = 0, queue: str | None = None, follow_up: bool = False) -> None:
    from django.db import connection

    from webhooks.tasks import endpoint_deliver

    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    endpoint_deliver.apply_async(kwargs={"schema_name": schema, "endpoint_id": endpoint_id, "follow_up": follow_up},
                                 countdown=countdown, queue=queue or settings.KYOSO_WEBHOOK_QUEUE or None,  # type: ignore[arg-type]  # None: the task's routed queue; celery-types wants a name
                                 headers={"_schema_name": schema})


def endpoints_due(now: datetime | None = None) -> list[int]:
    """Enabled endpoints with a delivery whose attempt is due (the sweep's safety net)."""
    now = now or timezone.now()
    return list(Endpoint.objects.filter(enabled=True, deliveries__state=Delivery.State.PENDING,
                                        deliveries__next_attempt_at__lte=now).values_list("pk", flat=True).distinct())


# --------------------------------------------------------------------------- delivering


def body_of(event: OutboxEvent) -> bytes:
    return json.dumps({"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data},
                      ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class DrainResult:
    busy: bool = False
    sent: int = 0
    failed: int = 0
    next_due: datetime | None = None


def _heads(endpoint: Endpoint, now: datetime) -> list[Delivery]:
    """The earliest pending delivery of each object, those due, in event order."""
    firsts = (Delivery.objects.filter(endpoint=endpoint, state=Delivery.State.PENDING)
              .order_by("event__object_type", "event__object_id", "event_id")
              .distinct("event__object_type", "event__object_id").values("pk"))
    return list(Delivery.objects.filter(pk__in=firsts, next_attempt_at__lte=now).select_related("event")
                .order_by("event_id")[:BATCH])


def endpoint_drain(*, endpoint_id: int, sender: Sender | None = None) -> DrainResult:
    """Send everything due for one endpoint, in order per object; one worker per endpoint at a time."""
    result = DrainResult()
    with locks.try_hold_session("webhooks.endpoint", endpoint_id) as taken:
        if not taken:
            result.busy = True
            return result
        own_sender = sender is None
        sender = sender or Sender()
        try:
            while True:
                endpoint = Endpoint.objects.filter(pk=endpoint_id, enabled=True).first()
                if endpoint is None:
                    return result
                due = _heads(endpoint, timezone.now())
                if not due:
                    break
                for delivery in due:
                    response = _send(endpoint, delivery, sender)
                    if response.ok:
                        result.sent += 1
                    else:
                        result.failed += 1
                        endpoint.refresh_from_db(fields=["enabled"])
                        if not endpoint.enabled:
                            return result
        finally:
            if own_sender:
                sender.close()
        result.next_due = Delivery.objects.filter(endpoint_id=endpoint_id, state=Delivery.State.PENDING).aggregate(
            at=Min("next_attempt_at"))["at"]
    return result


def _send(endpoint: Endpoint, delivery: Delivery, sender: Sender) -> Response:
    event = delivery.event
    body = body_of(event)
    headers = signing.headers(endpoint.signing_secrets(), event.message_id, int(time.time()), body)
    response = sender.post(endpoint.url, body, headers)
    attempt_record(endpoint=endpoint, delivery=delivery, response=response)
    return response


@transaction.atomic
def attempt_record(*, endpoint: Endpoint, delivery: Delivery, response: Response) -> None:
    """Log one attempt, then: delivered; or retried on the schedule; or given up, disabling the endpoint.

    Committed without waiting for the disk (synchronous_commit off, this transaction only): a crash may
    lose the last few log rows, and then those messages are sent again, which at-least-once allows;
    waiting for a flush per delivery would cap an endpoint at the disk's flushes per second."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    now = timezone.now()
    number = delivery.attempts + 1
    error = response.error or ("" if response.ok else _("The receiver answered %(status)s.") % {"status": response.status})
    delivery.sent_count += 1
    Attempt.objects.create(delivery=delivery, number=delivery.sent_count, attempted_at=now, status=response.status,
                           response_ms=response.ms, error=error[:300], response_excerpt=response.excerpt[:200])
    delivery.attempts, delivery.last_status, delivery.last_response_ms = number, response.status, response.ms
    delivery.last_error = error[:300]
    if response.ok:
        delivery.state, delivery.delivered_at = Delivery.State.SUCCEEDED, now
        delivery.save(update_fields=["state", "attempts", "sent_count", "last_status", "last_response_ms",
                                     "last_error", "delivered_at"])
        if endpoint.consecutive_failures:  # as last read by the drain, which keeps it current
            Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
            endpoint.consecutive_failures = 0
        return
    schedule = settings.KYOSO_WEBHOOK_RETRY_SECONDS
    if number > len(schedule):
        delivery.state = Delivery.State.FAILED
    else:
        delivery.next_attempt_at = now + timedelta(seconds=schedule[number - 1])
    delivery.save(update_fields=["state", "attempts", "sent_count", "last_status", "last_response_ms", "last_error",
                                 "next_attempt_at"])
    Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    failures = Endpoint.objects.values_list("consecutive_failures", flat=True).get(pk=endpoint.pk)
    endpoint.consecutive_failures = failures
    if delivery.state == Delivery.State.FAILED:
        endpoint_disable(endpoint=endpoint, reason=msg.text("webhook.failed_over", count=number,
                                                            hours=round(sum(schedule) / 3600, 1)))
    elif failures >= settings.KYOSO_WEBHOOK_DISABLE_AFTER:
        endpoint_disable(endpoint=endpoint, reason=msg.text("webhook.failed_in_a_row", count=failures))


def endpoint_disable(*, endpoint: Endpoint, reason: msg.Text) -> bool:
    """Disable after repeated failure and tell whoever manages the endpoint; once (False if it already was)."""
    now = timezone.now()
    changed = Endpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_at=now, disabled_reason=str(reason)[:300])
    if not changed:
        return False
    if endpoint.partner_id is None:
        people = User.objects.filter(role=Role.VENDOR_ADMIN, is_active=True)
        url = reverse_path("webhook_detail", "console", pk=endpoint.pk)
    else:
        people = User.objects.filter(role=Role.PARTNER_ADMIN, is_active=True,
                                     partner_membership__partner_id=endpoint.partner_id)
        url = reverse_path("portal_webhook_detail", "portal", pk=endpoint.pk)
    notify(users=list(people), kind="webhook_disabled", url=url,
           message=(msg.text("webhook.disabled", url=endpoint.url[:100]),
                    msg.text("webhook.disabled.body", reason=reason.stored())))
    return True
