"""Telling people about state changes that concern them: in the app and by e-mail."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from prm.accounts.models import User
from prm.notifications.models import Notification


_email_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("kyoso_notification_email_paused", default=False)


@contextlib.contextmanager
def email_paused():
    """Notifications made inside are shown in the app but not e-mailed (seeding the demo vendor)."""
    token = _email_paused.set(True)
    try:
        yield
    finally:
        _email_paused.reset(token)


def notify(*, users: Iterable[User], kind: str, message: Callable[[], tuple[str, str]], url: str = "",
           email: bool = True) -> list[Notification]:
    """Notify each active user; `message()` returns (title, body) and is called in each user's language."""
    created = []
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        with translation.override(user.language or "ja"):
            title, body = message()
        created.append(Notification(user=user, kind=kind, title=str(title), body=str(body), url=url))
    Notification.objects.bulk_create(created)
    if email and created and not _email_paused.get():
        vendor = connection.tenant
        transaction.on_commit(lambda: _send(vendor, created))
    return created


def _send(vendor, notifications: list[Notification]) -> None:
    with tenant_context(vendor):
        for notification in notifications:
            link = ""
            if notification.url:
                link = "\n\n" + notification.url
            send_mail(f"[{vendor.name}] {notification.title}", notification.body + link, settings.DEFAULT_FROM_EMAIL,
                      [notification.user.email], fail_silently=True)


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
