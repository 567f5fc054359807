"""Saved views (prm.savedviews), on the list that offers them first, the pipeline: a manager keeps its filters under
a name, opens them again as a link, shares them with the team or not, deletes their own; fifty per person and list,
even when the requests come at once; a view is read again by the list's form whenever it is opened."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from prm.accounts.models import User
from prm.savedviews import services
from prm.savedviews.models import SavedView
from prm.savedviews.services import MAX_PER_LIST
from tests.api.parallel import all_at_once
from tests.factories import UserFactory

PIPELINE, SAVE = "/deals/pipeline/", "/views/"
LIST = "deals.pipeline"


def _save(client, name: str, query: str, *, shared: bool = False, list_key: str = LIST):
    data = {"list": list_key, "query": query, "name": name, "next": PIPELINE}
    if shared:
        data["shared"] = "on"
    return client.post(SAVE, data)


def _views(people, user) -> list[tuple[str, str, bool]]:
    with tenant_context(people.tenant):
        return list(SavedView.objects.filter(user=user).order_by("name").values_list("name", "query", "shared"))


def _links(page: str) -> list[str]:
    """The saved views shown above the list, by name."""
    block = page.split('id="saved-views"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="\?[^"]*"[^>]*>([^<]+)</a>', block)


def test_it_saves_the_filters_as_the_list_writes_them_and_opens_them_as_a_link(people_a):
    client = people_a.console(people_a.channel_manager)
    query = f"stage=won&stage=approved&customer=%EF%BD%BB%EF%BD%B8%EF%BE%97&partner={people_a.partner.pk}&page=3&owner="
    response = _save(client, "  今期の  受注  ", query)
    canonical = f"customer=%EF%BD%BB%EF%BD%B8%EF%BE%97&partner={people_a.partner.pk}&stage=won&stage=approved"
    assert response.status_code == 302 and response["Location"] == f"{PIPELINE}?{canonical}"
    assert _views(people_a, people_a.channel_manager) == [("今期の 受注", canonical, False)]
    page = client.get(response["Location"])
    assert _links(page.content.decode()) == ["今期の 受注"]
    assert 'aria-current="true">今期の 受注' in page.content.decode()  # the view being looked at
    assert page.context["form"].cleaned_data["stage"] == ["won", "approved"]


def test_it_shows_ones_own_views_and_the_teams_shared_ones_and_deletes_only_ones_own(people_a):
    with tenant_context(people_a.tenant):
        colleague = UserFactory(role="channel_manager", full_name="同僚 佐藤")
    me, them = people_a.console(people_a.channel_manager), people_a.console(colleague)
    _save(me, "自分だけ", "stage=won")
    _save(me, "チーム共有", "stage=approved", shared=True)
    _save(them, "同僚の非公開", "stage=lost")
    _save(them, "同僚の共有", "stage=proposal", shared=True)
    assert _links(me.get(PIPELINE).content.decode()) == ["チーム共有", "自分だけ", "同僚の共有"]
    assert _links(them.get(PIPELINE).content.decode()) == ["同僚の共有", "同僚の非公開", "チーム共有"]
    assert "同僚 佐藤" in me.get(PIPELINE).content.decode()  # whose shared view it is

    with tenant_context(people_a.tenant):
        shared_by_them = SavedView.objects.get(name="同僚の共有")
        mine = SavedView.objects.get(name="自分だけ")
    assert me.post(f"{SAVE}{shared_by_them.pk}/delete/").status_code == 404  # shared is not theirs
    assert me.get(f"{SAVE}{mine.pk}/delete/").status_code == 405
    response = me.post(f"{SAVE}{mine.pk}/delete/", {"next": f"{PIPELINE}?stage=won"})
    assert response.status_code == 302 and response["Location"] == f"{PIPELINE}?stage=won"
    assert [name for name, *_ in _views(people_a, people_a.channel_manager)] == ["チーム共有"]
    assert len(_views(people_a, colleague)) == 2
    assert me.post(f"{SAVE}{mine.pk}/delete/").status_code == 404  # gone


def test_a_name_is_kept_once_per_person_and_list(people_a):
    client = people_a.console(people_a.channel_manager)
    _save(client, "重点", "stage=won")
    refused = client.post(SAVE, {"list": LIST, "query": "stage=lost", "name": "重点"}, follow=True)
    assert "重点" in refused.content.decode() and _views(people_a, people_a.channel_manager) == [
        ("重点", "stage=won", False)]
    with tenant_context(people_a.tenant):
        colleague = UserFactory(role="channel_manager")
    _save(people_a.console(colleague), "重点", "stage=lost")  # another person's list of names
    assert _views(people_a, colleague) == [("重点", "stage=lost", False)]


@pytest.mark.parametrize("data, field", [
    ({"list": LIST, "query": "stage=won", "name": ""}, "name"),
    ({"list": LIST, "query": "stage=won", "name": "x" * 81}, "name"),
    ({"list": "partners.nothing", "query": "", "name": "一覧なし"}, "list"),
    ({"list": LIST, "query": "stage=bogus", "name": "壊れた"}, "stage"),
    ({"list": LIST, "query": "registered_from=2026-13-01", "name": "壊れた日付"}, "registered_from"),
    ({"list": LIST, "query": "q" * 2001, "name": "長すぎる"}, "query"),
])
def test_a_view_that_cannot_be_saved_is_refused_with_a_message_and_nothing_is_kept(people_a, data, field):
    client = people_a.console(people_a.channel_manager)
    response = client.post(SAVE, {**data, "next": PIPELINE}, follow=True)
    assert response.status_code in (200, 400)
    messages = [str(message) for message in response.context["messages"]]
    assert messages and all(message for message in messages)
    assert _views(people_a, people_a.channel_manager) == []


def test_a_stale_or_tampered_view_opens_as_the_lists_errors_never_a_failure(people_a):
    with tenant_context(people_a.tenant):
        view = SavedView.objects.create(user=people_a.channel_manager, list_key=LIST, name="古いビュー",
                                        query="partner=987654321&stage=bogus&close_to=9999-12-31&owner=%C2%B2")
    client = people_a.console(people_a.channel_manager)
    response = client.get(f"{PIPELINE}?{view.query}")
    page = response.content.decode()
    assert response.status_code == 400
    for name in ("partner", "stage", "close_to", "owner"):
        assert f"「{name}」" in page
    assert "古いビュー" in page  # the views are still there to choose another, or to delete it


def test_at_most_fifty_views_per_person_and_list(people_a):
    with tenant_context(people_a.tenant):
        SavedView.objects.bulk_create(SavedView(user=people_a.channel_manager, list_key=LIST, name=f"v{n}",
                                                query=f"stage=won&customer={n}") for n in range(MAX_PER_LIST - 1))
    client = people_a.console(people_a.channel_manager)
    assert _save(client, "五十番目", "stage=lost").status_code == 302
    assert "Save these filters" not in client.get(PIPELINE).content.decode()  # the form is gone at the limit
    refused = _save(client, "五十一番目", "stage=lost")
    assert refused.status_code == 302
    with tenant_context(people_a.tenant):
        assert SavedView.objects.filter(user=people_a.channel_manager, list_key=LIST).count() == MAX_PER_LIST
        colleague = UserFactory(role="channel_manager")
    assert _save(people_a.console(colleague), "同僚の一番目", "stage=lost").status_code == 302


@pytest.fixture
def manager_near_the_limit(django_db_setup, django_db_blocker):
    """Committed: a channel manager with one view short of the limit."""
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            manager = UserFactory(email="saved-views-race@alpha.example", role="channel_manager")
            SavedView.objects.bulk_create(SavedView(user=manager, list_key=LIST, name=f"v{n}", query="stage=won")
                                          for n in range(MAX_PER_LIST - 1))
        try:
            yield vendor, manager
        finally:
            with tenant_context(vendor):
                SavedView.objects.filter(user=manager).delete()
                User.objects.filter(pk=manager.pk).delete()
            connection.set_schema_to_public()


def test_views_saved_at_the_same_moment_stop_at_the_limit(manager_near_the_limit, django_db_blocker):
    vendor, manager = manager_near_the_limit
    n = 6

    def save(number: int) -> str:
        with django_db_blocker.unblock():
            connection.set_tenant(vendor)
            try:
                services.saved_view_create(user=manager, list_key=LIST, name=f"同時{number}", query="stage=lost",
                                           shared=False)
            except Exception as error:  # the refusals are counted below
                return type(error).__name__
            return "saved"

    answers = all_at_once(save, range(n))
    assert sorted(answers) == ["ValidationError"] * (n - 1) + ["saved"]
    with django_db_blocker.unblock(), tenant_context(vendor):
        assert SavedView.objects.filter(user=manager, list_key=LIST).count() == MAX_PER_LIST


def test_views_belong_to_their_vendor(people_a, people_b):
    _save(people_a.console(people_a.channel_manager), "アルファの共有", "stage=won", shared=True)
    with tenant_context(people_a.tenant):
        view = SavedView.objects.get(name="アルファの共有")
    other = people_b.console(people_b.channel_manager)
    assert "アルファの共有" not in other.get(PIPELINE).content.decode()
    assert other.post(f"{SAVE}{view.pk}/delete/").status_code == 404
    with tenant_context(people_b.tenant):
        assert not SavedView.objects.exists()


def test_partner_users_never_reach_saved_views(people_a):
    _save(people_a.console(people_a.channel_manager), "共有", "stage=won", shared=True)
    with tenant_context(people_a.tenant):
        view = SavedView.objects.get(name="共有")
    for user in (people_a.partner_admin, people_a.partner_rep):
        console, portal = people_a.console(user), people_a.portal(user)
        assert _save(console, "ポータル", "stage=won").status_code == 403
        assert console.post(f"{SAVE}{view.pk}/delete/").status_code == 403
        assert _save(portal, "ポータル", "stage=won").status_code == 404
        assert portal.post(f"{SAVE}{view.pk}/delete/").status_code == 404
        with tenant_context(people_a.tenant):
            with pytest.raises(PermissionDenied):
                services.saved_view_create(user=user, list_key=LIST, name="直接", query="", shared=False)
    with tenant_context(people_a.tenant):
        assert list(SavedView.objects.values_list("name", flat=True)) == ["共有"]
    assert people_a.console().post(SAVE, {"list": LIST, "name": "匿名"}).status_code == 302  # to the sign-in page
