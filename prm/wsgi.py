import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.production")

application = get_wsgi_application()

# WeasyPrint takes about a second to import (its Pango/HarfBuzz bindings): pay it once when the web
# worker starts, not on the first statement, certificate or QBR pack someone downloads.
import weasyprint  # noqa: E402,F401

# Everything loaded so far (Django, the apps, their modules and WeasyPrint) lives as long as the worker:
# moved out of the collector's reach, a full collection walks only what requests allocate instead of
# several hundred thousand start-up objects (a pause of tens of milliseconds every few hundred requests).
gc.freeze()
