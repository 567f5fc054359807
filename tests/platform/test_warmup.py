"""A web worker loads the sites' views and compiles the templates when it starts, not on its first pages."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import sys
import time
import django
django.setup()
from django.template import engines
loader = engines["django"].engine.template_loaders[0]
before = "partners.views.partners" in sys.modules, len(loader.get_template_cache)
import prm.wsgi
after = "partners.views.partners" in sys.modules, len(loader.get_template_cache)
from django.urls import resolve, reverse
started = time.process_time()
reverse("partner_list", urlconf="prm.urls_console")
resolve("/partners/", urlconf="prm.urls_console")
loader.get_template("partners/partner_list.html")
print(*before, *after, round((time.process_time() - started) * 1000, 1))
"""


def test_the_wsgi_module_loads_every_sites_views_and_templates_before_the_first_request():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test"}
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded_before, cached_before, loaded_after, cached_after, first_ms = result.stdout.split("\n")[-2].split()
    assert (loaded_before, cached_before) == ("False", "0")  # Django alone loads them on the first request
    assert loaded_after == "True"
    assert int(cached_after) > 200  # the project's templates, compiled
    # The console's first reverse, resolve and page template are then look-ups, not imports and compilation.
    assert float(first_ms) < 20
