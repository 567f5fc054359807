"""CSV import and export of partners and contacts. No HTTP here: the views only parse and call.

Files come from Excel as often as from other systems: UTF-8 (with or without BOM) or
Shift_JIS/CP932, headers in English snake_case or in Japanese. `preview` checks every row with
the rules the forms use (services.clean_identifiers, partners.japan); `apply` runs the preview
again and writes everything through the services in one transaction, or nothing at all. The
console queues the apply (`apply_queue`) and a worker runs it (`import_run`), since a large file
takes longer than a web request may.
An export writes the same columns, so exporting and importing again changes nothing.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from partners import japan, services
from partners.models import (
    AccountType,
    Contact,
    ContactRole,
    CoSellingModel,
    EventKind,
    ImportBatch,
    Industry,
    Partner,
    PartnerEvent,
    PartnerType,
    Stage,
)
from prm import csv_export
from prm.accounts.models import STAFF_ROLES, User
from prm.events import collected as events_collected

MAX_ROWS = 10_000
ENCODINGS = ("auto", "utf-8", "cp932")
ENCODING_LABELS = {"utf-8": "UTF-8", "cp932": "Shift_JIS (CP932)"}
PARTNERS, CONTACTS = ImportBatch.Kind.PARTNERS.value, ImportBatch.Kind.CONTACTS.value
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"

# The fields services.clean_identifiers checks together: one missing makes the account incomplete.
BANK_KEYS = ("bank_code", "branch_code", "account_type", "account_number", "account_holder")
IDENTIFIER_KEYS = ("corporate_number", "invoice_number", *BANK_KEYS, "prefectures")
LIST_SEPARATORS = re.compile(r"[|｜、]")
_FIELD_OF = {"owner_email": "owner", "parent_corporate_number": "parent"}


def _example_number(base: str) -> str:
    return f"{japan.corporate_number_check_digit(base)}{base}"


_EXAMPLE_NUMBER = _example_number("234567890123")
_EXAMPLE_PARENT = _example_number("345678901234")


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    help: Any
    example: str = ""
    required: bool = False


PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("name", ("会社名", "企業名"), gettext_lazy("Company name. Finds the partner to update when there is no corporate number."),
           "株式会社サンプル", required=True),
    Column("name_kana", ("会社名カナ", "会社名(カナ)", "フリガナ"), gettext_lazy("Company name in kana, used for sorting."), "サンプル"),
    Column("partner_type", ("種別", "パートナー種別"), gettext_lazy("Code, or the Japanese or English label."), "resale",
           required=True),
    Column("stage", ("ステージ",), gettext_lazy("Code or label; empty keeps the stage (new partners: prospect)."), "prospect"),
    Column("parent_corporate_number", ("親パートナー法人番号", "親会社法人番号"),
           gettext_lazy("The upstream distributor's corporate number (or exact name)."), _EXAMPLE_PARENT),
    Column("owner_email", ("担当者メールアドレス", "担当者メール", "担当者"),
           gettext_lazy("E-mail address of the vendor admin or channel manager who owns the partner."), "tanaka@vendor.example"),
    Column("prefectures", ("都道府県", "担当地域", "テリトリー"),
           gettext_lazy("Prefecture codes or names separated by | or 、."), "東京都|神奈川県"),
    Column("industries", ("業種",), gettext_lazy("Industry codes separated by |."), "it|sier"),
    Column("corporate_number", ("法人番号",), gettext_lazy("13 digits with a valid check digit."), _EXAMPLE_NUMBER),
    Column("invoice_number", ("登録番号", "インボイス登録番号", "適格請求書発行事業者登録番号"),
           gettext_lazy("T followed by 13 digits."), f"T{_EXAMPLE_NUMBER}"),
    Column("website", ("ウェブサイト", "ホームページ", "url"), "", "https://example.co.jp"),
    Column("phone", ("電話番号", "電話"), "", "03-1234-5678"),
    Column("postal_code", ("郵便番号",), "", "100-0001"),
    Column("address", ("住所", "所在地"), "", "東京都千代田区千代田1-1"),
    Column("bank_code", ("銀行コード", "金融機関コード"), gettext_lazy("4 digits."), "0001"),
    Column("bank_name", ("銀行名", "金融機関名"), "", "みずほ銀行"),
    Column("branch_code", ("支店コード",), gettext_lazy("3 digits."), "001"),
    Column("branch_name", ("支店名",), "", "東京営業部"),
    Column("account_type", ("口座種別", "預金種目"), gettext_lazy("1 or 普通, 2 or 当座, 4 or 貯蓄."), "普通"),
    Column("account_number", ("口座番号",), gettext_lazy("Up to 7 digits."), "1234567"),
    Column("account_holder", ("口座名義", "口座名義(カナ)", "口座名義カナ"), gettext_lazy("Katakana as on the passbook."),
           "ｶ)ｻﾝﾌﾟﾙ"),
    Column("co_selling_model", ("協業モデル",), gettext_lazy("Code or label."), "door_opener"),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("partner_corporate_number", ("パートナー法人番号", "法人番号"),
           gettext_lazy("The partner's corporate number; or leave empty and give the partner's name."), _EXAMPLE_NUMBER),
    Column("partner_name", ("パートナー名", "会社名"), gettext_lazy("The partner's exact name."), "株式会社サンプル"),
    Column("full_name", ("氏名", "名前"), "", "山田 太郎", required=True),
    Column("full_name_kana", ("氏名カナ", "氏名(カナ)", "フリガナ"), "", "ヤマダ タロウ"),
    Column("email", ("メールアドレス", "メール"), gettext_lazy("Finds the contact to update within the partner."),
           "yamada@sample.example"),
    Column("phone", ("電話番号", "電話"), "", "03-1234-5678"),
    Column("department", ("部署", "部署名"), "", "営業部"),
    Column("title", ("役職",), "", "部長"),
    Column("role", ("役割",), gettext_lazy("Code or label; empty keeps the role (new contacts: rep)."), "sales_manager"),
    Column("is_key_person", ("キーパーソン",), gettext_lazy("1/0, true/false or はい/いいえ."), "1"),
)

COLUMNS = {PARTNERS: PARTNER_COLUMNS, CONTACTS: CONTACT_COLUMNS}
# Contacts need one of the two partner columns; the header check names both.
CONTACT_PARTNER_KEYS = ("partner_corporate_number", "partner_name")

_EXTRA_LABELS: dict[type[models.TextChoices], dict[str, str]] = {
    PartnerType: {"紹介": "referral", "取次": "agency", "代理店": "agency", "販売代理店": "agency", "再販": "resale",
                  "リセラー": "resale", "一次代理店": "distributor", "ディストリビューター": "distributor",
                  "ソリューションパートナー": "solution", "アライアンス": "alliance"},
    Stage: {"見込み": "prospect", "応募": "applied", "リクルーティング": "recruiting", "募集中": "recruiting",
            "オンボーディング": "onboarding", "アクティベーション": "activation", "活性化": "activation",
            "リテンション": "retention", "定着": "retention", "休眠": "dormant", "終了": "terminated", "解約": "terminated"},
    AccountType: {"普通": "1", "当座": "2", "貯蓄": "4", "ordinary": "1", "current": "2", "savings": "4"},
    CoSellingModel: {"ドアオープナー": "door_opener", "クロスセル": "cross_sell"},
    ContactRole: {"決裁者": "decision_maker", "営業責任者": "sales_manager", "営業マネージャー": "sales_manager",
                  "営業担当": "rep", "担当者": "rep"},
}
_TRUE = {"1", "true", "yes", "y", "はい", "○", "◯", "true.", "t"}
_FALSE = {"0", "false", "no", "n", "いいえ", "×", "f", "-"}
_PREFECTURE_NAMES = {code: ja for code, ja, _en in japan.PREFECTURES}

# Shift_JIS look-alikes: what Japanese text contains but only the Unicode side of CP932 can't hold.
_FORMULA_START = csv_export.FORMULA_START
_EXCEL_TEXT = re.compile(r'="(.*)"', re.S)


# --------------------------------------------------------------------------- results


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


@dataclass
class PreviewRow:
    line: int  # the header is line 1
    action: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    target: Any = None  # the Partner or Contact an update changes
    fields: dict[str, Any] = field(default_factory=dict)  # what goes to the service
    parent_line: int | None = None  # the parent is created by the row on this line

    def error_on(self, column: str) -> list[RowError]:
        return [error for error in self.errors if error.column == column]

    def cells(self, columns: Iterable[str]) -> list[tuple[str, bool, bool]]:
        """(value, changed by an update, has an error) per column, for the preview table."""
        return [(self.values.get(key, ""), _FIELD_OF.get(key, key) in self.changed, bool(self.error_on(key)))
                for key in columns]


@dataclass
class Preview:
    kind: str
    columns: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    rows: list[PreviewRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(row.errors) for row in self.rows)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def error_rows(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.errors]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(row.action for row in self.rows if not row.errors)
        return {CREATE: counted[CREATE], UPDATE: counted[UPDATE], UNCHANGED: counted[UNCHANGED]}

    def messages(self, limit: int = 5) -> list[str]:
        found = list(self.file_errors)
        for row in self.rows:
            found += [_("Line %(line)s, %(error)s") % {"line": row.line, "error": error} for error in row.errors]
        if len(found) > limit:
            return [*found[:limit], _("… and %(count)s more.") % {"count": len(found) - limit}]
        return found


# --------------------------------------------------------------------------- decoding and reading


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


# --------------------------------------------------------------------------- values


@functools.cache
def _choice_table(choices: type[models.TextChoices]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in choices.choices:
        table[_fold(value)] = value
        for language in ("en", "ja"):
            with translation.override(language):
                table.setdefault(_fold(str(label)), value)
    for alias, value in _EXTRA_LABELS.get(choices, {}).items():
        table.setdefault(_fold(alias), value)
    return table


def _choice(choices: type[models.TextChoices], raw: str) -> str:
    if not raw:
        return ""
    value = _choice_table(choices).get(_fold(raw))
    if value is None:
        raise ValidationError(_("“%(value)s” is not one of: %(choices)s.")
                              % {"value": raw, "choices": ", ".join(str(value) for value in choices.values)})
    return value


def _split(raw: str) -> list[str]:
    seen: list[str] = []
    for part in LIST_SEPARATORS.split(raw):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def _prefectures(raw: str) -> list[str]:
    # Unknown names stay as written so services.clean_identifiers names them in its error.
    codes = [japan.prefecture_code(part) or part for part in _split(raw)]
    return list(dict.fromkeys(codes))


def _industries(raw: str) -> list[str]:
    table = _choice_table(Industry)
    unknown = [part for part in _split(raw) if _fold(part) not in table]
    if unknown:
        raise ValidationError(_("Unknown industry: %(value)s (use %(choices)s).")
                              % {"value": ", ".join(unknown), "choices": "|".join(Industry.values)})
    return list(dict.fromkeys(table[_fold(part)] for part in _split(raw)))


def _boolean(raw: str) -> bool | None:
    folded = _fold(raw)
    if not folded:
        return None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValidationError(_("Write 1 or 0 (true/false, はい/いいえ)."))


def _zero_padded(raw: str, width: int) -> str:
    # Excel drops leading zeros from codes such as 0001; put them back.
    digits = japan.normalise_digits(raw)
    return digits.zfill(width) if digits.isdigit() and len(digits) < width else digits


def _text(model: type, key: str, raw: str) -> str:
    limit = model._meta.get_field(key).max_length
    if limit and len(raw) > limit:
        raise ValidationError(_("Use at most %(max)s characters (this has %(length)s).") % {"max": limit, "length": len(raw)})
    return raw


def _display(key: str, value: Any) -> str:
    """A value the way the export writes it."""
    if value is None:
        return ""
    if key == "prefectures":
        return "|".join(_PREFECTURE_NAMES.get(code, code) for code in value)
    if isinstance(value, (list, tuple)):
        return "|".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, User):
        return value.email
    if isinstance(value, Partner):
        return value.corporate_number or value.name
    return str(value)


class _Row:
    """Collects one row's errors against the file's own headers."""

    def __init__(self, table: _Table, line: int, cells: dict[str, str]):
        self.table = table
        self.cells = cells
        self.out = PreviewRow(line=line, values=dict(cells))

    def error(self, key: str, message: Any) -> None:
        header = self.table.headers.get(key, key) if key else ""
        self.out.errors.append(RowError(key, header, str(message)))

    def errors_from(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for key, errors in error.message_dict.items():
                for message in errors:
                    self.error(key if key != "__all__" else "", message)
        else:
            for message in error.messages:
                self.error("", message)

    def parse(self, key: str, parser, default: Any = None) -> Any:
        if key not in self.cells:
            return default
        try:
            value = parser(self.cells[key])
        except ValidationError as error:
            for message in error.messages:
                self.error(key, message)
            return default
        self.out.values[key] = _display(key, value)
        return value


# --------------------------------------------------------------------------- preview


def preview(kind: str, text: str) -> Preview:
    table = _read(kind, text)
    result = Preview(kind=kind, columns=table.columns, headers=table.headers, file_errors=table.file_errors,
                     ignored_columns=table.ignored)
    if table.file_errors:
        return result
    result.rows = _preview_partners(table) if kind == PARTNERS else _preview_contacts(table)
    return result


def _partner_text(key: str):
    return lambda raw: _text(Partner, key, raw)


_PARTNER_PARSERS = {
    "name": _partner_text("name"),
    "name_kana": _partner_text("name_kana"),
    "partner_type": lambda raw: _choice(PartnerType, raw),
    "stage": lambda raw: _choice(Stage, raw),
    "prefectures": _prefectures,
    "industries": _industries,
    "corporate_number": japan.normalise_corporate_number,
    "invoice_number": japan.normalise_invoice_number,
    "website": lambda raw: forms.URLField(required=False, max_length=200, assume_scheme="https").clean(raw),
    "phone": _partner_text("phone"),
    "postal_code": _partner_text("postal_code"),
    "address": _partner_text("address"),
    "bank_code": lambda raw: _zero_padded(raw, 4),
    "bank_name": _partner_text("bank_name"),
    "branch_code": lambda raw: _zero_padded(raw, 3),
    "branch_name": _partner_text("branch_name"),
    "account_type": lambda raw: _choice(AccountType, raw),
    "account_number": japan.normalise_digits,
    "account_holder": lambda raw: raw,
    "co_selling_model": lambda raw: _choice(CoSellingModel, raw),
}


def _preview_partners(table: _Table) -> list[PreviewRow]:
    present = set(table.columns)
    numbers = {japan.normalise_corporate_number(cells.get(key, "")) for _line, cells in table.rows
               for key in ("corporate_number", "parent_corporate_number")} - {""}
    names = {cells.get(key, "") for _line, cells in table.rows for key in ("name", "parent_corporate_number")} - {""}
    existing = list(Partner.objects.filter(Q(corporate_number__in=numbers) | Q(name__in=names)))
    by_number = {partner.corporate_number: partner for partner in existing if partner.corporate_number}
    by_name = {partner.name: partner for partner in existing}
    staff = {user.email.lower(): user for user in User.objects.filter(role__in=STAFF_ROLES)} if "owner_email" in present else {}

    rows: list[PreviewRow] = []
    seen_number: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    seen_target: dict[int, int] = {}
    for line, cells in table.rows:
        row = _Row(table, line, cells)
        values = {key: row.parse(key, parser) for key, parser in _PARTNER_PARSERS.items() if key in cells}
        name = values.get("name") or ""
        if "name" in values and not name:
            row.error("name", _("Enter the company name."))

        number = values.get("corporate_number") or ""
        valid_number = number if japan.is_valid_corporate_number(number) else ""
        numbered, named = by_number.get(valid_number), by_name.get(name)
        # A name and a number of two different partners: clean_identifiers, given the named one, says who owns the number.
        target = named if named is not None else numbered
        if named is not None and numbered is None and valid_number and named.corporate_number not in ("", valid_number):
            row.error("corporate_number", _("%(name)s has the corporate number %(number)s; a company's corporate number "
                                            "does not change.") % {"name": named.name, "number": named.corporate_number})

        identifiers = {key: values[key] for key in IDENTIFIER_KEYS if key in values}
        if valid_number and (numbered is None or numbered == target):
            # Known not to clash (looked up for the whole file above): spare clean_identifiers its query.
            identifiers.pop("corporate_number", None)
        if target is not None and any(key in identifiers for key in BANK_KEYS):
            identifiers |= {key: getattr(target, key) for key in BANK_KEYS if key not in identifiers}
        try:
            values |= services.clean_identifiers(identifiers, partner=target)
        except ValidationError as error:
            row.errors_from(error)
        else:
            row.out.values |= {key: _display(key, values[key]) for key in IDENTIFIER_KEYS if key in cells}

        if number:
            if number in seen_number:
                row.error("corporate_number", _("Line %(line)s has the same corporate number.") % {"line": seen_number[number]})
            seen_number.setdefault(number, line)
        if name:
            if name in seen_name:
                row.error("name", _("Line %(line)s has the same company name.") % {"line": seen_name[name]})
            seen_name.setdefault(name, line)
        if target is not None:
            if target.pk in seen_target and not row.out.errors:
                row.error("", _("Line %(line)s already changes this partner.") % {"line": seen_target[target.pk]})
            seen_target.setdefault(target.pk, line)

        if "owner_email" in cells:
            email = cells["owner_email"].lower()
            owner = staff.get(email) if email else None
            if email and owner is None:
                row.error("owner_email", _("No vendor admin or channel manager has the e-mail address %(email)s.")
                          % {"email": email})
            elif owner is not None and not owner.is_active and getattr(target, "owner_id", None) != owner.pk:
                row.error("owner_email", _("%(email)s is deactivated.") % {"email": email})
            values["owner"] = owner

        if not values.get("partner_type"):
            values.pop("partner_type", None)
            if target is None and not row.out.error_on("partner_type"):
                row.error("partner_type", _("Choose the partner type of a new partner."))
        if not values.get("stage"):
            values.pop("stage", None)
        row.out.target = target
        row.out.fields = {key: value for key, value in values.items() if key != "owner_email"}
        rows.append(row.out)

    if "parent_corporate_number" in present:
        _resolve_parents(table, rows, by_number, by_name)
    for row in rows:
        _decide(row, partner_fields=True)
    return rows


def _resolve_parents(table: _Table, rows: list[PreviewRow], by_number: dict, by_name: dict) -> None:
    """Find each row's parent: an existing partner or one the file creates; refuse loops."""
    line_by_key: dict[str, int] = {}
    for row in rows:
        for key in (row.fields.get("corporate_number"), row.fields.get("name")):
            if key:
                line_by_key.setdefault(key, row.line)
    row_by_line = {row.line: row for row in rows}
    line_of_target = {row.target.pk: row.line for row in rows if row.target is not None}

    def node(row: PreviewRow) -> tuple:
        return ("db", row.target.pk) if row.target is not None else ("line", row.line)

    def refuse(row: PreviewRow, message: str) -> None:
        row.errors.append(RowError("parent_corporate_number", table.headers["parent_corporate_number"], message))

    planned: dict[tuple, tuple | None] = {}
    for row in rows:
        ref = row.values.get("parent_corporate_number", "")
        if not ref:
            row.fields["parent"] = planned[node(row)] = None
            continue
        number = japan.normalise_corporate_number(ref)
        is_number = number.isdigit() and len(number) == 13
        key = number if is_number else ref
        parent = by_number.get(key) if is_number else by_name.get(key)
        parent_row = row_by_line.get(line_by_key.get(key, 0))
        if parent is None and parent_row is not None:
            parent = parent_row.target  # a partner the file updates (say, giving it its number)
        if parent is None and parent_row is not None:
            row.parent_line = parent_row.line
            planned[node(row)] = ("line", parent_row.line)
        elif parent is not None:
            row.fields["parent"] = parent
            planned[node(row)] = ("db", parent.pk)
        else:
            refuse(row, _("No partner has the corporate number or name %(value)s.") % {"value": ref})
            continue
        if planned[node(row)] == node(row):
            refuse(row, _("A partner cannot sit below itself."))
            continue
        # Only a new link must point at a distributor: existing links stay as they are.
        if row.parent_line:
            parent_type = row_by_line[row.parent_line].fields.get("partner_type")
        else:
            in_file = row_by_line.get(line_of_target.get(parent.pk, 0))
            parent_type = (in_file.fields.get("partner_type") if in_file else None) or parent.partner_type
        changes_link = row.target is None or row.parent_line or row.target.parent_id != parent.pk
        if changes_link and parent_type != PartnerType.DISTRIBUTOR:
            refuse(row, _("The parent partner must be a distributor."))

    if not any(planned.values()):
        return
    parents = dict(Partner.objects.exclude(parent=None).values_list("pk", "parent_id"))

    def parent_of(current: tuple) -> tuple | None:
        if current in planned:
            return planned[current]
        if current[0] == "db" and current[1] in parents:
            return ("db", parents[current[1]])
        return None

    for row in rows:
        if row.error_on("parent_corporate_number"):
            continue
        start = planned.get(node(row))
        current, steps = start, 0
        while current is not None and steps <= len(planned) + len(parents):
            if current == node(row):
                refuse(row, _("This parent would make the partner sit below itself."))
                break
            current, steps = parent_of(current), steps + 1


