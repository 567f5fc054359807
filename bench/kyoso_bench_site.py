"""Settings for `./kyoso bench web` only: the production settings, unchanged, plus the bench's anchor.

The anchor is a bare view at /__bench__/bare/: it answers from the last middleware, so a request to
it passes every middleware a page passes (tenant, session, language, CSRF, access checks) and then
does nothing. Nothing outside the bench names this module, so the route does not exist in production.
bench/web.py puts this folder on the server's PYTHONPATH and points DJANGO_SETTINGS_MODULE here.
"""

from __future__ import annotations

import os

from django.http import HttpResponse

from prm.settings.production import *  # noqa: F403
from prm.settings.production import MIDDLEWARE

BARE_PATH = "/__bench__/bare/"

# collectstatic writes the manifest the production storage needs here (a folder of the bench's).
STATIC_ROOT = os.environ["KYOSO_BENCH_STATIC_ROOT"]
if os.environ.get("KYOSO_BENCH_STATIC_PLAIN") == "1":
    # --smoke: the same manifest, without compressing every file first (a minute of CPU); pages look
    # their static files up alike either way.
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE, "kyoso_bench_site.BareViewMiddleware"]


class BareViewMiddleware:
    """The bare view: a fixed two-byte page once every other middleware has run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == BARE_PATH:
            return HttpResponse(b"ok", content_type="text/plain")
        return self.get_response(request)
