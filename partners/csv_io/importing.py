"""Applying an import: the preview run again and written through the services in one transaction, queued
by the console and run by a worker, with its progress."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partners import services
from partners.csv_io.columns import CREATE, PARTNERS, UPDATE
from partners.csv_io.previews import Preview, PreviewRow, preview
from partners.models import EventKind, ImportBatch, Partner, PartnerEvent
from prm.accounts.models import User
from prm.events import collected as events_collected

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 100


def apply(batch: ImportBatch, actor: User | None, *, progress: Progress | None = None) -> dict[str, int]:
    """Write the whole file or nothing; a file with any error changes nothing.

    `progress(done, total)` is told how far the writing got; inside the transaction nothing is
    visible to others yet, so the caller keeps the figures outside the database.
    """
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in (ImportBatch.Status.PREVIEW, ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING):
            raise ValidationError(_("This import was already applied or discarded."), code="status")
        result = preview(locked.kind, locked.content)
        if result.has_errors:
            raise ValidationError(
                [ngettext("Nothing was imported: the file has %(count)s error.",
                          "Nothing was imported: the file has %(count)s errors.", result.error_count)
                 % {"count": result.error_count},
                 *result.messages()],
                code="invalid",
            )
        write = _apply_partners if locked.kind == PARTNERS else _apply_contacts
        counts = write(result, actor, locked, progress or (lambda done, total: None))
        locked.status = ImportBatch.Status.APPLIED
        locked.applied_at = timezone.now()
        locked.applied_by = actor
        locked.result = counts
        locked.error = ""
        locked.save(update_fields=["status", "applied_at", "applied_by", "result", "error"])
    batch.status, batch.applied_at, batch.result = locked.status, locked.applied_at, locked.result
    return counts


def apply_queue(batch: ImportBatch, actor: User | None) -> ImportBatch:
    """Hand a previewed file to the worker (import_run); a second click queues nothing twice."""
    changed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
        status=ImportBatch.Status.QUEUED, applied_by=actor, error="")
    if not changed:
        raise ValidationError(_("This import was already applied or discarded."), code="status")
    batch.refresh_from_db()
    return batch


def _progress_key(batch_id: int) -> str:
    return f"partners:import-progress:{batch_id}"  # the cache prefixes the vendor's schema


def import_progress(batch: ImportBatch) -> tuple[int, int]:
    """(rows written, rows to write) of an import the worker is applying; (0, 0) before it starts."""
    done, total = cache.get(_progress_key(batch.pk)) or (0, 0)
    return done, total


def import_run(batch_id: int) -> ImportBatch:
    """The worker's side of apply: all or nothing, then done or failed with the reason on the batch.

    Safe to deliver twice: a batch that is no longer queued or running is left as it is, and a
    worker killed half-way rolled its transaction back, so running again starts from nothing.
    """
    batch = ImportBatch.objects.select_related("applied_by").get(pk=batch_id)
    if not batch.in_progress:
        return batch
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)
    key = _progress_key(batch.pk)

    def progress(done: int, total: int) -> None:
        cache.set(key, (done, total), 3600)

    try:
        apply(batch, batch.applied_by, progress=progress)
    except ValidationError as error:
        if getattr(error, "code", None) != "status":  # someone else finished it: keep their outcome
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.FAILED, error="\n".join(error.messages), applied_at=timezone.now())
    finally:
        cache.delete(key)
    batch.refresh_from_db()
    return batch


def _line_error(row: PreviewRow, error: ValidationError) -> ValidationError:
    messages = "; ".join(f"{key}: {' '.join(errors)}" for key, errors in error.message_dict.items()) if hasattr(
        error, "error_dict") else " ".join(error.messages)
    return ValidationError(_("Line %(line)s: %(message)s") % {"line": row.line, "message": messages}, code="invalid")


def _depth(row: PreviewRow, rows_by_line: dict[int, PreviewRow]) -> int:
    depth = 0
    while row.parent_line:
        row, depth = rows_by_line[row.parent_line], depth + 1
    return depth


def _apply_partners(result: Preview, actor: User | None, batch: ImportBatch, progress: Progress) -> dict[str, int]:
    rows_by_line = {row.line: row for row in result.rows}
    todo = sorted((row for row in result.rows if row.action in (CREATE, UPDATE)),
                  key=lambda row: (_depth(row, rows_by_line), row.line))
    written: dict[int, Partner] = {}
    events = []
    now = timezone.now()
    progress(0, len(todo))
    with events_collected():  # every partner's webhook event in one insert per thousand, not one per row
        for done, row in enumerate(todo):
            if done and done % PROGRESS_EVERY == 0:
                progress(done, len(todo))
            fields = dict(row.fields)
            if row.parent_line:
                fields["parent"] = written[row.parent_line]
            try:
                if row.action == CREATE:
                    partner = services.partner_create(actor=actor, **fields)
                else:
                    partner = services.partner_update(partner=row.target, actor=actor, **fields)
            except ValidationError as error:
                raise _line_error(row, error) from error
            written[row.line] = partner
            events.append(PartnerEvent(partner=partner, kind=EventKind.IMPORTED, actor=actor, occurred_at=now,
                                       data={"batch": batch.pk, "file": batch.filename, "line": row.line, "action": row.action,
                                             "fields": row.changed if row.action == UPDATE else []}))
    PartnerEvent.objects.bulk_create(events)
    return {"rows": len(result.rows), **result.counts}


def _apply_contacts(result: Preview, actor: User | None, batch: ImportBatch, progress: Progress) -> dict[str, int]:
    touched: dict[int, Counter] = defaultdict(Counter)
    partners: dict[int, Partner] = {}
    todo = [row for row in result.rows if row.action in (CREATE, UPDATE)]
    progress(0, len(todo))
    with events_collected():  # a contact can move its partner's stage: those events in one insert too
        for done, row in enumerate(todo):
            if done and done % PROGRESS_EVERY == 0:
                progress(done, len(todo))
            fields = dict(row.fields)
            partner = fields.pop("partner")
            try:
                services.contact_save(partner=partner, actor=actor, contact=row.target, **fields)
            except ValidationError as error:
                raise _line_error(row, error) from error
            partners[partner.pk] = partner
            touched[partner.pk][row.action] += 1
    now = timezone.now()
    PartnerEvent.objects.bulk_create(
        PartnerEvent(partner=partners[pk], kind=EventKind.IMPORTED, actor=actor, occurred_at=now,
                     data={"batch": batch.pk, "file": batch.filename, "contacts_created": counted[CREATE],
                           "contacts_updated": counted[UPDATE]})
        for pk, counted in touched.items()
    )
    return {"rows": len(result.rows), **result.counts}


def discard(batch: ImportBatch, actor: User | None) -> None:
    changed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
        status=ImportBatch.Status.DISCARDED, result={"discarded_by": getattr(actor, "pk", None)}
    )
    if not changed:
        raise ValidationError(_("This import was already applied or discarded."), code="status")
    batch.status = ImportBatch.Status.DISCARDED
