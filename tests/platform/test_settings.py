"""Settings refuse bad values, production is hardened, and commands without a database start none."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prm.env import (
    ImproperlyConfiguredEnv,
    connection_reuse,
    env_bool,
    env_int,
    env_list,
    parse_database_url,
    statement_reuse,
)

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env={**clean, **env},
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEBUG", "maybe"), ("KYOSO_PORT", "eighty"), ("KYOSO_PORT", "70000"), ("DATABASE_URL", "mysql://x/y"),
     ("REDIS_URL", "http://cache"), ("LOG_LEVEL", "LOUD"), ("ALLOWED_HOSTS", "a,,b")],
)
def test_it_refuses_to_start_with_a_bad_setting_and_names_it(variable, value):
    result = _manage("check", env={variable: value})
    assert result.returncode == 2
    assert f"Configuration error: {variable}" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_parses_environment_values_strictly(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_NUM", " 42 ")
    assert env_int("X_NUM", 0, minimum=1) == 42
    monkeypatch.setenv("X_LIST", "a.localhost, b.localhost")
    assert env_list("X_LIST", []) == ["a.localhost", "b.localhost"]
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfiguredEnv, match="X_NUM=0 is below the minimum 1"):
        env_int("X_NUM", 5, minimum=1)
    monkeypatch.delenv("KYOSO_CONN_MAX_AGE", raising=False)
    monkeypatch.delenv("KYOSO_CONN_HEALTH_CHECKS", raising=False)
    assert parse_database_url("DATABASE_URL", "postgresql://u:p%40ss@db:5433/kyoso") | {"ENGINE": ""} == {
        "ENGINE": "", "NAME": "kyoso", "USER": "u", "PASSWORD": "p@ss", "HOST": "db", "PORT": "5433",
        "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"prepare_threshold": 5},
    }
    with pytest.raises(ImproperlyConfiguredEnv, match="no database name"):
        parse_database_url("DATABASE_URL", "postgresql://db:5432/")


def test_connections_persist_for_a_minute_with_health_checks_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv("KYOSO_CONN_MAX_AGE", raising=False)
    monkeypatch.delenv("KYOSO_CONN_HEALTH_CHECKS", raising=False)
    assert connection_reuse() == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    monkeypatch.setenv("KYOSO_CONN_MAX_AGE", "0")
    monkeypatch.setenv("KYOSO_CONN_HEALTH_CHECKS", "off")
    assert connection_reuse() == {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}
    assert parse_database_url("DATABASE_URL", "postgresql://u@db/kyoso")["CONN_MAX_AGE"] == 0
    for bad in ("-1", "forever", "99999999"):
        monkeypatch.setenv("KYOSO_CONN_MAX_AGE", bad)
        with pytest.raises(ImproperlyConfiguredEnv, match="KYOSO_CONN_MAX_AGE"):
            connection_reuse()


def test_statements_are_prepared_after_five_runs_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv("KYOSO_DB_PREPARE_THRESHOLD", raising=False)
    assert statement_reuse() == {"prepare_threshold": 5}
    monkeypatch.setenv("KYOSO_DB_PREPARE_THRESHOLD", "2")
    assert statement_reuse() == {"prepare_threshold": 2}
    assert parse_database_url("DATABASE_URL", "postgresql://u@db/kyoso?sslmode=require")["OPTIONS"] == {
        "prepare_threshold": 2, "sslmode": "require"}
    for off in ("off", "0", "no"):
        monkeypatch.setenv("KYOSO_DB_PREPARE_THRESHOLD", off)
        assert statement_reuse() == {}
        assert "OPTIONS" not in parse_database_url("DATABASE_URL", "postgresql://u@db/kyoso")
    for bad in ("-1", "often", "5000"):
        monkeypatch.setenv("KYOSO_DB_PREPARE_THRESHOLD", bad)
        with pytest.raises(ImproperlyConfiguredEnv, match="KYOSO_DB_PREPARE_THRESHOLD"):
            statement_reuse()


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "prm.settings.production",
    "SECRET_KEY": "x" * 20 + "production-secret-for-the-deploy-check-0123456789",
    "DATABASE_URL": "postgresql://kyoso@db.internal:5432/kyoso",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ALLOWED_HOSTS": ".kyoso.example",
}


def test_it_passes_the_deploy_check_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(("value", "sent"), [(None, "False"), ("on", "True"), ("off", "False")])
def test_the_sender_publishes_task_sent_events_only_when_asked_and_workers_always_publish_theirs(value, sent):
    """A request that queues a task sends one message, not two, unless KYOSO_CELERY_SENT_EVENTS=on."""
    env = PRODUCTION_ENV | ({"KYOSO_CELERY_SENT_EVENTS": value} if value else {})
    result = _manage("shell", "--no-imports", "-c", "from prm.celery import app; "
                     "print(app.conf.task_send_sent_event, app.conf.worker_send_task_events)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [sent, "True"]


def test_it_refuses_production_without_a_real_secret_key():
    result = _manage("check", env=PRODUCTION_ENV | {"SECRET_KEY": "short"})
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def test_it_starts_no_database_for_a_command_that_needs_none(tmp_path):
    env = {"KYOSO_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": ""}
    result = _manage("help", env=env)
    assert result.returncode == 0
    assert not (tmp_path / "pgdata").exists()
    assert not (tmp_path / "redis" / "redis.pid").exists()


def test_it_sends_security_headers(people_a):
    response = people_a.console().get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_it_writes_the_tenant_on_every_log_line(people_a, caplog):
    from django.conf import settings

    formatter = logging.Formatter(settings.LOGGING["formatters"]["text"]["format"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = people_a.console(people_a.channel_manager).get("/no-such-page/")
    record = next(r for r in caplog.records if "no-such-page" in r.getMessage())
    # The project's log handler stamped the record with the tenant and the request id while the request ran.
    assert f"[v_alpha alpha.localhost {response['X-Request-ID']}]" in formatter.format(record)
