"""Health: what /healthz checks, and the containers' healthcheck commands.

/healthz is answered by HealthCheckMiddleware, first in the chain: before the ALLOWED_HOSTS
check and the tenant look-up, so a load balancer probing by IP address (or any Host) gets an
answer. It reads nothing from the request and says only which dependency failed.

    python -m prm.health beat     exit 0 while Celery beat, active or standby, touches its heartbeat file
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
CHECK_TIMEOUT_SECONDS = 3
BEAT_HEARTBEAT_MAX_AGE_SECONDS = 180  # beat ticks at least once a minute (CELERY_BEAT_MAX_LOOP_INTERVAL)


def beat_heartbeat_path() -> Path:
    from prm import embedded

    return embedded.data_dir() / "beat-heartbeat"


def _database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def _broker() -> None:
    from django.conf import settings

    from prm.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=CHECK_TIMEOUT_SECONDS)
        connection.default_channel  # noqa: B018  opening a channel talks to the broker


CHECKS = {"database": _database, "redis": _redis, "broker": _broker}


def run_checks() -> tuple[bool, dict[str, str]]:
    """Each dependency's state: "ok", or "error: <exception class>" (the details go to the log)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # noqa: BLE001  any failure is a failed check
            logger.warning("health check %s failed: %r", name, error)
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = "ok"
    return all(value == "ok" for value in results.values()), results


class HealthCheckMiddleware:
    """Answer GET/HEAD /healthz for any Host, before host validation and tenant resolution."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            from prm.views import healthz

            return healthz(request)
        return self.get_response(request)


def beat_alive(now: float | None = None) -> bool:
    try:
        age = (now or time.time()) - beat_heartbeat_path().stat().st_mtime
    except FileNotFoundError:
        return False
    return age <= BEAT_HEARTBEAT_MAX_AGE_SECONDS


def main(argv: list[str]) -> int:
    if argv == ["beat"]:
        if beat_alive():
            return 0
        print(f"no beat heartbeat in the last {BEAT_HEARTBEAT_MAX_AGE_SECONDS} s ({beat_heartbeat_path()})")
        return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