_RELATIONS = ("owner", "parent", "partner")


def _current(target: Any, key: str) -> Any:
    return getattr(target, f"{key}_id") if key in _RELATIONS else getattr(target, key)


def _comparable(key: str, value: Any) -> Any:
    return getattr(value, "pk", value) if key in _RELATIONS else value


def _decide(row: PreviewRow, *, partner_fields: bool) -> None:
    """The row's action and the fields its service call needs."""
    if row.errors:
        row.action = ""
        return
    if row.target is None:
        row.action = CREATE
        if row.parent_line:
            row.changed.append("parent")
        return
    changed = [key for key, value in row.fields.items() if _comparable(key, value) != _current(row.target, key)]
    if row.parent_line:
        changed.append("parent")
    row.changed = changed
    row.action = UPDATE if changed else UNCHANGED
    fields = {key: row.fields[key] for key in changed if key in row.fields}
    if partner_fields and any(key in BANK_KEYS for key in changed):
        # clean_identifiers checks the account as a whole, so the service needs all of it.
        fields |= {key: row.fields.get(key, getattr(row.target, key)) for key in BANK_KEYS}
    if not partner_fields:
        # contact_save always writes the address, and the partner is the key, never a change.
        fields |= {"email": row.fields.get("email", row.target.email), "partner": row.fields["partner"]}
    row.fields = fields


