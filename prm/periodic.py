"""Per-tenant periodic jobs.

Beat fires one fan-out task per job; the fan-out enqueues the job once per tenant with a
countdown derived from a hash of the schema and the job, spread over the job's window, so
the tenants do not all hit the database at the same instant and each tenant keeps the same
offset from run to run.

Each tenant's job runs at most once per slot (the night for a nightly job, the hour for an
hourly one): the fan-out stamps every message with the slot it was fired for, and the job
claims (schema, task, slot) in prm.models.TenantJobRun before it starts. Delivery is at least
once (acks_late; Redis hands an unacknowledged message out again after the visibility timeout;
a fan-out whose worker died is run again and re-sends every tenant's job), so the claim is what
makes a repeated message harmless:

    no row                        claim it and run
    done                          skip
    running, within its lease     another attempt is running: look again when the lease ends
    running, lease over           that attempt died with its worker: take it over and run
    failed                        run again (a re-sent message, or an operator's re-send)

The lease is the task's hard time limit: past it the attempt cannot still be running.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from celery.schedules import crontab, schedule
from django.conf import settings
from django.db import connection

from prm.celery import app

DAY = 24 * 60 * 60
HOUR = 60 * 60
# Slots are counted from a Monday midnight, local time, so daily slots start at midnight and
# weekly ones on Mondays.
SLOT_ANCHOR = datetime(2000, 1, 3)
# A job whose attempts in one slot died (with their worker) or failed this many times is not run again in it.
JOB_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class TenantJob:
    task: str
    schedule: crontab | schedule
    spread_seconds: int
    # How often the schedule fires: the length of the slot in which the job runs at most once.
    period_seconds: int = DAY


TENANT_JOBS: dict[str, TenantJob] = {
    "api-idempotency-prune": TenantJob(
        task="api.tasks.idempotency_prune",
        schedule=crontab(hour=3, minute=40),
        spread_seconds=30 * 60,
    ),
    "invitations-expire": TenantJob(
        task="prm.invitations.tasks.invitations_expire",
        schedule=crontab(minute=5),
        spread_seconds=15 * 60,
        period_seconds=HOUR,
    ),
    "deals-expire": TenantJob(
        task="deals.tasks.deals_expire",
        schedule=crontab(hour=6, minute=0),
        spread_seconds=30 * 60,
    ),
    "lead-offers-expire": TenantJob(
        task="deals.tasks.lead_offers_expire",
        schedule=crontab(minute=20),
        spread_seconds=10 * 60,
        period_seconds=HOUR,
    ),
    "tiers-evaluate": TenantJob(
        task="programs.tasks.tiers_evaluate",
        schedule=crontab(hour=4, minute=0),
        spread_seconds=60 * 60,
    ),
    "health-recalculate": TenantJob(
        task="insights.tasks.health_recalculate",
        schedule=crontab(hour=5, minute=0),
        spread_seconds=60 * 60,
    ),
    "contact-stages-recompute": TenantJob(
        task="partners.tasks.contact_stages_recompute",
        schedule=crontab(hour=3, minute=0),
        spread_seconds=60 * 60,
    ),
    # After the contact stages: "an active contact" is one of the lifecycle rules.
    "partner-stages-recompute": TenantJob(
        task="partners.tasks.partner_stages_recompute",
        schedule=crontab(hour=4, minute=30),
        spread_seconds=60 * 60,
    ),
    "overlaps-recompute": TenantJob(
        task="mapping.tasks.overlaps_recompute",
        schedule=crontab(hour=2, minute=30),
        spread_seconds=60 * 60,
    ),
    "notifications-digest": TenantJob(
        task="prm.notifications.tasks.notifications_digest",
        schedule=crontab(hour=18, minute=0),
        spread_seconds=30 * 60,
    ),
    "commission-runs-fail-stale": TenantJob(
        task="incentives.tasks.commission_runs_fail_stale",
        schedule=crontab(minute="*/5"),
        spread_seconds=60,
        period_seconds=5 * 60,
    ),
    "retention-purge": TenantJob(
        task="prm.tasks.retention_purge",
        schedule=crontab(hour=1, minute=30),
        spread_seconds=60 * 60,
    ),
    # Outbox rows whose dispatch was never queued, and deliveries whose retry is due: the safety net
    # under the tasks queued on commit and on failure, so every committed event goes out at least once.
    "webhooks-sweep": TenantJob(
        task="webhooks.tasks.webhooks_sweep",
        schedule=crontab(minute="*"),
        spread_seconds=30,
        # No claim per slot: a sweep run twice sends nothing twice (each delivery is locked and marked), and a
        # claim row per vendor per minute would be the scheduler's biggest table.
        period_seconds=0,
    ),
    "certifications-remind": TenantJob(
        task="enablement.tasks.certifications_remind",
        schedule=crontab(hour=7, minute=0),
        spread_seconds=30 * 60,
    ),
}


def tenant_offset_seconds(schema_name: str, task_name: str, spread_seconds: int) -> int:
    if spread_seconds <= 0:
        return 0
    return zlib.crc32(f"{schema_name}:{task_name}".encode()) % spread_seconds


def scheduled_jobs() -> dict[str, TenantJob]:
    """TENANT_JOBS, or only the one job the scheduler tests name (KYOSO_TEST_TENANT_JOB, test settings)."""
    spec = getattr(settings, "KYOSO_TEST_TENANT_JOB", None)
    if not spec:
        return TENANT_JOBS
    return {"test-job": TenantJob(task=spec["task"], schedule=schedule(timedelta(seconds=spec["every_seconds"])),
                                  spread_seconds=spec["spread_seconds"], period_seconds=spec["period_seconds"])}


def beat_schedule(jobs: dict[str, TenantJob]) -> dict[str, dict]:
    return {
        name: {
            "task": "prm.tasks.tenants_fan_out",
            "schedule": job.schedule,
            "args": (job.task, job.spread_seconds),
            "kwargs": {"period_seconds": job.period_seconds},
            "options": {"headers": {"_schema_name": "public"}},
        }
        for name, job in jobs.items()
    }


def slot_start(moment: datetime, period_seconds: int) -> datetime:
    """The start of the slot `moment` falls in: local midnight for a day, the hour for an hour …"""
    zone = ZoneInfo(settings.CELERY_TIMEZONE)
    wall = moment.astimezone(zone).replace(tzinfo=None)
    slots = int((wall - SLOT_ANCHOR).total_seconds() // period_seconds)
    return (SLOT_ANCHOR + timedelta(seconds=slots * period_seconds)).replace(tzinfo=zone)


def queue_for(task_name: str) -> str:
    """The queue CELERY_TASK_ROUTES gives a task (the default queue for the rest)."""
    return settings.CELERY_TASK_ROUTES.get(task_name, {}).get("queue", settings.CELERY_TASK_DEFAULT_QUEUE)


def job_lease_seconds(task_name: str) -> int:
    """How long a claimed attempt may be running: the task's hard time limit."""
    if task_name not in app.tasks:
        app.loader.import_default_modules()  # a process other than a worker (a shell) finds the tasks first
    task = app.tasks[task_name]
    return int(task.time_limit or settings.CELERY_TASK_TIME_LIMIT)


