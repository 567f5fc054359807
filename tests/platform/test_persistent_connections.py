"""A web worker keeps its database connection between requests, and a kept connection never serves the
previous request's vendor: a real gunicorn worker answers two vendors' pages in turn on one connection."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from partners.models import Partner
from prm.postgres import prepared_statements
from prm.tenancy.models import Vendor
from tests.db_url import subprocess_database_url
from tests.factories import UserFactory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def two_vendors_signed_in(django_db_setup, django_db_blocker):
    """In each vendor: a partner with its own name and a channel manager's session, committed for the server."""
    made = []
    with django_db_blocker.unblock():
        with schema_context("public"):
            vendors = list(Vendor.objects.filter(slug__in=["alpha", "bravo"]).order_by("slug"))
        for vendor in vendors:
            with tenant_context(vendor):
                partner = Partner.objects.create(name=f"接続確認 {vendor.slug} {uuid.uuid4().hex[:6]}",
                                                 partner_type="resale", stage="activation")
                user = UserFactory(role="channel_manager")
                session = SessionStore()
                session[SESSION_KEY] = str(user.pk)
                session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
                session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                session.create()
                made.append((vendor, partner, user, session.session_key))
        connection.set_schema_to_public()
        try:
            yield made
        finally:
            for vendor, partner, user, key in made:
                with tenant_context(vendor):
                    SessionStore(session_key=key).delete()
                    partner.delete()
                    user.delete()
            connection.set_schema_to_public()


def _get(port: int, host: str, path: str, session_key: str) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
        "Host": host, "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return response.read().decode()


def _backends(application_name: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return [row[0] for row in cursor.fetchall()]


def test_a_gunicorn_worker_reuses_one_connection_across_two_vendors_and_serves_each_its_own_data(
        two_vendors_signed_in, django_db_blocker):
    application_name = f"kyoso-reuse-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(application_name), "DJANGO_SETTINGS_MODULE": "prm.settings.test",
           "KYOSO_CONN_MAX_AGE": "60", "KYOSO_CONN_HEALTH_CHECKS": "on"}
    if "REDIS_URL" not in env:
        env["REDIS_URL"] = settings.REDIS_URL
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:prm.gunicorn_conf",
                               "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"],
                              env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "gunicorn exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn never listened"
                time.sleep(0.2)
        pids = []
        with django_db_blocker.unblock():
            for _round in range(3):
                for index, (vendor, partner, _user, key) in enumerate(two_vendors_signed_in):
                    other = two_vendors_signed_in[1 - index][1]
                    page = _get(port, vendor.domain_for("console").domain, "/partners/", key)
                    assert partner.name in page and other.name not in page
                    pids.append(_backends(application_name))
        assert len(pids[0]) == 1, "the worker closed its connection after the request"
        assert all(found == pids[0] for found in pids), f"the worker's connection changed: {pids}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _prepared(pattern: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [pattern])
        return cursor.fetchone()[0]


def test_a_statement_prepared_while_reading_one_vendor_reads_the_next_vendors_tables(two_vendors_signed_in,
                                                                                      django_db_blocker):
    """Statements are prepared on a kept connection inside prepared_statements (settings:
    KYOSO_DB_PREPARE_THRESHOLD); PostgreSQL parses a prepared statement again when search_path changed, so
    the partner list's statement prepared in one vendor's schema reads the other vendor's partners once the
    tenant changes."""
    (first, first_partner, _, _), (second, second_partner, _, _) = two_vendors_signed_in
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]

    def names() -> list[str]:
        return list(Partner.objects.filter(name__startswith="接続確認").values_list("name", flat=True))

    with django_db_blocker.unblock(), prepared_statements():
        with tenant_context(first):
            for _run in range(threshold + 1):
                assert names() == [first_partner.name]
            assert _prepared('%"partners_partner"."name"::text LIKE%') == 1, "the statement was not prepared"
        with tenant_context(second):
            assert names() == [second_partner.name]
        with tenant_context(first):
            assert names() == [first_partner.name]
        connection.set_schema_to_public()


def test_statements_are_planned_for_their_values_outside_the_pages_that_ask_for_prepared_ones(two_vendors_signed_in,
                                                                                              django_db_blocker):
    """A dashboard's, a command's or a task's statement is never prepared, however often it runs: a generic plan
    would ignore the dates and filters its values give."""
    (vendor, partner, _, _), _ = two_vendors_signed_in
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    statement = '%SELECT "partners_partner"."id" AS "pk", "partners_partner"."stage" AS "stage" FROM%'

    def read() -> None:
        found = Partner.objects.filter(name__endswith=partner.name[-6:]).values_list("pk", "stage")
        assert list(found) == [(partner.pk, partner.stage)]

    with django_db_blocker.unblock(), tenant_context(vendor):
        for _run in range(threshold * 3):
            read()
        assert _prepared(statement) == 0
        with prepared_statements():
            for _run in range(threshold + 1):
                read()
        assert _prepared(statement) == 1
    connection.set_schema_to_public()


def test_keyed_pages_bind_values_apart_and_write_big_statements_out_while_other_code_writes_every_value_in(people_a):
    """Inside prepared_statements a cursor sends its values apart (and so may prepare); a statement with more values
    than PostgreSQL's protocol takes (65,535) still runs there, written out; outside, cursors are Django's default."""
    from django.db.backends.postgresql.base import Cursor, ServerBindingCursor

    with tenant_context(people_a.tenant):
        with connection.cursor() as outside:
            assert type(outside.cursor) is Cursor
        with prepared_statements():
            with connection.cursor() as inside:
                assert isinstance(inside.cursor, ServerBindingCursor)
            many = list(range(10**9, 10**9 + 70_000))  # more values than one bound statement takes
            assert Partner.objects.filter(pk__in=[people_a.partner.pk, *many]).exclude(pk__in=many).count() == 1
        assert Partner.objects.filter(pk__in=[people_a.partner.pk, *many]).exclude(pk__in=many).count() == 1
    connection.set_schema_to_public()


