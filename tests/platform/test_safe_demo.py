"""The demo is safe to show, and production refuses what would make it unsafe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import OperationalError
from django.http import Http404
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from prm.cli import runserver_address
from prm.env import ImproperlyConfiguredEnv, parse_database_url, statement_reuse

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = {
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=1",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "prm.settings.production",
    "SECRET_KEY": "x" * 20 + "production-secret-for-the-deploy-check-0123456789",
    "DATABASE_URL": "postgresql://kyoso@db.internal:5432/kyoso",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ALLOWED_HOSTS": ".kyoso.example",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "KYOSO_DEBUG", "KYOSO_BIND", "ALLOWED_HOSTS"}}
    return subprocess.run([sys.executable, *args], env={**clean, **env}, capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return _run([str(ROOT / "manage.py"), *args], env)


# ------------------------------------------------------------------ ./kyoso run


def test_it_binds_the_demo_to_this_machine_unless_told_otherwise():
    assert runserver_address(None, "8000") == (["127.0.0.1:8000"], "127.0.0.1")
    assert runserver_address("", "8000") == (["127.0.0.1:8000"], "127.0.0.1")
    assert runserver_address("0.0.0.0", "8001") == (["0.0.0.0:8001"], "127.0.0.1")
    assert runserver_address("::", "8000") == (["[::]:8000", "--ipv6"], "::1")
    with pytest.raises(ImproperlyConfiguredEnv, match="KYOSO_BIND='everywhere' is not an IP address"):
        runserver_address("everywhere", "8000")


def test_it_refuses_a_bad_bind_address_before_starting_anything(tmp_path):
    result = _run(["-m", "prm.cli", "run"], {"KYOSO_BIND": "everywhere", "KYOSO_DATA_DIR": str(tmp_path),
                                             "DATABASE_URL": "", "REDIS_URL": ""})
    assert result.returncode == 2
    assert "Configuration error: KYOSO_BIND" in result.stderr
    assert not (tmp_path / "pgdata").exists()


# ------------------------------------------------------------------ error pages

_REQUEST_WITH_THE_DATABASE_DOWN = textwrap.dedent("""
    import django
    django.setup()
    from django.test import Client
    response = Client(HTTP_HOST="alpha.localhost", raise_request_exception=False).get("/")
    print(response.status_code)
    print(response.content.decode())
""")


def test_it_serves_the_branded_500_page_in_development_when_the_database_is_down():
    result = _run(["-c", _REQUEST_WITH_THE_DATABASE_DOWN], {"DJANGO_SETTINGS_MODULE": "prm.settings.local", **UNREACHABLE})
    status, _, body = result.stdout.partition("\n")
    assert status == "500", result.stderr[-2000:]
    assert "Sorry, something went wrong." in body and "エラーが発生しました" in body
    assert "OperationalError" not in body and "SECRET_KEY" not in body


def test_it_shows_debug_pages_only_when_asked_for():
    result = _run(["-c", _REQUEST_WITH_THE_DATABASE_DOWN],
                  {"DJANGO_SETTINGS_MODULE": "prm.settings.local", "KYOSO_DEBUG": "1", **UNREACHABLE})
    status, _, body = result.stdout.partition("\n")
    assert status == "500", result.stderr[-2000:]
    assert "OperationalError" in body


def _database_down():
    raise OperationalError("connection refused")


def test_it_renders_the_404_page_without_a_database_or_a_vendor():
    """No `db` fixture: any query here would fail the test. The session (user) is unreachable too."""
    from prm.views import page_not_found, server_error

    request = RequestFactory().get("/missing/")
    request.user = SimpleLazyObject(_database_down)
    request.site_kind = "console"
    response = page_not_found(request, Http404())
    assert response.status_code == 404
    body = response.content.decode()
    assert "bootstrap.min.css" in body and "kyoso-error-page" in body

    bare = RequestFactory().get("/boom/")  # nothing set by the middleware: no tenant, no user
    assert page_not_found(bare, Http404()).status_code == 404
    error = server_error(bare)
    assert error.status_code == 500 and "Sorry, something went wrong." in error.content.decode()


# ------------------------------------------------------------------ production settings


def test_it_refuses_production_without_allowed_hosts_or_with_a_wildcard():
    missing = _manage("check", env=PRODUCTION_ENV | {"ALLOWED_HOSTS": ""})
    assert missing.returncode == 2 and "Configuration error: ALLOWED_HOSTS must be set" in missing.stderr
    wildcard = _manage("check", env=PRODUCTION_ENV | {"ALLOWED_HOSTS": "*"})
    assert wildcard.returncode == 2 and "Configuration error: ALLOWED_HOSTS" in wildcard.stderr


def test_it_refuses_the_example_secret_keys_in_production():
    compose = (ROOT / "docker-compose.yml").read_text()
    # docker-compose.yml prints no key of its own any more: it stops unless SECRET_KEY is set.
    assert re.search(r"SECRET_KEY: \$\{SECRET_KEY:\?", compose)
    earlier_compose_example = "compose-demo-secret-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
    assert len(earlier_compose_example) >= 50  # long enough to pass a length check: it must be refused by name
    for key in (earlier_compose_example, "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"):
        result = _manage("check", env=PRODUCTION_ENV | {"SECRET_KEY": key})
        assert result.returncode == 2
        assert "Configuration error: SECRET_KEY is an example value" in result.stderr


def test_it_keeps_every_database_url_option():
    url = ("postgresql://kyoso:pw@db.internal:6432/kyoso?sslmode=verify-full&sslrootcert=/etc/kyoso/ca.pem"
           "&connect_timeout=5&application_name=kyoso-web&target_session_attrs=read-write")
    assert parse_database_url("DATABASE_URL", url)["OPTIONS"] == {
        "sslmode": "verify-full", "sslrootcert": "/etc/kyoso/ca.pem", "connect_timeout": "5",
        "application_name": "kyoso-web", "target_session_attrs": "read-write",
        **statement_reuse(),  # prepared statements: prm.env's setting, beside the address's own options
    }
    socket = parse_database_url("DATABASE_URL", "postgresql://postgres@/kyoso?host=/run/pg&port=5433")
    assert (socket["HOST"], socket["PORT"], socket["OPTIONS"]) == ("/run/pg", "5433", statement_reuse())
    shown = _run(["-c", "import django; django.setup(); from django.conf import settings; "
                        "print(sorted(settings.DATABASES['default']['OPTIONS'].items()))"],
                 PRODUCTION_ENV | {"DATABASE_URL": url})
    assert shown.returncode == 0, shown.stderr
    assert "('sslmode', 'verify-full')" in shown.stdout and "('connect_timeout', '5')" in shown.stdout


@pytest.mark.parametrize(("query", "message"), [
    ("sslmode=maybe", "sslmode='maybe' must be one of"),
    ("connect_timeout=soon", "connect_timeout='soon' is not a whole number"),
    ("sslmode=require&sslmode=disable", "gives the option 'sslmode' more than once"),
    ("sslrootcert=", "the option 'sslrootcert' has no value"),
])
def test_it_names_a_bad_database_url_option(query, message):
    with pytest.raises(ImproperlyConfiguredEnv, match=re.escape(message)):
        parse_database_url("DATABASE_URL", f"postgresql://kyoso@db/kyoso?{query}")


def test_it_refuses_a_bad_trusted_proxy_count():
    result = _manage("check", env={"ALLAUTH_TRUSTED_PROXY_COUNT": "two"})
    assert result.returncode == 2
    assert "Configuration error: ALLAUTH_TRUSTED_PROXY_COUNT" in result.stderr
