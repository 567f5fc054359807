"""WeasyPrint (about a second to import) is imported when a web or Celery worker starts, not on the first PDF."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import sys
import django
django.setup()
before = "weasyprint" in sys.modules
{start}
print(before, "weasyprint" in sys.modules)
"""


def _probe(start: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test"}
    result = subprocess.run([sys.executable, "-c", PROBE.format(start=start)], env=env, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[-2]


def test_the_wsgi_module_imports_weasyprint_when_the_web_worker_loads_it():
    assert _probe("import prm.wsgi") == "False True"  # Django alone does not import it: the WSGI module does


def test_a_celery_worker_imports_weasyprint_when_it_starts():
    assert _probe("from celery import signals\nfrom prm.celery import app\nsignals.worker_init.send(sender=None)") \
        == "False True"


FREEZE_PROBE = """
import gc
import django
django.setup()
import prm.wsgi
frozen = gc.get_freeze_count()
started = __import__("time").perf_counter()
gc.collect()
print(frozen, round((__import__("time").perf_counter() - started) * 1000, 1))
"""


def test_the_web_worker_moves_its_start_up_objects_out_of_the_collectors_reach():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test"}
    result = subprocess.run([sys.executable, "-c", FREEZE_PROBE], env=env, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    frozen, _collect_ms = result.stdout.split("\n")[-2].split()
    # Django, the apps and WeasyPrint: well over a hundred thousand objects a full collection no longer walks.
    assert int(frozen) > 100_000
