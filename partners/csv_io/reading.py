"""Reading a file: its encoding (UTF-8 with or without BOM, or Shift_JIS/CP932), its header mapped to
column keys, its cells with Excel's text guards removed, and the checks on the file as a whole."""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from partners.csv_io.columns import COLUMNS, CONTACT_PARTNER_KEYS, CONTACTS, PARTNERS
from partners.models import ImportBatch
from prm import csv_export

MAX_ROWS = 10_000
ENCODINGS = ("auto", "utf-8", "cp932")
ENCODING_LABELS = {"utf-8": "UTF-8", "cp932": "Shift_JIS (CP932)"}


# Shift_JIS look-alikes: what Japanese text contains but only the Unicode side of CP932 can't hold.
_FORMULA_START = csv_export.FORMULA_START
_EXCEL_TEXT = re.compile(r'="(.*)"', re.S)


def decode(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding that read it ("utf-8" or "cp932")."""
    if encoding not in ENCODINGS:
        raise ValidationError(_("Choose UTF-8 or Shift_JIS as the encoding."), code="encoding")
    failures: list[tuple[str, int]] = []
    for name in ("utf-8", "cp932") if encoding == "auto" else (encoding,):
        try:
            text = raw.decode("utf-8-sig" if name == "utf-8" else "cp932")
        except UnicodeDecodeError as error:
            failures.append((name, raw.count(b"\n", 0, error.start) + 1))
            continue
        if "\x00" in text:  # UTF-16 and binary files (an .xlsx renamed .csv) decode with NULs
            failures.append((name, text.count("\n", 0, text.index("\x00")) + 1))
            continue
        return text, name
    if len(failures) == 1:
        name, line = failures[0]
        raise ValidationError(
            _("The file cannot be read as %(encoding)s: line %(line)s has a byte that is not %(encoding)s. "
              "Choose the other encoding, or save the file again as CSV."),
            code="encoding", params={"encoding": ENCODING_LABELS[name], "line": line})
    raise ValidationError(
        _("The file is neither UTF-8 nor Shift_JIS (CP932): read as UTF-8 it breaks on line %(utf8)s, "
          "as Shift_JIS on line %(sjis)s. In Excel, save it as “CSV UTF-8” or “CSV” and upload it again."),
        code="encoding", params={"utf8": failures[0][1], "sjis": failures[1][1]})


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


def header_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", _fold(value).strip("*").strip())


@dataclass
class Header:
    """A file's first line read against the known column names."""

    positions: dict[int, str] = field(default_factory=dict)  # cell index → column key
    written: dict[str, str] = field(default_factory=dict)  # column key → the name as written in the file
    ignored: list[str] = field(default_factory=list)  # names that are no column of ours
    errors: list[str] = field(default_factory=list)


def read_header(header: list[str], aliases: dict[str, str]) -> Header:
    """Map the first line to column keys (`aliases`: folded name → key); a column named twice is an error."""
    result = Header()
    for index, written in enumerate(header):
        written = written.strip()
        key = aliases.get(header_key(written))
        if key is None:
            if written:
                result.ignored.append(written)
        elif key in result.written:
            result.errors.append(_("The columns “%(first)s” and “%(second)s” are the same column (%(key)s).")
                                 % {"first": result.written[key], "second": written, "key": key})
        else:
            result.positions[index] = key
            result.written[key] = written
    return result


def clean_cell(value: str) -> str:
    """A cell as typed: Excel's text guards removed, surrounding spaces (half or full width) dropped."""
    value = (value or "").strip()
    match = _EXCEL_TEXT.fullmatch(value)
    if match:
        return match.group(1).strip()
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


@dataclass
class _Table:
    columns: list[str]
    headers: dict[str, str]
    rows: list[tuple[int, dict[str, str]]]
    file_errors: list[str]
    ignored: list[str]


@functools.cache
def _aliases(kind: str) -> dict[str, str]:
    """Every accepted header, normalised, to its column key."""
    aliases: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for name in (column.key, *column.aliases):
            aliases.setdefault(header_key(name), column.key)
    return aliases


def _missing(kind: str, keys: Iterable[str]) -> list[str]:
    keys = set(keys)
    missing = [column.key for column in COLUMNS[kind] if column.required and column.key not in keys]
    if kind == CONTACTS and not keys.intersection(CONTACT_PARTNER_KEYS):
        missing.append(" / ".join(CONTACT_PARTNER_KEYS))
    return missing


def _read(kind: str, text: str) -> _Table:
    table = _Table([], {}, [], [], [])
    if kind not in COLUMNS:
        table.file_errors.append(_("Choose partners or contacts."))
        return table
    aliases = _aliases(kind)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            table.file_errors.append(_("The file is empty: the first line must name the columns."))
            return table
        mapped = read_header(header, aliases)
        positions = mapped.positions
        table.headers.update(mapped.written)
        table.columns.extend(mapped.written)
        table.ignored.extend(mapped.ignored)
        table.file_errors.extend(mapped.errors)
        missing = _missing(kind, table.headers)
        if missing:
            table.file_errors.append(_("Missing required columns: %(columns)s.") % {"columns": ", ".join(missing)})
            other = CONTACTS if kind == PARTNERS else PARTNERS
            if not _missing(other, filter(None, (_aliases(other).get(header_key(name)) for name in header))):
                table.file_errors.append(_("This looks like a file of %(kind)s: choose that kind and upload it again.")
                                         % {"kind": ImportBatch.Kind(other).label})
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(table.rows) == MAX_ROWS:
                table.file_errors.append(_("The file has more than %(max)s rows; split it into several files.")
                                         % {"max": f"{MAX_ROWS:,}"})
                break
            table.rows.append((line, {key: clean_cell(cells[index]) if index < len(cells) else ""
                                      for index, key in positions.items()}))
        if not table.rows and not table.file_errors:
            table.file_errors.append(_("The file has no rows below its header."))
    except csv.Error as error:
        table.file_errors.append(_("The file is not a valid CSV file (line %(line)s: %(error)s).")
                                 % {"line": reader.line_num, "error": error})
    return table


def check_file(kind: str, text: str) -> list[str]:
    """Problems with the file as a whole (columns, size), found without touching the database."""
    return _read(kind, text).file_errors
