"""Tests: real PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set)."""

import os

from prm.env import redis_url_with_db
from prm.settings.base import *  # noqa: F403

# The demo vendor's seeding (seed_demo, demo_totp): development and tests only, never production.
TENANT_APPS = [*TENANT_APPS, "demo"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A test that needs real SMTP (the e-mail retry test) starts its own worker with these set.
EMAIL_BACKEND = env_str("KYOSO_TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")  # noqa: F405
KYOSO_EMAIL_DELIVERY = env_choice("KYOSO_EMAIL_DELIVERY", "inline", ["queue", "inline"])  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the app and project folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
MEDIA_ROOT = embedded.data_dir() / "test-media"  # noqa: F405

# Parallel test processes (pytest -n): each has its own test database (pytest-django adds the
# worker's name) and its own Redis database for the cache, which tests clear, so rate limits and
# cached values of one process never leak into another's.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER:
    for _alias in ("default", "platform"):  # one Redis database: cache.clear() empties both
        CACHES[_alias]["LOCATION"] = redis_url_with_db(REDIS_URL, 1 + int(_XDIST_WORKER.removeprefix("gw")))  # noqa: F405

# The scheduler tests start beat and worker processes on which beat schedules only one job:
# KYOSO_TEST_TENANT_JOB="task name,every seconds,spread seconds,slot seconds".
_test_job = env_str("KYOSO_TEST_TENANT_JOB", "")  # noqa: F405
if _test_job:
    _task, _every, _spread, _period = _test_job.split(",")
    KYOSO_TEST_TENANT_JOB = {"task": _task, "every_seconds": float(_every), "spread_seconds": int(_spread),
                             "period_seconds": int(_period)}
# …and have their workers look for messages a killed worker left unacknowledged every second.
if env_str("KYOSO_TEST_FAST_RESTORE", ""):  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
                                       "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
# Webhook receivers in tests listen on 127.0.0.1.
KYOSO_WEBHOOK_ALLOW_PRIVATE = env_bool("KYOSO_WEBHOOK_ALLOW_PRIVATE", True)  # noqa: F405
