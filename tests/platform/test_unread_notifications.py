"""The bell's unread count is kept per person in the cache: pages after the first ask no query for it,
and a new notification or a read one shows on the next page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from prm.notifications.models import Notification
from prm.notifications.services import notify

pytestmark = pytest.mark.django_db

BADGE = 'translate-middle badge rounded-pill text-bg-danger">'


def _page(client, path="/"):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    counted = any("notifications_notification" in query["sql"] for query in captured.captured_queries)
    return response.content.decode(), counted


def _notify(people, user, n, capture):
    with tenant_context(people.tenant), capture(execute=True):
        for i in range(n):
            notify(users=[user], kind="deal_approved", message=lambda i=i: (f"お知らせ{i}", "本文"), url="/")
    connection.set_schema_to_public()


def test_the_count_is_cached_and_follows_new_and_read_notifications(people_a, django_capture_on_commit_callbacks):
    rep = people_a.partner_rep
    client = people_a.portal(rep)
    html, counted = _page(client)
    assert BADGE not in html and counted
    html, counted = _page(client)
    assert not counted  # from the cache
    _notify(people_a, rep, 2, django_capture_on_commit_callbacks)
    html, counted = _page(client)
    assert f"{BADGE}2</span>" in html and counted
    with tenant_context(people_a.tenant):
        first = Notification.objects.filter(user=rep).order_by("pk").first()
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/notifications/{first.pk}/read/").status_code == 302
    html, _counted = _page(client)
    assert f"{BADGE}1</span>" in html
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/notifications/read/").status_code == 302
    html, _counted = _page(client)
    assert BADGE not in html


def test_each_person_and_tenant_has_its_own_count(people_a, people_b, django_capture_on_commit_callbacks):
    _notify(people_a, people_a.partner_rep, 1, django_capture_on_commit_callbacks)
    html, _ = _page(people_a.portal(people_a.partner_rep))
    assert f"{BADGE}1</span>" in html
    html, _ = _page(people_a.portal(people_a.partner_admin))
    assert BADGE not in html
    # the same user id in the other tenant (ids are per schema) reads its own count
    html, _ = _page(people_b.portal(people_b.partner_rep))
    assert BADGE not in html
    html, _ = _page(people_a.console(people_a.channel_manager))
    assert BADGE not in html
