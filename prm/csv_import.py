"""A CSV file read and checked line by line, before anything is written: what the imports of every app share
(partners and contacts, invoice payments, account-mapping lists). Each import extends `CheckedFile` with its
own row type; reading the bytes and the header is in partners.csv_io.reading."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass
class RowError:
    column: str  # the column's key; "" when the error is about the whole row
    header: str  # the header as the file wrote it
    message: str

    def __str__(self) -> str:
        return f"{self.header}: {self.message}" if self.header else self.message


@dataclass
class CheckedFile:
    """A CSV file read and checked line by line: its columns, its rows (each with its `errors` and
    `line`) and what is wrong with the file as a whole. Imports extend it with their own row type."""

    columns: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # column key → the header as written
    rows: list = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def error_rows(self) -> list:
        return [row for row in self.rows if row.errors]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(row.errors) for row in self.rows)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def messages(self, limit: int | None = 5) -> list[str]:
        """"Line 7, 金額: …" for each error (the first `limit`), in the reader's language."""
        found = list(self.file_errors)
        for row in self.error_rows:
            found += [_("Line %(line)s, %(error)s") % {"line": row.line, "error": error} for error in row.errors]
            if limit is not None and len(found) > limit:
                break
        if limit is not None and len(found) > limit:
            return [*found[:limit], _("… and more: see the preview.")]
        return found
