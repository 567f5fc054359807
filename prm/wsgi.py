import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.production")

application = get_wsgi_application()

# WeasyPrint takes about a second to import (its Pango/HarfBuzz bindings): pay it once when the web
# worker starts, not on the first statement, certificate or QBR pack someone downloads.
import weasyprint  # noqa: E402,F401

# The sites' URL confs and the templates, loaded and compiled now rather than on each worker's first pages.
from prm.warmup import warm_up  # noqa: E402

warm_up()

# Everything loaded so far (Django, the apps, their views, templates and WeasyPrint) lives as long as the worker:
# moved out of the collector's reach, a full collection walks only what requests allocate instead of
# several hundred thousand start-up objects (a pause of tens of milliseconds every few hundred requests).
gc.freeze()
