"""python manage.py customer_groups FILE.csv — which records are the same customer company.

Reads `id,name,corporate_number,email_or_domain` (UTF-8 with or without BOM, or Shift_JIS/CP932)
and prints the groups of `deals.matching.group_records` as JSON. No tenant, no database: the
command never opens a connection, so it runs against any export on any machine.

A row is malformed, and the command exits 2 printing nothing on standard output, when it does
not have four columns, its id or name is empty, its id repeats an earlier one, or it has a
corporate number that is not 13 digits with a valid check digit. A mistyped 法人番号 is
refused rather than ignored: the number decides matches, and dropping it silently would
join or split customers without the operator knowing. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from deals import matching
from partners.csv_io import decode

HEADER = ["id", "name", "corporate_number", "email_or_domain"]

Record = tuple[str, matching.CustomerKeys]
Problem = tuple[int, str]


def read_customer_rows(text: str) -> tuple[list[Record], list[Problem]]:
    """Records and (line number, problem) for each malformed row; a bad header is line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or [cell.strip() for cell in header] != HEADER:
        return [], [(1, _("the first line must be the header %(header)s") % {"header": ",".join(HEADER)})]
    records: list[Record] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    line = reader.line_num + 1
    for row in reader:
        cells = [cell.strip() for cell in row]
        row_line, line = line, reader.line_num + 1
        if not any(cells):
            continue
        if len(cells) != len(HEADER):
            problems.append((row_line, _("expected %(expected)s columns, found %(found)s")
                             % {"expected": len(HEADER), "found": len(cells)}))
            continue
        record_id, name, corporate_number, email_or_domain = cells
        if not record_id:
            problems.append((row_line, _("the id is empty")))
        elif record_id in seen:
            problems.append((row_line, _("the id %(id)s appears twice") % {"id": record_id}))
        elif not name:
            problems.append((row_line, _("the name is empty")))
        elif corporate_number and matching.clean_corporate_number(corporate_number) is None:
            problems.append((row_line, _("%(number)s is not a corporate number (13 digits with a valid check digit)")
                             % {"number": corporate_number}))
        else:
            records.append((record_id, matching.customer_keys(name, corporate_number, email_or_domain)))
        seen.add(record_id)
    return records, problems


class Command(BaseCommand):
    help = "Print, as JSON, the groups of records in a CSV that are the same customer company."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with the header id,name,corporate_number,email_or_domain")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as error:
            self.stderr.write(_("%(file)s cannot be read: %(error)s") % {"file": path, "error": error.strerror})
            sys.exit(2)
        try:
            text, _encoding = decode(raw)
        except ValidationError as error:
            for message in error.messages:
                self.stderr.write(f"{path}: {message}")
            sys.exit(2)
        records, problems = read_customer_rows(text)
        if problems:
            for line, problem in problems:
                self.stderr.write(_("%(file)s, line %(line)s: %(problem)s") % {"file": path, "line": line, "problem": problem})
            sys.exit(2)
        self.stdout.write(json.dumps(matching.group_records(records), ensure_ascii=False))
