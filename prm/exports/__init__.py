"""Exports that are too large for a web request: written to a file by the worker, followed on a page.

The platform knows no domain app: each app registers its exporters by name (in its AppConfig.ready),

    prm.exports.register("partners", build)

where `build(params)` takes the request's validated parameters (JSON-serialisable) and returns
(file name, header, rows). A view counts its rows first and calls `offer`: up to
KYOSO_EXPORT_INLINE_ROWS rows are answered in the request as before, more are queued as an
ExportJob (prm.exports.models) and the user is sent to the job's page (progress, then the file).
Every file is written by prm.csv_export, the one CSV writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

Build = Callable[[dict], tuple[str, Sequence[object], Iterable[Sequence[object]]]]

_EXPORTERS: dict[str, Build] = {}


def register(kind: str, build: Build) -> Build:
    """Make `kind` an export the worker can write; a second registration of a name replaces the first."""
    _EXPORTERS[kind] = build
    return build


def exporter(kind: str) -> Build:
    """The registered build function; KeyError for a name nobody registered."""
    return _EXPORTERS[kind]


def registered() -> list[str]:
    return sorted(_EXPORTERS)


def offer(request, kind: str, params: dict, *, rows: int, inline: Callable[[], object]):
    """The export as the answer to `request`: `inline()` for up to KYOSO_EXPORT_INLINE_ROWS rows, otherwise
    a job queued for the worker and a redirect to its page. `rows` is the view's cheap count of the rows."""
    from django.conf import settings
    from django.shortcuts import redirect

    if rows <= settings.KYOSO_EXPORT_INLINE_ROWS:
        return inline()
    from prm.exports import services

    job = services.job_start(kind=kind, params=params, total=rows, actor=request.user)
    return redirect("export_job", pk=job.pk)