def job_claim(*, schema_name: str, task_name: str, slot: datetime, task_id: str) -> tuple[str, int | None]:
    """Claim one tenant's job for one slot, in one statement (concurrent claims: one wins).

    Returns ("claimed", run id), or ("done" | "busy" | "exhausted", None); see the module's table.
    """
    from prm.models import TenantJobRun

    table = f"public.{TenantJobRun._meta.db_table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} AS run (schema_name, task, slot, state, attempts, task_id, claimed_at)
            VALUES (%(schema)s, %(task)s, %(slot)s, 'running', 1, %(task_id)s, now())
            ON CONFLICT (schema_name, task, slot) DO UPDATE
               SET state = 'running', attempts = run.attempts + 1, task_id = EXCLUDED.task_id,
                   claimed_at = now(), finished_at = NULL
             WHERE run.attempts < %(max_attempts)s
               AND (run.state = 'failed'
                    OR (run.state = 'running' AND run.claimed_at < now() - %(lease)s * interval '1 second'))
            RETURNING id
            """,
            {"schema": schema_name, "task": task_name, "slot": slot, "task_id": task_id[:255],
             "max_attempts": JOB_MAX_ATTEMPTS, "lease": job_lease_seconds(task_name)},
        )
        row = cursor.fetchone()
        if row:
            return "claimed", row[0]
        cursor.execute(f"SELECT state, attempts FROM {table} WHERE schema_name = %s AND task = %s AND slot = %s",
                       [schema_name, task_name, slot])
        state, attempts = cursor.fetchone()
    if state == TenantJobRun.State.DONE:
        return "done", None
    if attempts >= JOB_MAX_ATTEMPTS:
        return "exhausted", None
    return "busy", None


def job_finish(run_id: int, *, succeeded: bool) -> None:
    from prm.models import TenantJobRun

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE public.{TenantJobRun._meta.db_table} SET state = %s, finished_at = now() WHERE id = %s",
            [TenantJobRun.State.DONE if succeeded else TenantJobRun.State.FAILED, run_id],
        )


def job_runs_prune(task_name: str, keep_days: int = 35) -> None:
    """Forget the claims of slots long past (the fan-out calls it, so the table stays small)."""
    from prm.models import TenantJobRun

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM public.{TenantJobRun._meta.db_table} "
                       "WHERE task = %s AND slot < now() - %s * interval '1 day'", [task_name, keep_days])


app.conf.beat_schedule = beat_schedule(scheduled_jobs())
