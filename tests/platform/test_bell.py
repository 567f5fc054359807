"""The bell's number on every signed-in page: the person's unread notifications, and only theirs."""

from __future__ import annotations

import re

from django_tenants.utils import tenant_context

from prm.notifications.models import Notification
from prm.notifications.services import BELL_MOST, bell_label, mark_read, notify, unread_count


def _bell(html: str) -> str | None:
    found = re.search(r'bi-bell"></i><span class="[^"]*badge[^"]*">(\d+\+?)</span>', html)
    return found.group(1) if found else None


def test_the_bell_counts_the_persons_unread_notifications(people_a):
    manager, admin = people_a.channel_manager, people_a.vendor_admin
    with tenant_context(people_a.tenant):
        made = [notify(users=[manager], kind="demo", message=lambda: ("件名", "本文"))[0] for _n in range(3)]
        notify(users=[admin], kind="demo", message=lambda: ("件名", "本文"))
        assert unread_count(manager) == 3
        mark_read(user=manager, notification_id=made[0].pk)
        assert unread_count(manager) == 2
        assert unread_count(admin) == 1
    assert _bell(people_a.console(manager).get("/partners/").content.decode()) == "2"
    with tenant_context(people_a.tenant):
        mark_read(user=manager)
        assert unread_count(manager) == 0
    assert _bell(people_a.console(manager).get("/partners/").content.decode()) is None


def test_the_bell_counts_to_99_and_then_shows_99_plus(people_a):
    """Someone who never opens the list may have thousands unread: the bell stops counting after 99."""
    manager, admin = people_a.channel_manager, people_a.vendor_admin
    with tenant_context(people_a.tenant):
        Notification.objects.bulk_create(Notification(user=manager, kind="demo", title="件名") for _n in range(BELL_MOST))
        notify(users=[admin], kind="demo", message=lambda: ("件名", "本文"))
        assert bell_label(manager) == "99" and unread_count(manager) == BELL_MOST
        assert unread_count(manager, at_most=10) == 10
    assert _bell(people_a.console(manager).get("/partners/").content.decode()) == "99"
    with tenant_context(people_a.tenant):
        Notification.objects.create(user=manager, kind="demo", title="件名")
        assert bell_label(manager) == "99+" and unread_count(manager) == BELL_MOST + 1
        assert bell_label(admin) == "1"
        mark_read(user=manager)
        assert bell_label(manager) == ""
    assert _bell(people_a.console(manager).get("/partners/").content.decode()) is None
    with tenant_context(people_a.tenant):
        Notification.objects.bulk_create(Notification(user=manager, kind="demo", title="件名") for _n in range(150))
    assert _bell(people_a.portal(people_a.partner_rep).get("/").content.decode()) is None  # the rep has none
    assert _bell(people_a.console(manager).get("/partners/").content.decode()) == "99+"
