"""/healthz over real HTTP, request ids and JSON log lines, metrics only when asked for."""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test import override_settings

from prm.logs import JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[2]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_server(db):
    """The project's WSGI application on a real socket of this machine."""
    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_QuietHandler)
    def serve():
        try:
            server.serve_forever()
        finally:
            connections.close_all()  # the server thread's own database connection

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _get(port: int, path: str, host: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["lb-probe.internal.example", "10.0.0.7:8000", "localhost"])
def test_healthz_answers_any_host_with_each_check(http_server, host):
    status, headers, body = _get(http_server, "/healthz", host)
    assert status == 200, body
    assert json.loads(body) == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "broker": "ok"}}
    assert headers["Content-Type"] == "application/json"


def test_only_the_exact_health_path_skips_tenant_resolution(http_server):
    for path in ("/", "/healthz/", "/healthzz", "/admin/healthz"):
        status, _, body = _get(http_server, path, "lb-probe.internal.example")
        assert status in (400, 404), path  # a host no vendor owns, as before
        assert b'"checks"' not in body, path


def test_healthz_is_503_naming_redis_and_the_broker_when_they_are_down(http_server):
    down = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with override_settings(REDIS_URL=down, CELERY_BROKER_URL=down):
        status, _, body = _get(http_server, "/healthz", "lb-probe.internal.example")
    assert status == 503
    answer = json.loads(body)
    assert answer["status"] == "error"
    assert answer["checks"]["database"] == "ok"
    assert answer["checks"]["redis"].startswith("error: ")
    assert answer["checks"]["broker"].startswith("error: ")


def _capture_json_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    from django_tenants.log import TenantContextFilter

    handler.addFilter(TenantContextFilter())
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    return stream, handler


def test_a_json_log_line_carries_the_tenant_and_the_given_request_id(people_a):
    stream, handler = _capture_json_lines()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = people_a.console(people_a.channel_manager).get("/no-such-page/", HTTP_X_REQUEST_ID="lb-4f2a9c")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    assert response["X-Request-ID"] == "lb-4f2a9c"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "Django logs the 404"
    assert lines[-1]["tenant"] == people_a.tenant.schema_name
    assert lines[-1]["request_id"] == "lb-4f2a9c"
    assert lines[-1]["level"] == "WARNING" and "/no-such-page/" in lines[-1]["message"]


def test_a_request_without_an_id_gets_one_and_a_malformed_id_is_replaced(people_a):
    client = people_a.console(people_a.channel_manager)
    first = client.get("/")["X-Request-ID"]
    second = client.get("/")["X-Request-ID"]
    assert len(first) == 32 and first != second
    replaced = client.get("/", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert len(replaced) == 32 and "\n" not in replaced


def test_the_log_format_option_switches_the_console_to_json():
    # The default is readable text; KYOSO_LOG_FORMAT=json selects the JSON formatter.
    script = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test"}
    env.pop("KYOSO_LOG_FORMAT", None)
    text = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + script], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()
    as_json = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + script],
                             env={**env, "KYOSO_LOG_FORMAT": "json"}, cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    assert (text, as_json) == ("text", "json")


def test_metrics_are_off_by_default(db):
    from django.test import Client

    assert settings.KYOSO_METRICS is False
    assert "django_prometheus" not in settings.INSTALLED_APPS
    assert Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_metrics_with_the_flag_answer_this_machine_or_the_token_only():
    script = textwrap.dedent("""
        import django
        django.setup()
        from django.test import Client
        print(Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code)
        print(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").get("/metrics").status_code)
        print(Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code)
        print(Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code)
        response = Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-secret").get("/metrics")
        print(response.status_code)
        print("django_http_requests_before_middlewares_total" in response.content.decode())
    """)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test", "KYOSO_METRICS": "1",
           "KYOSO_METRICS_TOKEN": "scrape-secret"}
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "404", "404", "404", "200", "True"]


def test_celery_sends_task_events():
    """The workers' events (received, started, succeeded, failed) always; the sender's task-sent event only with
    KYOSO_CELERY_SENT_EVENTS=on (tests/platform/test_settings.py), as it doubles the messages a request sends."""
    from prm.celery import app

    assert app.conf.worker_send_task_events is True
    assert app.conf.task_send_sent_event is (os.environ.get("KYOSO_CELERY_SENT_EVENTS") == "on")


def test_sentry_is_initialised_only_with_a_dsn():
    script = textwrap.dedent("""
        import django
        django.setup()
        import sentry_sdk
        client = sentry_sdk.get_client()
        print(client.is_active(), client.dsn)
    """)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test"}
    env.pop("SENTRY_DSN", None)
    off = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    on = subprocess.run([sys.executable, "-c", script], env={**env, "SENTRY_DSN": "https://key@sentry.invalid/1"},
                        cwd=ROOT, capture_output=True, text=True)
    assert off.returncode == 0 and on.returncode == 0, off.stderr + on.stderr
    assert off.stdout.split() == ["False", "None"]
    assert on.stdout.split() == ["True", "https://key@sentry.invalid/1"]
