"""Starting and running export jobs; the views and the worker's task call these."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prm import csv_export, exports
from prm.exports.models import ExportJob

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 500  # rows between two progress updates


def job_start(*, kind: str, params: dict, total: int, actor) -> ExportJob:
    """Queue an export for the worker once the transaction commits; `total` is the view's count of rows."""
    exports.exporter(kind)  # an unregistered name is a bug in the caller: fail here, not on the worker
    job = ExportJob.objects.create(kind=kind, params=params, total=total, requested_by=actor,
                                   language=translation.get_language() or settings.LANGUAGE_CODE)
    job_queue(job)
    return job


def job_queue(job: ExportJob) -> None:
    from prm.exports.tasks import export_run

    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    queue = settings.KYOSO_EXPORT_QUEUE or None
    transaction.on_commit(lambda: export_run.apply_async(kwargs={"schema_name": schema, "job_id": job.pk},
                                                         queue=queue, headers={"_schema_name": schema}))  # type: ignore[arg-type]  # None: the task's routed queue; celery-types wants a name


def _counted(job_id: int, rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job_id).update(progress=done)


def job_run(job_id: int) -> ExportJob:
    """Write the job's file through prm.csv_export; a second delivery of a finished job does nothing."""
    job = ExportJob.objects.get(pk=job_id)
    if not job.in_progress:
        return job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress=0)
    with translation.override(job.language):
        try:
            filename, header, rows = exports.exporter(job.kind)(job.params)
            with tempfile.TemporaryFile() as handle:
                written = csv_export.write_file(handle, header, _counted(job.pk, rows), encoding=job.encoding)
                handle.seek(0)
                job.file.save(f"{uuid.uuid4().hex}.csv", File(handle), save=False)
        except ValidationError as error:
            _fail(job, " ".join(error.messages))
        except Exception:
            logger.exception("export job %s (%s) failed", job.pk, job.kind)
            _fail(job, _("The export could not be written. Try again, or narrow the filters."))
            raise
        else:
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportJob.Status.DONE, file=job.file.name, filename=filename[:200], progress=written,
                total=written, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _fail(job: ExportJob, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=message,
                                               finished_at=timezone.now())


def job_for(user, pk: int) -> ExportJob | None:
    """The job, for the user who asked for it only."""
    return ExportJob.objects.filter(pk=pk, requested_by=user).first()


def purge_before(when) -> int:
    """Jobs asked for before `when` go with their files (they hold partners' and people's data); the files
    are removed once the deletion is committed. Returns how many jobs went."""
    old = ExportJob.objects.filter(created_at__lt=when)
    names = [name for name in old.exclude(file="").values_list("file", flat=True)]
    removed = old.delete()[0]
    if names:
        storage = ExportJob._meta.get_field("file").storage

        def delete_files() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)
    return removed
