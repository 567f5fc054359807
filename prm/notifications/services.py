"""Telling people about state changes that concern them: in the app, and by e-mail as each person chose."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prm.accounts.models import User
from prm.mail import current_vendor, send_email
from prm.notifications import kinds
from prm.notifications.models import Notification, NotificationPreference
from prm.tenancy.urls import reverse_path, user_site_kind, user_url

logger = logging.getLogger(__name__)


_email_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("kyoso_notification_email_paused", default=False)


@contextlib.contextmanager
def email_paused():
    """Notifications made inside are shown in the app but not e-mailed (seeding the demo vendor)."""
    token = _email_paused.set(True)
    try:
        yield
    finally:
        _email_paused.reset(token)


def notify(*, users: Iterable[User], kind: str, message: Callable[[], tuple[str, str]], url: str = "") -> list[Notification]:
    """Notify each active user; `message()` returns (title, body) and is called in each user's language.

    Everyone sees it in the app; whoever wants this kind by e-mail gets it now (after commit),
    whoever wants a digest gets it in the evening's summary.
    """
    created = []
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        with translation.override(user.language or "ja"):
            title, body = message()
        created.append(Notification(user=user, kind=kind, title=str(title), body=str(body), url=url))
    if not created:
        return created
    channels = channels_for([n.user for n in created], kind)
    now = timezone.now()
    paused = _email_paused.get()
    mailed = [n for n in created if not paused and channels[n.user.pk] == kinds.EMAIL and n.user.email]
    for notification in created if paused else mailed:
        notification.emailed_at = now  # paused (the demo's seed): handled, so no digest picks it up either
    Notification.objects.bulk_create(created)
    vendor = current_vendor()
    for notification in mailed:
        user = notification.user
        send_email(user.email, "mail/notification.html", {
            "notification": notification,
            "url": _link(vendor, user, notification.url),
            "preferences_url": _link(vendor, user, reverse_path("notification_preferences", user_site_kind(user))),
        }, user.language, vendor=vendor)
    return created


def _link(vendor, user: User, path: str) -> str:
    if vendor is None or not path:
        return path
    try:
        return user_url(vendor, user, path)
    except LookupError:  # a vendor without that site: the notification still goes out, without the link's host
        logger.warning("vendor %s has no %s domain for an e-mail link", vendor.slug, user_site_kind(user))
        return path


def channels_for(users: Iterable[User], kind: str) -> dict[int, str]:
    """Each user's channel for one kind: their own choice, else the kind's default."""
    users = list(users)
    chosen = dict(NotificationPreference.objects.filter(user__in=users, kind=kind).values_list("user_id", "channel"))
    default = kinds.default_channel(kind)
    return {user.pk: chosen.get(user.pk, default) for user in users}


def preferences_of(user: User) -> dict[str, str]:
    """The channel for every kind this person can receive."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {code: chosen.get(code, kind.default) for code, kind in kinds.kinds_for(user)}


@transaction.atomic
def preferences_set(*, user: User, channels: dict[str, str]) -> None:
    """Store the person's choice for each kind they can receive (a choice equal to the default is stored too)."""
    allowed = {code for code, _kind in kinds.kinds_for(user)}
    valid = set(NotificationPreference.Channel.values)
    unknown = [code for code, channel in channels.items() if code not in allowed or channel not in valid]
    if unknown:
        raise ValidationError(_("Choose a valid delivery for every kind of notification."))
    for code, channel in channels.items():
        NotificationPreference.objects.update_or_create(user=user, kind=code, defaults={"channel": channel})


def digest_send(*, now: datetime | None = None) -> int:
    """One e-mail per person who chose the daily digest, listing the day's notifications of those kinds.

    A notification goes out by e-mail once (`emailed_at`), so running the job twice sends nothing twice.
    Returns the number of digests sent.
    """
    now = now or timezone.now()
    since = now - timedelta(days=1)
    wanted: dict[int, set[str]] = {}
    for user_id, kind in NotificationPreference.objects.filter(channel=kinds.DIGEST).values_list("user_id", "kind"):
        wanted.setdefault(user_id, set()).add(kind)
    vendor = current_vendor()
    sent = 0
    for user in User.objects.filter(pk__in=wanted, is_active=True).exclude(email="").order_by("pk"):
        with transaction.atomic():
            items = list(Notification.objects.select_for_update(skip_locked=True).filter(
                user=user, kind__in=wanted[user.pk], emailed_at__isnull=True, created_at__gt=since,
                created_at__lte=now).order_by("created_at", "pk"))
            if not items:
                continue
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=now)
            send_email(user.email, "mail/digest.html", {
                "items": [{"notification": n, "url": _link(vendor, user, n.url)} for n in items],
                "preferences_url": _link(vendor, user, reverse_path("notification_preferences", user_site_kind(user))),
            }, user.language, vendor=vendor)
        sent += 1
    if sent:
        logger.info("sent %s notification digests in %s", sent, connection.schema_name)
    return sent


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
