"""How long a vendor keeps what only serves for a while; one nightly job per vendor (prm.tasks.retention_purge).

Horizons come from settings (KYOSO_RETENTION_*). The platform knows no domain app: the rows of
prm's own tables are purged here, and each app that keeps rows for a while registers its step
in its own `retention.py` (partners: contact signals and health history, enablement: downloads),
which `steps()` imports by app label. Nothing that money depends on is removed: the signals the
incentive plans pay on (certifications, attended sessions) are kept whatever their age, since a
commission run reads them again and would otherwise give back what it paid (incentives tells
partners which kinds those are, in incentives/retention.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    import calendar

    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def horizons(now: datetime | None = None) -> dict[str, datetime | date]:
    """What is older than these goes: per kind of row."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "now": now,
        "notifications_read": now - timedelta(days=settings.KYOSO_RETENTION_NOTIFICATION_DAYS),
        "signals": _start_of(months_before(today, settings.KYOSO_RETENTION_SIGNAL_MONTHS)),
        "downloads": _start_of(months_before(today, settings.KYOSO_RETENTION_DOWNLOAD_MONTHS)),
        "health_history": months_before(today, settings.KYOSO_RETENTION_HEALTH_MONTHS),
        "exports": now - timedelta(days=settings.KYOSO_RETENTION_EXPORT_DAYS),
        "events": now - timedelta(days=settings.KYOSO_RETENTION_EVENT_DAYS),
    }


Step = Callable[[dict[str, datetime | date]], int]

# kind → step; prm's own kinds first, then each app's, in the order the apps are installed.
_STEPS: dict[str, Step] = {}
_discovered = False


def register(kind: str, step: Step) -> Step:
    """Make `step(limits)` part of the nightly purge: it deletes the current vendor's rows of `kind` past
    their horizon in `limits` (see horizons) and returns how many went. A second registration of a kind
    replaces the first. Apps register in their own `retention.py`, which the purge imports by app label."""
    _STEPS[kind] = step
    return step


def steps() -> dict[str, Step]:
    """Every registered step, after importing each installed app's `retention` module once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("retention")
        _discovered = True
    return dict(_STEPS)


def purge(now: datetime | None = None) -> dict[str, int]:
    """Delete the current vendor's rows past their horizon; returns how many of each kind went."""
    now = now or timezone.now()
    limits = horizons(now)
    with transaction.atomic():
        return {kind: step(limits) for kind, step in steps().items()}


def _purge_sessions(limits: dict[str, datetime | date]) -> int:
    # A session's horizon is its own expiry date.
    return Session.objects.filter(expire_date__lt=limits["now"]).delete()[0]


def _purge_notifications(limits: dict[str, datetime | date]) -> int:
    from prm.notifications.models import Notification

    return Notification.objects.filter(read_at__isnull=False, read_at__lt=limits["notifications_read"]).delete()[0]


def _purge_exports(limits: dict[str, datetime | date]) -> int:
    from prm.exports.services import purge_before

    return purge_before(limits["exports"])


def _purge_events(limits: dict[str, datetime | date]) -> int:
    """Dispatched outbox events older than the horizon; their deliveries and attempts go with them
    (the webhooks' delivery log)."""
    from prm.outbox.models import OutboxEvent

    return OutboxEvent.objects.filter(dispatched_at__isnull=False, occurred_at__lt=limits["events"]).delete()[1].get(
        "outbox.OutboxEvent", 0)


register("sessions", _purge_sessions)
register("notifications", _purge_notifications)
register("exports", _purge_exports)
register("events", _purge_events)