def _contact_text(key: str):
    return lambda raw: _text(Contact, key, raw)


def _email(raw: str) -> str:
    return forms.EmailField(required=False).clean(raw).lower()


_CONTACT_PARSERS = {
    "full_name": _contact_text("full_name"),
    "full_name_kana": _contact_text("full_name_kana"),
    "email": _email,
    "phone": _contact_text("phone"),
    "department": _contact_text("department"),
    "title": _contact_text("title"),
    "role": lambda raw: _choice(ContactRole, raw),
    "is_key_person": _boolean,
}


def _preview_contacts(table: _Table) -> list[PreviewRow]:
    numbers = {japan.normalise_corporate_number(cells.get("partner_corporate_number", "")) for _l, cells in table.rows} - {""}
    names = {cells.get("partner_name", "") for _l, cells in table.rows} - {""}
    partners = list(Partner.objects.filter(Q(corporate_number__in=numbers) | Q(name__in=names)))
    by_number = {partner.corporate_number: partner for partner in partners if partner.corporate_number}
    by_name = {partner.name: partner for partner in partners}
    by_email: dict[tuple[int, str], Contact] = {}
    unnamed: dict[tuple[int, str], deque[Contact]] = defaultdict(deque)
    for contact in Contact.objects.filter(partner__in=partners).order_by("pk"):
        if contact.email:
            by_email[(contact.partner_id, contact.email)] = contact
        else:
            unnamed[(contact.partner_id, contact.full_name)].append(contact)

    rows: list[PreviewRow] = []
    seen: dict[tuple[int, str], int] = {}
    for line, cells in table.rows:
        row = _Row(table, line, cells)
        values = {key: row.parse(key, parser) for key, parser in _CONTACT_PARSERS.items() if key in cells}
        if not values.get("full_name") and not row.out.error_on("full_name"):
            row.error("full_name", _("Enter the contact's name."))

        number = japan.normalise_corporate_number(cells.get("partner_corporate_number", ""))
        partner_name = cells.get("partner_name", "")
        partner = named = by_name.get(partner_name) if partner_name else None
        if number:
            partner = by_number.get(number)
            if partner is None:
                row.error("partner_corporate_number", _("No partner has the corporate number %(number)s.") % {"number": number})
            elif named is not None and named.pk != partner.pk:
                row.error("partner_name", _("The corporate number belongs to %(name)s, not to this partner.")
                          % {"name": partner.name})
        elif partner_name and partner is None:
            row.error("partner_name", _("No partner is called %(name)s.") % {"name": partner_name})
        elif not partner_name:
            row.error("partner_corporate_number", _("Give the partner's corporate number or name."))

        email = values.get("email") or ""
        target = None
        if partner is not None:
            if email:
                if (partner.pk, email) in seen:
                    row.error("email", _("Line %(line)s has the same contact.") % {"line": seen[(partner.pk, email)]})
                seen.setdefault((partner.pk, email), line)
                target = by_email.get((partner.pk, email))
            elif unnamed[(partner.pk, values.get("full_name") or "")]:
                target = unnamed[(partner.pk, values.get("full_name") or "")].popleft()
            row.out.values["partner_corporate_number"] = partner.corporate_number or number
            row.out.values["partner_name"] = partner.name

        for key, default in (("role", ContactRole.REP), ("is_key_person", False)):
            if values.get(key) in ("", None):
                values.pop(key, None)
                if target is None:
                    values[key] = default
        row.out.target = target
        row.out.fields = {"partner": partner, **values}
        _decide(row.out, partner_fields=False)
        rows.append(row.out)
    return rows


