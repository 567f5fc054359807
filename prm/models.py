"""Platform tables in the public schema."""

from __future__ import annotations

from django.db import models


class TenantJobRun(models.Model):
    """One vendor's periodic job in one slot (the night, the hour …): claimed before it runs.

    The unique (schema, task, slot) row is the job's idempotency key. A message delivered twice
    (Redis redelivers an unacknowledged one; a fan-out repeated after its worker died sends every
    vendor's job again) finds the row running or done and does not run the job a second time. A
    running row whose attempt outlived the task's time limit was killed with its worker, and the
    next delivery takes it over; a failed one may be claimed again. See prm.periodic.job_claim.

    A row in PostgreSQL rather than a Redis key: it cannot be evicted by a Redis memory limit or
    lost with a Redis restart while the job's effects, in the same database, remain; and it is the
    record an operator queries for what ran last night.
    """

    class State(models.TextChoices):
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    schema_name = models.CharField(max_length=63)
    task = models.CharField(max_length=200)
    slot = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    task_id = models.CharField(max_length=255, blank=True)
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["schema_name", "task", "slot"], name="tenant_job_run_once_per_slot"),
        ]
        indexes = [models.Index(fields=["slot"], name="tenant_job_run_slot")]

    def __str__(self) -> str:
        return f"{self.task} {self.schema_name} {self.slot:%Y-%m-%d %H:%M} {self.state}"
