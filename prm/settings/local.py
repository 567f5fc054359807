"""Development: the two-command setup (./kyoso run) uses these."""

from prm.env import env_bool
from prm.settings.base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)

# Serve static files straight from the app and project folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
