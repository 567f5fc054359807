"""The one CSV writer every export uses: cells that a spreadsheet would run as formulas are escaped.

OWASP's CSV-injection guidance: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show it as text
instead of evaluating it (`=HYPERLINK(…)` in a partner's name must not become a link that leaks
data). Only text is escaped: an `int` or a `Decimal` (-1000 yen) is a real number and stays one.

Every file is CRLF-terminated and either UTF-8 with a BOM (Excel then reads Japanese correctly)
or Shift_JIS (CP932, for older Excel) where an export offers it. `csv_response` builds the whole
file in memory and can refuse characters Shift_JIS cannot hold; `csv_response(..., stream=True)`
writes while the rows are read, for exports that can be large.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ENCODINGS = ("utf-8", "cp932")
CHARSETS = {"utf-8": "utf-8", "cp932": "Shift_JIS"}
BOM = "\ufeff"
LINE_END = "\r\n"
STREAM_CHUNK = 500  # rows per chunk of a streamed body

# Characters Python's cp932 codec cannot encode, but whose Windows look-alikes it can.
CP932_SUBSTITUTES = str.maketrans({"〜": "～", "−": "－", "‖": "∥", "—": "―", "¢": "￠", "£": "￡", "¬": "￢"})


class Code(str):
    """A code of digits (bank code 0001, corporate number) that must stay text in Excel.

    Written as `="0001"`, which Excel shows as 0001 instead of 1 (or 1.2E+12 for 13 digits).
    The wrapped value is checked to be ASCII digits only, so this form can never carry a formula.
    """


def escape(value: object) -> str | int | Decimal:
    """One cell: numbers as numbers, text made safe to open in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value)
    if isinstance(value, Code) and text.isascii() and text.isdigit() and (text.startswith("0") or len(text) >= 12):
        return f'="{text}"'
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, value: str) -> str:
        return value


def lines(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The file's text line by line (CRLF-terminated), header first, every cell escaped."""
    writer = csv.writer(_Line(), lineterminator=LINE_END)
    yield writer.writerow([escape(cell) for cell in header])
    for row in rows:
        yield writer.writerow([escape(cell) for cell in row])


def _check_encoding(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise ValidationError(_("Choose UTF-8 or Shift_JIS as the encoding."), code="encoding")


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]], *, encoding: str = "utf-8") -> bytes:
    """The whole file. For Shift_JIS, a ValidationError names the first places (line, column,
    character) it cannot hold, so the user can export in UTF-8 or fix the values."""
    return b"".join(_encoded(header, rows, encoding))


def write_file(handle: IO[bytes], header: Sequence[object], rows: Iterable[Sequence[object]], *,
               encoding: str = "utf-8") -> int:
    """The same bytes as `csv_bytes`, written to `handle` in chunks instead of held in memory (an
    export on the worker); refuses Shift_JIS it cannot hold the same way, after reading every row.
    Returns the number of data rows written."""
    buffer: list[bytes] = []
    written = -1  # the header is not a row
    for chunk in _encoded(header, rows, encoding):
        buffer.append(chunk)
        written += 1
        if len(buffer) >= STREAM_CHUNK:
            handle.write(b"".join(buffer))
            buffer = []
    handle.write(b"".join(buffer))
    return max(written, 0)


def content_type(encoding: str) -> str:
    _check_encoding(encoding)
    return f"text/csv; charset={CHARSETS[encoding]}"


def _encoded(header: Sequence[object], rows: Iterable[Sequence[object]], encoding: str) -> Iterator[bytes]:
    """The file's lines as bytes (the BOM on the first for UTF-8); for Shift_JIS, a ValidationError
    at the end when some lines could not be written."""
    _check_encoding(encoding)
    if encoding == "utf-8":
        prefix = BOM
        for line in lines(header, rows):
            yield (prefix + line).encode("utf-8")
            prefix = ""
        return
    names = [str(cell) for cell in header]
    unwritable: list[str] = []
    for number, line in enumerate(lines(header, rows), start=1):
        line = line.translate(CP932_SUBSTITUTES)
        try:
            encoded = line.encode("cp932")
        except UnicodeEncodeError:
            unwritable += _unwritable(number, line, names)
        else:
            if not unwritable:
                yield encoded
    if unwritable:
        shown = "; ".join(unwritable[:5]) + (" …" if len(unwritable) > 5 else "")
        raise ValidationError(
            _("Shift_JIS cannot hold some characters (%(places)s). Export in UTF-8 instead, or change those values.")
            % {"places": shown}, code="encoding")


def _unwritable(number: int, line: str, names: list[str]) -> list[str]:
    cells = next(csv.reader(io.StringIO(line, newline="")))
    places = []
    for index, cell in enumerate(cells):
        try:
            cell.encode("cp932")
        except UnicodeEncodeError as error:
            column = names[index] if index < len(names) else str(index + 1)
            places.append(_("line %(line)s, %(column)s: “%(char)s”") % {
                "line": number, "column": column, "char": cell[error.start:error.end]})
    return places


def _chunks(header: Sequence[object], rows: Iterable[Sequence[object]], encoding: str) -> Iterator[bytes]:
    """Streamed Shift_JIS cannot refuse halfway through a download: characters it cannot hold become `?`."""
    buffer: list[str] = []
    prefix = BOM if encoding == "utf-8" else ""
    for line in lines(header, rows):
        buffer.append(line)
        if len(buffer) >= STREAM_CHUNK:
            yield _encode(prefix + "".join(buffer), encoding)
            buffer, prefix = [], ""
    if buffer:
        yield _encode(prefix + "".join(buffer), encoding)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8":
        return text.encode("utf-8")
    return text.translate(CP932_SUBSTITUTES).encode("cp932", errors="replace")


def csv_response(filename: str, header: Sequence[object], rows: Iterable[Sequence[object]], *,
                 encoding: str = "utf-8", stream: bool = False) -> HttpResponseBase:
    """A download of the rows. `stream=True` writes while `rows` is iterated, after the view has
    returned: give it a generator over `.iterator()` that pins the tenant schema and the language
    it needs (the middleware has reset them by then)."""
    _check_encoding(encoding)
    if stream:
        response: HttpResponseBase = StreamingHttpResponse(_chunks(header, rows, encoding))
    else:
        response = HttpResponse(csv_bytes(header, rows, encoding=encoding))
    return attachment(response, filename, encoding=encoding)


def stream_in_request(filename: str, header: Sequence[object],
                      rows: Callable[[], Iterable[Sequence[object]]]) -> HttpResponseBase:
    """A UTF-8 download written while `rows()` is read from the database. The body is produced after the
    middleware has returned, so the request's vendor schema, language and time zone are pinned around it."""
    tenant, language, zone = connection.tenant, translation.get_language(), timezone.get_current_timezone()  # type: ignore[attr-defined]  # django-tenants' connection

    def pinned() -> Iterator[Sequence[object]]:
        with tenant_context(tenant), translation.override(language), timezone.override(zone):
            yield from rows()

    return csv_response(filename, header, pinned(), stream=True)


def download(body: bytes, filename: str, *, encoding: str = "utf-8") -> HttpResponse:
    """A response for a file `csv_bytes` has already written (when a refusal must be shown first)."""
    _check_encoding(encoding)
    response = HttpResponse(body)
    attachment(response, filename, encoding=encoding)
    return response


def attachment(response: HttpResponseBase, filename: str, *, encoding: str) -> HttpResponseBase:
    response["Content-Type"] = content_type(encoding)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response
