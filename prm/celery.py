"""The Celery app. Every task carries the tenant schema it was sent from (tenant-schemas-celery)."""

from __future__ import annotations

import os
from pathlib import Path

from celery import signals
from celery.beat import PersistentScheduler
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


class HeartbeatScheduler(PersistentScheduler):
    """Beat's own scheduler, touching a heartbeat file on every tick for the container's healthcheck."""

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        from prm.health import beat_heartbeat_path

        beat_heartbeat_path().touch()
        return interval


@signals.task_prerun.connect
def _log_under_task_id(task_id=None, task=None, **kwargs):
    """A task's log lines carry its task id where a request's carry the request id."""
    from prm.logs import bind_request_id

    if task is not None:
        task.request.kyoso_log_token = bind_request_id(task_id or "-")


@signals.task_postrun.connect
def _end_task_log_id(task=None, **kwargs):
    from prm.logs import reset_request_id

    token = getattr(getattr(task, "request", None), "kyoso_log_token", None)
    if token is not None:
        try:
            reset_request_id(token)
        except ValueError:  # set in another context (a pool that switched threads)
            pass


@signals.worker_ready.connect
def _announce_ready(**kwargs):
    """./kyoso run waits for this file to print the demo addresses after the worker's banner."""
    ready_file = os.environ.get("KYOSO_WORKER_READY_FILE")
    if ready_file:
        Path(ready_file).write_text(str(os.getpid()))


@signals.worker_init.connect
def _import_weasyprint(**kwargs):
    """Import WeasyPrint (about a second) when the worker starts; forked pool processes inherit it, so the first
    PDF a task renders is not the slow one."""
    import weasyprint  # noqa: F401
