"""The Celery app. Every task carries the tenant schema it was sent from (tenant-schemas-celery)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kombu.transport
import redis.exceptions
from celery import signals
from celery.utils.log import get_logger
from kombu.transport import redis as kombu_redis
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, RedBeatScheduler, acquire_distributed_beat_lock, get_redis
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")

logger = get_logger("celery.beat")


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, with one redis-py client for its commands instead of one per command.

    kombu builds a new client for every message it sends (and for its task-sent event), and a redis-py client
    builds its table of ~170 response callbacks when it is made: a third of a send's CPU. The client is only a
    handle on the channel's connection pool (it holds no connection between commands, and is safe to share
    between threads), so one per pool sends the same commands over the same connections.
    """

    _kyoso_client: redis.Redis | None = None

    @contextmanager
    def conn_or_acquire(self, client=None) -> Iterator[redis.Redis]:
        if client:
            yield client
            return
        pool = self.pool
        if self._kyoso_client is None or self._kyoso_client.connection_pool is not pool:
            self._kyoso_client = self._create_client()
        yield self._kyoso_client


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel


# kombu finds the transport of a redis:// or redis+socket:// broker URL by this name, for the app's connections and
# for the copies its producer pool makes of them (which keep the URL, not a transport class given to the first).
kombu.transport.TRANSPORT_ALIASES["redis"] = "prm.celery:RedisTransport"


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


class HeartbeatScheduler(RedBeatScheduler):
    """celery-redbeat's scheduler, for one active beat however many are started.

    The schedule and each entry's last run live in Redis, so a beat that takes over neither repeats
    nor skips a run. A beat schedules only while it holds the Redis lock, extended on every tick;
    until then it is a standby that tries for the lock once a tick (redbeat's own start-up wait
    blocks, which would starve the heartbeat). Every tick, standby or active, touches the heartbeat
    file the container's healthcheck reads.
    """

    def __init__(self, app, *args, **kwargs):
        # redbeat checks for its settings under their bare names, Django hands them over prefixed
        # (CELERY_REDBEAT_…): name them again so it does not warn of falling back to the broker's.
        for name in ("redbeat_redis_url", "redbeat_redis_options"):
            app.conf[name] = app.conf.first(name)
        super().__init__(app, *args, **kwargs)

    def setup_schedule(self) -> None:
        """Write the static entries into Redis only once this beat holds the lock (see tick)."""
        if not self.app.redbeat_conf.lock_key:
            super().setup_schedule()

    def tick(self, *args, **kwargs):
        from prm.health import beat_heartbeat_path

        if self.lock_key and self.lock is None and not self._acquire_lock():
            beat_heartbeat_path().write_text("standby")
            return self.max_interval
        try:
            interval = super().tick(*args, **kwargs)
        except redis.exceptions.LockError:
            # Redis lost the lock (restarted, or this process stalled past the timeout) and another
            # beat may hold it now: stop scheduling and wait as a standby.
            logger.warning("beat: lost the scheduler lock %s; waiting as a standby", self.lock_key)
            self.lock = None
            return self.max_interval
        beat_heartbeat_path().write_text("active")
        return interval

    def _acquire_lock(self) -> bool:
        client = get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
        lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)  # extend *to* the timeout, as redbeat does
        if not lock.acquire(blocking=False):
            return False
        self.lock = lock
        logger.info("beat: acquired the scheduler lock %s; this beat schedules", self.lock_key)
        super().setup_schedule()
        return True


# redbeat's own start-up handler waits for the lock without ticking; HeartbeatScheduler.tick takes it.
signals.beat_init.disconnect(acquire_distributed_beat_lock)


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