def _plans(pattern: str) -> tuple[int, int]:
    """How often PostgreSQL ran the prepared statement like `pattern` with a generic plan and with a custom one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
                       "FROM pg_prepared_statements WHERE statement LIKE %s", [pattern])
        generic, custom = cursor.fetchone()
        return int(generic), int(custom)


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:  # outside prepared_statements: reads the setting, changes nothing
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        return cursor.fetchone()[0]


def test_keyed_pages_keep_one_generic_plan_and_every_other_bound_statement_is_planned_for_its_values(people_a):
    """Left to itself, PostgreSQL plans a prepared statement for its values on its first five runs and, for a
    statement of arrays of keys on the benchmark's tables, on every run after. Inside prepared_statements(generic=True)
    a statement keeps one generic plan from its first prepared run; inside prepared_statements() on the same
    connection afterwards, a statement is planned for its values again."""
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    partner = people_a.partner

    def read(tag: str) -> None:  # how the keyed pages read several partners' rows (e.g. programs.recognition's badges)
        with connection.cursor() as cursor:
            cursor.execute(f"WITH ids(id) AS (SELECT unnest(%s::bigint[])) SELECT p.name, '{tag}' FROM ids "
                           "JOIN partners_partner p ON p.id = ids.id", [[partner.pk]])
            assert cursor.fetchall() == [(partner.name, tag)]

    def plans(tag: str) -> tuple[int, int]:
        return _plans(f"%SELECT p.name, '{tag}' FROM ids%")

    with tenant_context(people_a.tenant):
        with prepared_statements():
            for _run in range(threshold + 4):
                read("before")
        assert plans("before") == (0, 4)
        with prepared_statements(generic=True):
            for _run in range(threshold + 4):
                read("keyed")
            assert _plan_cache_mode() == "force_generic_plan"
            with prepared_statements():  # a block inside keeps the outer block's generic plans
                read("keyed")
        assert plans("keyed") == (5, 0)
        with prepared_statements(generic=None):  # a key look-up on every request: runs with what the connection has
            read("either")
            assert _plan_cache_mode() == "force_generic_plan"
        with prepared_statements():
            for _run in range(threshold + 4):
                read("after")
            assert _plan_cache_mode() == "auto"
            with prepared_statements(generic=None):
                read("either")
                assert _plan_cache_mode() == "auto"
        assert plans("after") == (0, 4)
    connection.set_schema_to_public()


def test_a_rolled_back_plan_setting_is_set_again_before_the_next_keyed_statement(people_a):
    """A rollback undoes a SET made inside what it rolls back: the connection forgets what it set and sets it again,
    so a statement the matcher binds is never run with a generic plan it did not ask for, nor a keyed one without."""
    from django.db import transaction

    def keyed() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM partners_partner WHERE id = ANY(%s)", [[people_a.partner.pk]])

    with tenant_context(people_a.tenant):
        with prepared_statements():
            keyed()
        assert _plan_cache_mode() == "auto"
        with pytest.raises(RuntimeError), transaction.atomic():
            with prepared_statements(generic=True):
                keyed()
                assert _plan_cache_mode() == "force_generic_plan"
            raise RuntimeError("roll back")
        assert _plan_cache_mode() == "auto"  # undone with the savepoint
        with prepared_statements(generic=True):
            keyed()
            assert _plan_cache_mode() == "force_generic_plan"
        with pytest.raises(RuntimeError), transaction.atomic():
            with prepared_statements():
                keyed()
                assert _plan_cache_mode() == "auto"
            raise RuntimeError("roll back")
        assert _plan_cache_mode() == "force_generic_plan"
        with prepared_statements():
            keyed()
            assert _plan_cache_mode() == "auto"
    connection.set_schema_to_public()


def test_the_portal_home_keeps_generic_plans_and_a_registration_after_it_plans_the_customer_match_for_its_values(
        people_a):
    """On one connection, as a web worker serves them: the portal home's statements (badges: arrays of keys) keep one
    generic plan; a registration POST right after is planned for its values, where a generic plan of the customer
    matcher's statement took 300 ms on the benchmark's million registrations."""
    from datetime import timedelta

    from django.utils import timezone

    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    client = people_a.portal(people_a.partner_rep)
    for _run in range(threshold + 3):
        assert client.get("/").status_code == 200
    for run in range(threshold + 3):
        response = client.post("/deals/new/", {
            "customer_name": f"株式会社プラン確認{run}", "web_domain": f"plan{run}.co.jp", "amount": "500000",
            "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat(),
            **{role: "partner" for role in ("role_lead", "role_proposal", "role_contract", "role_billing",
                                            "role_support")}})
        assert response.status_code == 302, response.content.decode()[:2000]
    milestones = _plans("%SELECT MIN(d.registered_at) FROM deals_dealregistration d%")
    assert milestones[0] >= 3 and milestones[1] == 0, milestones
    match = _plans("%FROM deals_dealregistration t WHERE%")
    assert match[0] == 0 and match[1] >= 3, match
    assert client.get("/").status_code == 200
    assert _plans("%SELECT MIN(d.registered_at) FROM deals_dealregistration d%")[0] == milestones[0] + 1
