"""Telling people about state changes that concern them: in the app, and by e-mail as each person chose."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prm.accounts.models import User
from prm.after_commit import send_after_commit
from prm.mail import current_vendor, render_and_queue, send_email
from prm.messages import Text
from prm.notifications import kinds
from prm.notifications.models import Notification, NotificationPreference
from prm.reads import ModelRows, fetch_rows
from prm.tenancy.urls import reverse_path, site_url, user_site_kind

logger = logging.getLogger(__name__)


EMAILS_TASK = "prm.notifications.tasks.notification_emails_send"  # prm.notifications.tasks (which imports this module)
_NOTIFICATIONS = ModelRows(Notification)  # every notification is written by notify_all, a statement per 1,000

_email_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("kyoso_notification_email_paused", default=False)


@contextlib.contextmanager
def email_paused():
    """Notifications made inside are shown in the app but not e-mailed (seeding the demo vendor)."""
    token = _email_paused.set(True)
    try:
        yield
    finally:
        _email_paused.reset(token)


# (title, body) as messages (prm.messages), shown in the language of whoever reads them; a plain text is the
# same in every language (an announcement's, a person's answer). Or a function returning the two texts,
# called in each recipient's language and stored as written.
Message = tuple[Text | str, Text | str | None] | Callable[[], tuple[str, str]]


def notify(*, users: Iterable[User | None], kind: str, message: Message, url: str = "") -> list[Notification]:
    """Notify each active user of (title, body): see `Message`.

    Everyone sees it in the app; whoever wants this kind by e-mail gets it now (after commit),
    whoever wants a digest gets it in the evening's summary.
    """
    return notify_all([(kind, users, url, message)])


def notify_many(*, kind: str, items: Iterable[tuple[Iterable[User | None], str, Message]]) -> list[Notification]:
    """`notify` for many (users, url, message) of one kind at once: see notify_all."""
    return notify_all((kind, users, url, message) for users, url, message in items)


def notify_all(items: Iterable[tuple[str, Iterable[User | None], str, Message]]) -> list[Notification]:
    """`notify` for many (kind, users, url, message) at once, in a constant number of queries: one for everyone's
    channels, one insert per 1,000 notifications, one e-mail task after commit (a deal registration tells the
    vendor and the rep in one go)."""
    created = []
    for kind, users, url, message in items:
        # What is kept to be written out again for each reader; plain texts stay as the title and body.
        kept = {} if callable(message) else {part: value.stored() for part, value in zip(("title", "body"), message, strict=True)
                                             if isinstance(value, Text)}
        for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
            with translation.override(user.language or "ja"):
                title, body = message() if callable(message) else message
                title, body = str(title)[:200], str(body or "")
            created.append(Notification(user=user, kind=kind, title=title, body=body, url=url, message=kept))
    if not created:
        return created
    channels = _channels({(n.user.pk, n.kind) for n in created})
    now = timezone.now()
    paused = _email_paused.get()
    mailed = [n for n in created if not paused and channels[n.user.pk, n.kind] == kinds.EMAIL and n.user.email]
    for notification in created if paused else mailed:
        notification.emailed_at = now  # paused (the demo's seed): handled, so no digest picks it up either
    _NOTIFICATIONS.insert(created)
    if mailed:
        _emails_after_commit([notification.pk for notification in mailed])
    return created


def _emails_after_commit(notification_ids: list[int]) -> None:
    """Once the transaction commits, queue one task that renders and sends these notifications' e-mails
    (emails_send): rendering is the worker's, not the request's, and the notifications of one transaction (a
    deal registration makes two) share one task, sent with the transaction's other tasks (prm.after_commit).
    Nothing is queued for work that rolls back: the ids join a send of the same transaction and savepoint only,
    which any rollback of theirs discards with them."""
    vendor = current_vendor()
    schema = vendor.schema_name if vendor is not None else "public"
    inline = None
    if settings.KYOSO_EMAIL_DELIVERY == "inline":  # no worker: rendered and sent in this process at commit
        from prm.notifications.tasks import notification_emails_inline

        inline = functools.partial(notification_emails_inline, vendor)
    pending = send_after_commit(EMAILS_TASK, {"schema_name": schema, "notification_ids": []}, schema=schema,
                                queue=settings.KYOSO_EMAIL_QUEUE or None, join=True, inline=inline)
    pending["notification_ids"].extend(notification_ids)


def emails_send(*, notification_ids: list[int]) -> int:
    """Render and queue the e-mail of each of these notifications, in its reader's language with links to their
    own site (the worker's side of notify). Returns the number queued."""
    vendor = current_vendor()
    schema = vendor.schema_name if vendor is not None else "public"
    origins: dict[str, str | None] = {}
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("user").order_by("pk"):
        user = notification.user
        if not user.email:
            continue
        render_and_queue([user.email], "mail/notification.html", {
            "notification": notification,
            "url": _link(vendor, user, notification.url, origins),
            "preferences_url": _link(vendor, user, reverse_path("notification_preferences", user_site_kind(user)),
                                     origins),
        }, user.language, vendor=vendor, schema=schema)
        sent += 1
    return sent


def _link(vendor, user: User, path: str, origins: dict[str, str | None] | None = None) -> str:
    """The absolute link for `user`; `origins` keeps each site's address for the rest of the batch."""
    if vendor is None or not path or path.startswith(("http://", "https://")):
        return path
    origins = {} if origins is None else origins
    site = user_site_kind(user)
    if site not in origins:
        try:
            origins[site] = site_url(vendor, site, "")
        except LookupError:  # a vendor without that site: the notification still goes out, without the link's host
            logger.warning("vendor %s has no %s domain for an e-mail link", vendor.slug, site)
            origins[site] = None
    origin = origins[site]
    return path if origin is None else origin + path


def _channels(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """(user id, kind) → that user's channel for that kind: their own choice, else the kind's default. One fixed
    statement, as every notification asks."""
    chosen = {(user_id, kind): channel for user_id, kind, channel in fetch_rows(
        "SELECT user_id, kind, channel FROM notifications_notificationpreference"
        " WHERE kind = ANY(%(kinds)s) AND user_id = ANY(%(users)s)",
        {"kinds": sorted({kind for _user, kind in pairs}), "users": sorted({user for user, _kind in pairs})})}
    return {(user, kind): chosen.get((user, kind), kinds.default_channel(kind)) for user, kind in pairs}


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
        # django-tenants' connection carries the schema; django-stubs knows only Django's.
        logger.info("sent %s notification digests in %s", sent, connection.schema_name)  # type: ignore[attr-defined]
    return sent


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


BELL_MOST = 99  # the bell shows "99+" beyond: counting every unread row would cost the database one per row


def unread_count(user: User, *, at_most: int | None = None) -> int:
    """The person's unread notifications (the same count as `Notification.objects.filter(user=user,
    read_at__isnull=True).count()`, as one fixed statement); with `at_most`, counted no further than that: the
    bell is drawn on every signed-in page, and someone who never opens the list may have thousands."""
    table = Notification._meta.db_table
    if at_most is None:
        rows = fetch_rows(f"SELECT count(*) FROM {table} WHERE user_id = %(user)s AND read_at IS NULL",
                          {"user": user.pk})
    else:
        rows = fetch_rows(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE user_id = %(user)s AND read_at IS NULL"
                          " LIMIT %(most)s) AS unread", {"user": user.pk, "most": at_most})
    return rows[0][0]


def bell_label(user: User) -> str:
    """The bell's badge: empty with nothing unread, the number up to BELL_MOST, "99+" beyond."""
    count = unread_count(user, at_most=BELL_MOST + 1)
    return f"{BELL_MOST}+" if count > BELL_MOST else str(count) if count else ""
