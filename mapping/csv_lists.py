"""Reading an uploaded customer list: columns, per-line checks, the same company twice.

The decoding (UTF-8 or Shift_JIS, with the line of the first bad byte), the header folding and
Excel's cell guards are partners.csv_io's; the keys are the one matcher's (deals.matching).
No database here: `read` turns text into checked rows, the service stores them.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals import matching, segments
from partners import japan
from partners.csv_io import clean_cell, decode, header_key, read_header  # noqa: F401  (decode is part of this module's API)
from prm.csv_import import CheckedFile, RowError

MAX_ROWS = 100_000
PREVIEW_ROWS = 200


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    aliases: tuple[str, ...]
    required: bool = False
    example: str = ""


COLUMNS = (
    Column("name", gettext_lazy("Company name"), ("customer_name", "company", "company_name", "会社名", "企業名",
                                                   "顧客名", "社名", "法人名"), True, "株式会社サンプル"),
    Column("corporate_number", gettext_lazy("Corporate number (法人番号)"), ("法人番号", "corporate_no"), False,
           "7010001008844"),
    Column("domain", gettext_lazy("Web domain or e-mail"), ("web_domain", "email", "e-mail", "mail", "website", "url",
                                                            "ドメイン", "メールアドレス", "メール", "url・ドメイン",
                                                            "ウェブサイト", "ホームページ"), False, "sample.co.jp"),
    Column("industry", gettext_lazy("Industry (JSIC major group)"), ("業種", "産業分類", "jsic"), False, "E"),
    Column("employee_band", gettext_lazy("Employees"), ("employees", "従業員規模", "従業員数", "規模"), False, "100-299"),
    Column("prefecture", gettext_lazy("Prefecture"), ("都道府県", "所在地"), False, "東京都"),
)
_ALIASES = {header_key(name): column.key for column in COLUMNS for name in (column.key, *column.aliases)}


@dataclass
class ListRow:
    line: int
    values: dict[str, str]
    keys: matching.CustomerKeys | None = None
    industry: str = ""
    employee_band: str = ""
    prefecture: str = ""
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ListFile(CheckedFile):
    rows: list[ListRow] = field(default_factory=list)


def _error(table: ListFile, row: ListRow, key: str, message: str) -> None:
    row.errors.append(RowError(key, table.headers.get(key, key) if key else "", message))


def read(text: str, *, check_rows: bool = True) -> ListFile:
    """Every row checked (unless check_rows is False: only the file as a whole, for the upload);
    file-level problems (columns, size, CSV syntax) in file_errors."""
    table = ListFile()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            table.file_errors.append(_("The file is empty: the first line must name the columns."))
            return table
        mapped = read_header(header, _ALIASES)
        positions = mapped.positions
        table.headers.update(mapped.written)
        table.columns.extend(mapped.written)
        table.ignored_columns.extend(mapped.ignored)
        table.file_errors.extend(mapped.errors)
        if "name" not in table.headers:
            table.file_errors.append(_("Missing required column: the company name (name or 会社名)."))
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(table.rows) == MAX_ROWS:
                table.file_errors.append(
                    _("Line %(line)s: the file has more than %(max)s records; split it into several lists.")
                    % {"line": f"{line:,}", "max": f"{MAX_ROWS:,}"})
                break
            table.rows.append(ListRow(line, {key: clean_cell(cells[index]) if index < len(cells) else ""
                                             for index, key in positions.items()}))
        if not table.rows and not table.file_errors:
            table.file_errors.append(_("The file has no rows below its header."))
    except csv.Error as error:
        table.file_errors.append(_("The file is not a valid CSV file (line %(line)s: %(error)s).")
                                 % {"line": reader.line_num, "error": error})
    if table.file_errors or not check_rows:
        return table
    _check_rows(table)
    return table


_prefecture_code = functools.lru_cache(maxsize=512)(japan.prefecture_code)


def _check_rows(table: ListFile) -> None:
    first_by_key: dict[tuple[str, str], ListRow] = {}
    for row in table.rows:
        values = row.values
        name = values.get("name", "")
        if not name:
            _error(table, row, "name", _("The company name is empty."))
        elif len(name) > 200:
            _error(table, row, "name", _("Use at most 200 characters."))
        raw_number = values.get("corporate_number", "")
        number = japan.normalise_corporate_number(raw_number) if raw_number else ""
        if number and not japan.is_valid_corporate_number(number):
            _error(table, row, "corporate_number",
                   _("“%(value)s” is not a valid corporate number (13 digits with a matching check digit).")
                   % {"value": values["corporate_number"]})
        if len(values.get("domain", "")) > 254:
            _error(table, row, "domain", _("Use at most 254 characters."))
        industry = segments.industry_code(values.get("industry", ""))
        if industry is None:
            _error(table, row, "industry", _("“%(value)s” is not a JSIC major group (A–T, e.g. E or 製造業).")
                   % {"value": values["industry"]})
        band = segments.employee_band(values.get("employee_band", ""))
        if band is None:
            _error(table, row, "employee_band", _("“%(value)s” is not an employee band (%(bands)s) or a head count.")
                   % {"value": values["employee_band"], "bands": ", ".join(segments.EmployeeBand.values)})
        prefecture = _prefecture_code(values["prefecture"]) if values.get("prefecture") else ""
        if prefecture is None:
            _error(table, row, "prefecture", _("“%(value)s” is not a prefecture.") % {"value": values["prefecture"]})
        if row.errors:
            continue
        keys = matching.customer_keys(name, number, values.get("domain", ""))
        row.keys = matching.CustomerKeys(keys.name_key[:200], keys.corporate_number, (keys.domain or "")[:254] or None)
        row.industry, row.employee_band, row.prefecture = industry, band, prefecture
        for kind, key in (("c", row.keys.corporate_number), ("n", row.keys.name_key), ("d", row.keys.domain)):
            if not key:
                continue
            earlier = first_by_key.get((kind, key))
            if earlier is not None and earlier.keys is not None and matching.same_customer(earlier.keys, row.keys):
                _error(table, row, "", _("The same company as line %(line)s (%(name)s): list each company once.")
                       % {"line": earlier.line, "name": earlier.values.get("name", "")})
                break
        else:
            for kind, key in (("c", row.keys.corporate_number), ("n", row.keys.name_key), ("d", row.keys.domain)):
                if key:
                    first_by_key.setdefault((kind, key), row)
