"""Per-tenant periodic jobs.

Beat fires one fan-out task per job; the fan-out enqueues the job once per tenant with a
countdown derived from a hash of the schema and the job, spread over the job's window, so
the tenants do not all hit the database at the same instant and each tenant keeps the same
slot from run to run.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from celery.schedules import crontab

from prm.celery import app


@dataclass(frozen=True)
class TenantJob:
    task: str
    schedule: crontab
    spread_seconds: int


TENANT_JOBS: dict[str, TenantJob] = {
    "invitations-expire": TenantJob(
        task="prm.invitations.tasks.invitations_expire",
        schedule=crontab(minute=5),
        spread_seconds=15 * 60,
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
    ),
    "tiers-evaluate": TenantJob(
        task="programs.tasks.tiers_evaluate",
        schedule=crontab(hour=4, minute=0),
        spread_seconds=60 * 60,
    ),
    "health-recalculate": TenantJob(
        task="partners.tasks.health_recalculate",
        schedule=crontab(hour=5, minute=0),
        spread_seconds=60 * 60,
    ),
    "contact-stages-recompute": TenantJob(
        task="partners.tasks.contact_stages_recompute",
        schedule=crontab(hour=3, minute=0),
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


app.conf.beat_schedule = {
    name: {
        "task": "prm.tasks.tenants_fan_out",
        "schedule": job.schedule,
        "args": (job.task, job.spread_seconds),
        "options": {"headers": {"_schema_name": "public"}},
    }
    for name, job in TENANT_JOBS.items()
}
