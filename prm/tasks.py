from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_tenant_model, schema_context

from prm import periodic
from prm.periodic import tenant_offset_seconds

logger = logging.getLogger(__name__)


def require_schema(schema_name: str) -> None:
    """Critical tasks name their tenant explicitly and refuse to run anywhere else.

    tenant-schemas-celery switches the connection by the message header; a task whose
    argument disagrees with it is a bug in the sender, so it fails instead of guessing.
    """
    if connection.schema_name != schema_name:
        raise RuntimeError(f"task for schema {schema_name} ran in {connection.schema_name}")


@shared_task(name="prm.tasks.tenants_fan_out", time_limit=120)
def tenants_fan_out(task_name: str, spread_seconds: int, queue: str | None = None,
                    period_seconds: int = 0) -> dict[str, dict]:
    """Enqueue task_name once per tenant, each at its own offset within the spread.

    With a period (every scheduled job), each tenant's message is prm.tasks.tenant_job for the
    current slot, which runs the job at most once in that slot however often this fan-out runs
    (a worker killed half-way through it, a second delivery); without one (an operator's ad-hoc
    fan-out) the task itself is sent.
    """
    from prm.celery import app

    sent: dict[str, dict] = {}
    with schema_context("public"):
        schemas = list(
            get_tenant_model().objects.exclude(schema_name="public").values_list("schema_name", flat=True)
        )
    slot = periodic.slot_start(timezone.now(), period_seconds) if period_seconds > 0 else None
    for schema in schemas:
        offset = tenant_offset_seconds(schema, task_name, spread_seconds)
        if slot is None:
            result = app.send_task(
                task_name, kwargs={"schema_name": schema}, countdown=offset, queue=queue,
                headers={"_schema_name": schema},
            )
        else:
            result = tenant_job.apply_async(
                kwargs={"task_name": task_name, "schema_name": schema, "slot": slot.isoformat()},
                countdown=offset, queue=queue or periodic.queue_for(task_name),
                time_limit=periodic.job_lease_seconds(task_name), headers={"_schema_name": schema},
            )
        sent[schema] = {"offset": offset, "task_id": result.id}
    if slot is not None:
        periodic.job_runs_prune(task_name)
    return sent


@shared_task(bind=True, name="prm.tasks.tenant_job", acks_late=True, reject_on_worker_lost=True)
def tenant_job(self, task_name: str, schema_name: str, slot: str) -> object:
    """Run one tenant's periodic job for one slot, unless it already ran or is running (prm.periodic).

    reject_on_worker_lost: a pool process killed mid-job (out of memory) puts the message back
    instead of failing it, so the job is taken over once its lease is over; the claim's attempt
    count bounds how often a job that always kills its process comes back.
    """
    from prm.celery import app

    require_schema(schema_name)
    outcome, run_id = periodic.job_claim(schema_name=schema_name, task_name=task_name,
                                         slot=datetime.fromisoformat(slot), task_id=self.request.id or "")
    if outcome == "busy":
        # Another attempt holds the claim. Look again once its lease is over: if it died by then,
        # this delivery takes it over; if it finished, this one finds it done.
        raise self.retry(countdown=periodic.job_lease_seconds(task_name) + 1, max_retries=periodic.JOB_MAX_ATTEMPTS)
    if outcome != "claimed":
        if outcome == "exhausted":
            logger.error("periodic job %s for %s (slot %s) died %s times; not running it again in this slot",
                         task_name, schema_name, slot, periodic.JOB_MAX_ATTEMPTS)
        return {"skipped": outcome}
    try:
        result = app.tasks[task_name](schema_name=schema_name)
    except BaseException:
        periodic.job_finish(run_id, succeeded=False)
        raise
    periodic.job_finish(run_id, succeeded=True)
    return result


@shared_task(name="prm.tasks.tenant_probe", time_limit=30)
def tenant_probe(schema_name: str) -> dict[str, object]:
    """Report where a worker ran a tenant's task; for operators' checks and the tests."""
    from prm.accounts.models import User

    require_schema(schema_name)
    return {"schema": connection.schema_name, "users": User.objects.count()}


@shared_task(name="prm.tasks.sends_forward", acks_late=False, time_limit=60)
def sends_forward(sends: list[list]) -> int:
    """Send the tasks one transaction asked for after its commit (prm.after_commit), each with its queue and tenant.
    Acknowledged on receipt, not late: a second delivery would send them all again (the notification e-mails
    among them)."""
    from prm import after_commit

    return after_commit.forward(sends)


@shared_task(bind=True, name="prm.tasks.deliver_email", acks_late=True, time_limit=300)
def deliver_email(self, to: list[str], subject: str, text: str, html: str) -> int:
    """Send one rendered e-mail (see prm.mail); retried with exponential back-off, logged when given up."""
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    message.attach_alternative(html, "text/html")
    try:
        return message.send()
    except (smtplib.SMTPException, OSError) as error:
        attempt = self.request.retries + 1
        if self.request.retries >= settings.KYOSO_EMAIL_MAX_RETRIES:
            logger.error("e-mail not sent after %s attempts, giving up: to=%s subject=%r error=%s",
                         attempt, ",".join(to), subject, error)
            raise
        delay = settings.KYOSO_EMAIL_RETRY_SECONDS * 2 ** self.request.retries
        logger.warning("e-mail attempt %s failed, retrying in %s s: to=%s error=%s", attempt, delay, ",".join(to), error)
        raise self.retry(exc=error, countdown=delay, max_retries=settings.KYOSO_EMAIL_MAX_RETRIES) from error


@shared_task(name="prm.tasks.retention_purge", time_limit=1800)
def retention_purge(schema_name: str) -> dict[str, int]:
    """Nightly: expired sessions, old read notifications, signal and download logs, health history."""
    from prm import retention

    require_schema(schema_name)
    return retention.purge()
