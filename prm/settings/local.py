"""Development: the two-command setup (./kyoso run) uses these."""

from prm.env import env_bool
from prm.settings.base import *  # noqa: F403

# The demo vendor's seeding (seed_demo, demo_totp): development and tests only, never production.
TENANT_APPS = [*TENANT_APPS, "demo"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405

# Branded error pages unless debug pages are asked for (KYOSO_DEBUG=1, or DEBUG=1): a demo
# shown to a customer must not print settings and tracebacks.
DEBUG = env_bool("KYOSO_DEBUG", DEBUG)  # noqa: F405

# Serve static files straight from the app and project folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A developer's receiver listens on this machine (http://127.0.0.1:…); production refuses such addresses.
KYOSO_WEBHOOK_ALLOW_PRIVATE = env_bool("KYOSO_WEBHOOK_ALLOW_PRIVATE", True)
