"""How long a vendor keeps what only serves for a while; one nightly job per vendor (prm.tasks.retention_purge).

Horizons come from settings (KYOSO_RETENTION_*). Nothing that money depends on is removed:
the signals the incentive plans pay on (certifications, attended sessions) are kept whatever
their age, since a commission run reads them again and would otherwise give back what it paid.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone


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
        "notifications_read": now - timedelta(days=settings.KYOSO_RETENTION_NOTIFICATION_DAYS),
        "signals": _start_of(months_before(today, settings.KYOSO_RETENTION_SIGNAL_MONTHS)),
        "downloads": _start_of(months_before(today, settings.KYOSO_RETENTION_DOWNLOAD_MONTHS)),
        "health_history": months_before(today, settings.KYOSO_RETENTION_HEALTH_MONTHS),
        "exports": now - timedelta(days=settings.KYOSO_RETENTION_EXPORT_DAYS),
        "events": now - timedelta(days=settings.KYOSO_RETENTION_EVENT_DAYS),
    }


def purge(now: datetime | None = None) -> dict[str, int]:
    """Delete the current vendor's rows past their horizon; returns how many of each kind went."""
    from enablement.models import ContentAccess
    from incentives.runs import PAID_SIGNAL_KINDS
    from insights.models import HealthSnapshot
    from partners.models import ContactSignal
    from prm.exports.services import purge_before
    from prm.notifications.models import Notification

    now = now or timezone.now()
    limits = horizons(now)
    with transaction.atomic():
        removed = {
            "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
            "notifications": Notification.objects.filter(read_at__isnull=False,
                                                         read_at__lt=limits["notifications_read"]).delete()[0],
            "signals": ContactSignal.objects.filter(occurred_at__lt=limits["signals"]).exclude(
                kind__in=PAID_SIGNAL_KINDS).delete()[0],
            "downloads": ContentAccess.objects.filter(at__lt=limits["downloads"]).delete()[0],
            "health_history": HealthSnapshot.objects.filter(day__lt=limits["health_history"]).delete()[0],
            "exports": purge_before(limits["exports"]),
            # Dispatched events, with their webhook deliveries and attempts (the delivery log).
            "events": _purge_events(limits["events"]),
        }
    return removed


def _purge_events(before: datetime) -> int:
    """Dispatched outbox events older than the horizon; their deliveries and attempts go with them."""
    from prm.outbox.models import OutboxEvent

    return OutboxEvent.objects.filter(dispatched_at__isnull=False, occurred_at__lt=before).delete()[1].get(
        "outbox.OutboxEvent", 0)
