"""PgBouncer in front of the test database: session mode keeps each client's session, transaction mode does not.

Each test starts Debian's pgbouncer (prm/pgbouncer.py, what `./kyoso test --pgbouncer` uses) with a
pool of ONE server connection, so two clients in turn are certain to share a PostgreSQL backend.
That makes visible what the README's "Connection pooling" section says: in session mode the pool
runs DISCARD ALL between clients and nothing leaks; in transaction mode the vendor's search_path,
server-side prepared statements and session advisory locks of one client reach the next one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from prm import embedded, pgbouncer
from prm.cli import pgbouncer_wanted


@pytest.fixture
def pgbouncer_binary() -> str:
    if not Path(pgbouncer.PGBOUNCER).exists() and not shutil.which("pgbouncer") and not shutil.which("apt-get"):
        pytest.skip(f"no PgBouncer and no apt-get on this machine ({pgbouncer.INSTALL_COMMAND} on Debian)")
    try:
        return pgbouncer.executable()
    except pgbouncer.PgBouncerMissing as error:
        pytest.fail(str(error))


@pytest.fixture
def test_database_url(db) -> str:
    params = connection.get_connection_params()
    host = params.get("host") or embedded.ensure_postgres()
    user, password = quote(params.get("user") or "postgres"), quote(params.get("password") or "")
    return f"postgresql://{user}:{password}@/{params['dbname']}?host={quote(host)}&port={params.get('port') or 5432}"


@pytest.fixture
def workdir() -> Path:
    path = embedded.data_dir() / f"pgbouncer-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _client(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, **kwargs)


def _advisory_locks(client: psycopg.Connection) -> int:
    """Advisory locks held by this client's backend (other test processes may hold their own)."""
    return client.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                          ).fetchone()[0]


def _vendor_schema() -> str:
    from prm.tenancy.models import Vendor

    return Vendor.objects.exclude(schema_name="public").order_by("slug").values_list("schema_name", flat=True)[0]


def test_session_mode_hands_the_next_client_a_clean_session(pgbouncer_binary, test_database_url, workdir):
    schema = _vendor_schema()
    with pgbouncer.running(test_database_url, workdir, pool_size=1) as url:
        with _client(url) as first:
            backend = first.execute("SELECT pg_backend_pid()").fetchone()[0]
            first.execute(f"SET search_path TO {schema}")
            first.execute("CREATE TEMP TABLE scratch (n int)")
            assert first.execute("SELECT pg_try_advisory_lock(4242)").fetchone()[0] is True
            assert first.execute("SELECT current_schema()").fetchone()[0] == schema
        with _client(url) as second:
            # The same backend (a pool of one), yet nothing of the first client is left.
            assert second.execute("SELECT pg_backend_pid()").fetchone()[0] == backend
            assert second.execute("SELECT current_schema()").fetchone()[0] == "public"
            assert second.execute("SELECT to_regclass('pg_temp.scratch')").fetchone()[0] is None
            assert _advisory_locks(second) == 0


def test_transaction_mode_leaks_the_vendor_schema_prepared_statements_and_session_locks(
        pgbouncer_binary, test_database_url, workdir):
    schema = _vendor_schema()
    with pgbouncer.running(test_database_url, workdir, pool_mode="transaction", pool_size=1) as url:
        with _client(url) as first, _client(url) as second:
            # django-tenants sets the vendor with a session-level SET, once per connection.
            first.execute(f"SET search_path TO {schema}")
            assert second.execute("SELECT current_schema()").fetchone()[0] == schema  # another client's vendor
            second.execute("SET search_path TO public")

            # A session advisory lock belongs to the backend, not to the client that took it.
            assert first.execute("SELECT pg_try_advisory_lock(4242)").fetchone()[0] is True
            assert second.execute("SELECT pg_advisory_unlock(4242)").fetchone()[0] is True

        # psycopg prepares a statement on the server after a few runs; the next client's
        # own statement of the same name meets it (PgBouncer before 1.21 does not track them).
        if pgbouncer.version(pgbouncer_binary) >= (1, 21):
            return
        with _client(url, prepare_threshold=0) as first, _client(url, prepare_threshold=0) as second:
            first.execute("SELECT 1")
            with pytest.raises(psycopg.Error) as taken:
                second.execute("SELECT 2")
            assert taken.value.sqlstate == "42P05", taken.value  # the prepared statement's name is taken


def test_transaction_mode_is_safe_for_set_local_inside_a_transaction(pgbouncer_binary, test_database_url, workdir):
    """The remedy the README names: the schema set per transaction dies with it."""
    schema = _vendor_schema()
    with pgbouncer.running(test_database_url, workdir, pool_mode="transaction", pool_size=1) as url:
        with _client(url) as first, _client(url) as second:
            with first.transaction():
                first.execute(f"SET LOCAL search_path TO {schema}")
                assert first.execute("SELECT current_schema()").fetchone()[0] == schema
                assert first.execute("SELECT pg_try_advisory_xact_lock(4242)").fetchone()[0] is True
            assert second.execute("SELECT current_schema()").fetchone()[0] == "public"
            assert _advisory_locks(second) == 0


def test_the_flag_and_the_variable_ask_for_pgbouncer(monkeypatch):
    monkeypatch.delenv("KYOSO_PGBOUNCER", raising=False)
    assert pgbouncer_wanted(["tests/x.py", "--pgbouncer", "-q"]) == (True, ["tests/x.py", "-q"])
    assert pgbouncer_wanted(["-q"]) == (False, ["-q"])
    monkeypatch.setenv("KYOSO_PGBOUNCER", "1")
    assert pgbouncer_wanted(["-q"]) == (True, ["-q"])


def test_the_configuration_routes_every_database_to_the_server_in_session_mode(tmp_path):
    upstream = pgbouncer.upstream_from_url("postgresql://app:p%27w%5Cd@db.example:6432/kyoso?sslmode=require")
    assert upstream == pgbouncer.Upstream(host="db.example", port=6432, user="app", password="p'w\\d",
                                          database="kyoso", sslmode="require")
    socket_upstream = pgbouncer.upstream_from_url("postgresql://postgres@/kyoso?host=/run/pg")
    assert (socket_upstream.host, socket_upstream.port) == ("/run/pg", 5432)
    ini, userlist = pgbouncer.config(upstream, 7000, "secret", tmp_path)
    assert "* = host='db.example' port=6432 user='app' password='p\\'w\\\\d'" in ini
    assert "pool_mode = session" in ini and "listen_addr = 127.0.0.1" in ini and "listen_port = 7000" in ini
    assert userlist == '"app" "secret"\n'
    assert "server_tls_sslmode = require" in ini
    assert "server_tls_sslmode" not in pgbouncer.config(socket_upstream, 7000, "secret", tmp_path)[0]
    with pytest.raises(ValueError):
        pgbouncer.config(upstream, 7000, "secret", tmp_path, pool_mode="statement")
