"""The Celery app. Every task carries the tenant schema it was sent from (tenant-schemas-celery)."""

from __future__ import annotations

import os

from celery import signals
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")


class KyosoCelery(CeleryApp):
    def _connection(self, url, *args, **kwargs):
        from django.conf import settings

        if getattr(settings, "KYOSO_EMBEDDED_REDIS", False):
            from prm import embedded

            embedded.ensure_redis()
        return super()._connection(url, *args, **kwargs)


app = KyosoCelery("prm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _use_django_logging(**kwargs):
    """Keep Django's LOGGING (with the tenant on every line) in workers too."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.worker_init.connect
def _import_weasyprint(**kwargs):
    """Import WeasyPrint (about a second) when the worker starts; forked pool processes inherit it, so the first
    PDF a task renders is not the slow one."""
    import weasyprint  # noqa: F401
