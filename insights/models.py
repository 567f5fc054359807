"""Insights' tables: partner health (insights.health.models) and the QBR packs the worker renders.

They were partners' tables and keep their names (Meta.db_table): the move changed no data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from insights.health.models import (  # noqa: F401  (models of the health package, registered with this app)
    HealthAlert,
    HealthBand,
    HealthRun,
    HealthScore,
    HealthSettings,
    HealthSnapshot,
)


class QbrJob(models.Model):
    """A QBR pack rendered by the worker (a PDF takes seconds); the page follows it, then offers the file."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import", "Queued")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", pgettext_lazy("import", "Failed")

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="qbr_jobs")
    period_key = models.CharField(max_length=40)
    language = models.CharField(max_length=5)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="reports/qbr/", blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "partners_qbrjob"  # the name it had under partners: no data moved
        ordering = ["-created_at"]

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
