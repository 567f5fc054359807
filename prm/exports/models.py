from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExportJob(models.Model):
    """A large CSV export written by the worker (prm.exports.services.job_run); only its requester sees it."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import", "Queued")
        RUNNING = "running", pgettext_lazy("export", "Writing")
        DONE = "done", _("Ready")
        FAILED = "failed", pgettext_lazy("import", "Failed")

    kind = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=5, default="ja")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", max_length=255, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def encoding(self) -> str:
        return "cp932" if self.params.get("encoding") == "cp932" else "utf-8"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(self.progress * 100 // self.total, 100) if self.total else 0
