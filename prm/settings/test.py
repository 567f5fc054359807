"""Tests: real PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set)."""

import os

from prm.env import redis_url_with_db
from prm.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A test that needs real SMTP (the e-mail retry test) starts its own worker with these set.
EMAIL_BACKEND = env_str("KYOSO_TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")  # noqa: F405
KYOSO_EMAIL_DELIVERY = env_choice("KYOSO_EMAIL_DELIVERY", "inline", ["queue", "inline"])  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(embedded.data_dir() / "celerybeat-schedule-test")  # noqa: F405

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