# --------------------------------------------------------------------------- apply and discard


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


# --------------------------------------------------------------------------- export


def _partner_cells(partner: Partner) -> dict[str, str]:
    cells = {column.key: _display(column.key, getattr(partner, column.key, None)) for column in PARTNER_COLUMNS}
    cells["owner_email"] = partner.owner.email if partner.owner_id else ""
    cells["parent_corporate_number"] = _display("parent", partner.parent) if partner.parent_id else ""
    return cells


def _contact_cells(contact: Contact) -> dict[str, str]:
    cells = {column.key: _display(column.key, getattr(contact, column.key, None)) for column in CONTACT_COLUMNS}
    cells["partner_corporate_number"] = contact.partner.corporate_number
    cells["partner_name"] = contact.partner.name
    return cells


def _table(columns: tuple[Column, ...], records: Iterator[dict[str, str]]) -> tuple[list[str], Iterator[list]]:
    """Every value as text; digit codes (0001, 13-digit corporate numbers) kept as codes, so that
    Excel neither drops their leading zeros nor shows them as 1.2E+12, and the import reads them back."""
    keys = [column.key for column in columns]
    return keys, ([csv_export.Code(record[key]) for key in keys] for record in records)


def partner_table(queryset: QuerySet[Partner] | Iterable[Partner]) -> tuple[list[str], Iterator[list]]:
    """The export's header and rows, read while they are written."""
    if isinstance(queryset, QuerySet):
        queryset = queryset.select_related("owner", "parent").iterator(chunk_size=2000)
    return _table(PARTNER_COLUMNS, (_partner_cells(partner) for partner in queryset))


def contact_table(queryset: QuerySet[Contact] | Iterable[Contact]) -> tuple[list[str], Iterator[list]]:
    if isinstance(queryset, QuerySet):
        queryset = queryset.select_related("partner").iterator(chunk_size=2000)
    return _table(CONTACT_COLUMNS, (_contact_cells(contact) for contact in queryset))


def export_partners(queryset: QuerySet[Partner] | Iterable[Partner], encoding: str = "utf-8") -> bytes:
    header, rows = partner_table(queryset)
    return csv_export.csv_bytes(header, rows, encoding=encoding)


def export_contacts(queryset: QuerySet[Contact] | Iterable[Contact], encoding: str = "utf-8") -> bytes:
    header, rows = contact_table(queryset)
    return csv_export.csv_bytes(header, rows, encoding=encoding)