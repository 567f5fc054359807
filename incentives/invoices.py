"""Customer invoice payments (`invoice_paid`) for recurring revenue share: one service behind the
console form, the CSV import and the API.

Every source hands rows of column key → text (`COLUMNS`); `invoice_payments_check` reads and
checks them all (which deal, the date, the amount, the invoice number) and reports per line;
`invoice_payments_import` stores them in one transaction, or nothing at all when any line is wrong.

The rule, in one place (`_problems`): only a won deal takes payments; the payment date lies
between the day the deal was won and today; the amount is ¥1 to MAX_YEN; the invoice number
is given and identifies the invoice within its deal. The same invoice is never counted twice:
a second payment with the invoice number of a recorded one is refused, so importing the same
file again is refused line by line and changes nothing.

A deal is found by its number (案件番号, the number on the deal's page) or, without one, by the
customer (顧客名 and/or 法人番号) as the deals matcher judges it: exactly one won deal of that
customer, otherwise the line says why not.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals import matching
from deals import selectors as deal_selectors
from deals.models import Stage
from deals.selectors import DealRef
from incentives import audit
from incentives.models import InvoiceImport, InvoicePayment
from partners.csv_io import clean_cell, header_key, read_header
from prm.bounds import MAX_YEN, parse_ascii_int, validate_business_date
from prm.csv_import import CheckedFile, RowError
from prm.formatting import format_date

MAX_ROWS = 20_000
PREVIEW_ROWS = 500
REFERENCE_LENGTH = InvoicePayment._meta.get_field("reference").max_length
DEAL_KEYS = ("deal_number", "customer_name", "corporate_number")


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    aliases: tuple[str, ...]
    help: object
    example: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("deal_number", gettext_lazy("Deal number"), ("案件番号", "案件no", "deal_no", "deal_id", "deal"),
           gettext_lazy("The number on the deal's page. Leave empty to find the deal by customer."), "1024"),
    Column("customer_name", gettext_lazy("Customer"), ("顧客名", "顧客", "取引先名", "customer", "customer_company"),
           gettext_lazy("Without a deal number: the customer of exactly one won deal."), "株式会社サンプル"),
    Column("corporate_number", gettext_lazy("Corporate number (法人番号)"), ("法人番号", "corporate_no"),
           gettext_lazy("Without a deal number: the customer's corporate number (alone or with the name)."),
           "7010001008844"),
    Column("paid_on", gettext_lazy("Paid on"), ("入金日", "支払日", "paid_date", "payment_date"),
           gettext_lazy("2026-10-31, 2026/10/31 or 2026年10月31日; from the win date to today."), "2026-10-31", True),
    Column("amount", gettext_lazy("Amount (¥)"), ("金額", "入金額", "請求金額", "amount_yen"),
           gettext_lazy("Whole yen, ¥1 or more; ¥ and thousands separators are allowed."), "200000", True),
    Column("reference", gettext_lazy("Customer invoice number"), ("請求書番号", "請求番号", "invoice_number", "invoice_no",
                                                          "invoice"),
           gettext_lazy("Identifies the invoice within its deal; the same invoice is counted once."), "INV-2026-10-001",
           True),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
_ALIASES = {header_key(name): column.key for column in COLUMNS for name in (column.key, *column.aliases)}
_LABELS = {column.key: column.label for column in COLUMNS}


# --------------------------------------------------------------------------- results


@dataclass
class PaymentLine:
    line: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    deal: DealRef | None = None
    paid_on: date | None = None
    amount: int | None = None
    reference: str = ""

    def error(self, key: str, header: str, message: str) -> None:
        self.errors.append(RowError(key, header, message))


@dataclass
class PaymentCheck(CheckedFile):
    """Every line of a file (or an API call) with what it would record, or why it cannot."""

    rows: list[PaymentLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.amount or 0 for row in self.rows if not row.errors)

    def header(self, key: str) -> str:
        return self.headers.get(key) or str(_LABELS.get(key, key))


# --------------------------------------------------------------------------- reading a file


def read_file(text: str) -> PaymentCheck:
    """The decoded file's header and lines (cells cleaned as typed), file-level problems in file_errors."""
    check = PaymentCheck()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            check.file_errors.append(_("The file is empty: the first line must name the columns."))
            return check
        mapped = read_header(header, _ALIASES)
        check.headers.update(mapped.written)
        check.columns.extend(key for key in COLUMN_KEYS if key in mapped.written)
        check.ignored_columns.extend(mapped.ignored)
        check.file_errors.extend(mapped.errors)
        missing = [str(_LABELS[key]) for key in ("paid_on", "amount", "reference") if key not in mapped.written]
        if missing:
            check.file_errors.append(_("Missing required columns: %(columns)s.") % {"columns": ", ".join(missing)})
        if not any(key in mapped.written for key in DEAL_KEYS):
            check.file_errors.append(_("The file needs a column that names the deal: the deal number (案件番号), or the "
                                       "customer (顧客名 or 法人番号)."))
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(check.rows) == MAX_ROWS:
                check.file_errors.append(_("Line %(line)s: the file has more than %(max)s payments; split it into "
                                           "several files.") % {"line": f"{line:,}", "max": f"{MAX_ROWS:,}"})
                break
            check.rows.append(PaymentLine(line, {key: clean_cell(cells[index]) if index < len(cells) else ""
                                                 for index, key in mapped.positions.items()}))
        if not check.rows and not check.file_errors:
            check.file_errors.append(_("The file has no rows below its header."))
    except csv.Error as error:
        check.file_errors.append(_("The file is not a valid CSV file (line %(line)s: %(error)s).")
                                 % {"line": reader.line_num, "error": error})
    return check


def file_check(text: str) -> PaymentCheck:
    """A decoded file read and every line checked, as the preview shows it."""
    check = read_file(text)
    if not check.file_errors:
        _check_lines(check)
    return check


# --------------------------------------------------------------------------- parsing cells

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?", re.ASCII)


def parse_paid_on(text: str) -> date:
    """A payment date as people and spreadsheets write it, within the business years; ValidationError otherwise."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ValidationError(_("“%(value)s” is not a date: write it as 2026-10-31, 2026/10/31 or 2026年10月31日.")
                              % {"value": text[:40]}, code="invalid")
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(_("“%(value)s” is not a day of the calendar.") % {"value": text[:40]}, code="invalid") from None
    validate_business_date(day)
    return day


def parse_amount(text: str) -> int:
    """Whole yen written with the digits 0-9 (¥, 円 and thousands separators allowed), ¥1 to MAX_YEN."""
    cleaned = text.strip().lstrip("¥￥").rstrip("円").strip().replace(",", "")
    value = parse_ascii_int(cleaned)
    if value is None:
        raise ValidationError(_("“%(value)s” is not an amount in whole yen (digits 0-9, e.g. 200000 or ¥200,000).")
                              % {"value": text[:40]}, code="invalid")
    return value


def parse_deal_number(text: str) -> int:
    value = parse_ascii_int(text.strip().lstrip("#＃"))
    if value is None or value < 1:
        raise ValidationError(_("“%(value)s” is not a deal number (the number on the deal's page).")
                              % {"value": text[:40]}, code="invalid")
    return value


def clean_reference(text: str) -> str:
    reference = text.strip()
    if not reference:
        raise ValidationError(_("Give the invoice number: it keeps the same invoice from being counted twice."),
                              code="required")
    if len(reference) > REFERENCE_LENGTH:
        raise ValidationError(_("Use at most %(max)s characters.") % {"max": REFERENCE_LENGTH}, code="max_length")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") for char in reference):
        raise ValidationError(_("The invoice number contains a control or invisible character."), code="invalid")
    return reference


# --------------------------------------------------------------------------- the rule


def _stage_problem(deal: DealRef) -> str:
    number = deal.pk
    if deal.stage == Stage.WON:
        return ""
    if deal.stage == Stage.CANCELLED:
        return _("Deal %(number)s (%(customer)s) was cancelled: a cancelled deal takes no payments.") % {
            "number": number, "customer": deal.customer_name}
    if deal.stage == Stage.LOST:
        return _("Deal %(number)s (%(customer)s) was lost: only won deals take payments.") % {
            "number": number, "customer": deal.customer_name}
    if deal.stage == Stage.WON_PENDING:
        return _("The win of deal %(number)s (%(customer)s) waits for confirmation: confirm it before recording "
                 "payments.") % {"number": number, "customer": deal.customer_name}
    return _("Deal %(number)s (%(customer)s) has not been won (%(stage)s): only won deals take payments.") % {
        "number": number, "customer": deal.customer_name, "stage": deal.stage_label}


def _problems(deal: DealRef, paid_on: date, amount: int, today: date) -> dict[str, str]:
    """What makes this payment unacceptable, per field: the one rule every source goes through."""
    problems: dict[str, str] = {}
    stage = _stage_problem(deal)
    if stage:
        problems["deal"] = stage
    elif deal.won_on is not None and paid_on < deal.won_on:
        problems["paid_on"] = _("%(paid_on)s is before deal %(number)s was won (%(won_on)s).") % {
            "paid_on": format_date(paid_on), "number": deal.pk, "won_on": format_date(deal.won_on)}
    if "paid_on" not in problems and paid_on > today:
        problems["paid_on"] = _("%(paid_on)s is in the future: record a payment once it has been received.") % {
            "paid_on": format_date(paid_on)}
    if amount < 1:
        problems["amount"] = _("The amount must be at least ¥1.")
    elif amount > MAX_YEN:
        problems["amount"] = _("The amount must be at most ¥%(max)s.") % {"max": f"{MAX_YEN:,}"}
    return problems


def _error(check: PaymentCheck, row: PaymentLine, key: str, message: str) -> None:
    row.error(key, check.header(key), message)


def _check_lines(check: PaymentCheck) -> None:
    """Parse, find the deal of, and check every line; duplicates within the lines and against the database."""
    today = timezone.localdate()
    by_number: list[tuple[PaymentLine, int]] = []
    by_customer: list[PaymentLine] = []
    for row in check.rows:
        values = row.values
        for key, parse, target in (("paid_on", parse_paid_on, "paid_on"), ("amount", parse_amount, "amount"),
                                   ("reference", clean_reference, "reference")):
            try:
                setattr(row, target, parse(values.get(key, "")))
            except ValidationError as error:
                _error(check, row, key, " ".join(error.messages))
        if values.get("deal_number"):
            try:
                by_number.append((row, parse_deal_number(values["deal_number"])))
            except ValidationError as error:
                _error(check, row, "deal_number", " ".join(error.messages))
        elif values.get("customer_name") or values.get("corporate_number"):
            number = values.get("corporate_number", "")
            if number and matching.clean_corporate_number(number) is None:
                _error(check, row, "corporate_number",
                       _("“%(value)s” is not a valid corporate number (13 digits with a matching check digit).")
                       % {"value": number[:40]})
            elif len(values.get("customer_name", "")) > 200:
                _error(check, row, "customer_name", _("Use at most 200 characters."))
            else:
                by_customer.append(row)
        else:
            _error(check, row, "deal_number", _("Name the deal: give its deal number, or the customer (顧客名 or 法人番号)."))
    deals = deal_selectors.deals_by_number(number for _row, number in by_number)
    for row, number in by_number:
        row.deal = deals.get(number)
        if row.deal is None:
            _error(check, row, "deal_number", _("There is no deal %(number)s.") % {"number": number})
    found = deal_selectors.deals_for_customers([(row.values.get("customer_name", ""), row.values.get("corporate_number", ""))
                                                for row in by_customer])
    for row, candidates in zip(by_customer, found, strict=True):
        _match_customer(check, row, candidates)
    _check_rule_and_duplicates(check, today)


def _customer_column(row: PaymentLine) -> str:
    return "customer_name" if row.values.get("customer_name") else "corporate_number"


def _match_customer(check: PaymentCheck, row: PaymentLine, candidates: list[DealRef]) -> None:
    customer = row.values.get("customer_name") or row.values.get("corporate_number", "")
    won = [deal for deal in candidates if deal.stage == Stage.WON]
    if len(won) == 1:
        row.deal = won[0]
    elif len(won) > 1:
        _error(check, row, _customer_column(row),
               _("%(customer)s has %(count)s won deals (%(numbers)s): give the deal number to say which one was paid.")
               % {"customer": customer, "count": len(won), "numbers": ", ".join(str(deal.pk) for deal in won)})
    elif candidates:
        # No won deal: say what became of the customer's latest registration.
        _error(check, row, _customer_column(row), _stage_problem(candidates[-1]))
    else:
        _error(check, row, _customer_column(row), _("No deal is registered for the customer %(customer)s.")
               % {"customer": customer})


def _deal_column(row: PaymentLine) -> str:
    if row.values.get("deal_number") or not (row.values.get("customer_name") or row.values.get("corporate_number")):
        return "deal_number"
    return _customer_column(row)


def _recorded(keys: set[tuple[int, str]]) -> dict[tuple[int, str], date]:
    """(deal, invoice number) → paid on, of the payments already recorded: one probe of the unique index per key."""
    if not keys:
        return {}
    deal_ids, references = zip(*sorted(keys), strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT p.deal_id, p.reference, p.paid_on
                  FROM unnest(%s::bigint[], %s::text[]) AS k(deal_id, reference)
                  JOIN {InvoicePayment._meta.db_table} p ON p.deal_id = k.deal_id AND p.reference = k.reference
                 WHERE p.reference <> ''""", [list(deal_ids), list(references)])
        return {(deal_id, reference): paid_on for deal_id, reference, paid_on in cursor.fetchall()}


def _check_rule_and_duplicates(check: PaymentCheck, today: date) -> None:
    first_line: dict[tuple[int, str], int] = {}
    candidates = [row for row in check.rows if row.deal is not None]
    recorded = _recorded({(row.deal.pk, row.reference) for row in candidates if row.reference})
    for row in candidates:
        if row.paid_on is not None and row.amount is not None:
            for key, message in _problems(row.deal, row.paid_on, row.amount, today).items():
                _error(check, row, _deal_column(row) if key == "deal" else key, message)
        elif stage := _stage_problem(row.deal):
            _error(check, row, _deal_column(row), stage)
        if not row.reference:
            continue
        key = (row.deal.pk, row.reference)
        if key in recorded:
            _error(check, row, "reference", _("Invoice %(reference)s of deal %(number)s is already recorded (paid on "
                                              "%(paid_on)s): the same invoice is counted once.")
                   % {"reference": row.reference, "number": row.deal.pk, "paid_on": format_date(recorded[key])})
        elif key in first_line:
            _error(check, row, "reference", _("Invoice %(reference)s of deal %(number)s is already on line %(line)s.")
                   % {"reference": row.reference, "number": row.deal.pk, "line": first_line[key]})
        else:
            first_line[key] = row.line


# --------------------------------------------------------------------------- the service


def invoice_payments_check(rows: Iterable[Mapping[str, object]], *, first_line: int = 1) -> PaymentCheck:
    """Rows of column key → value (the API's shape; see COLUMNS), each checked; lines numbered from `first_line`."""
    check = PaymentCheck(columns=list(COLUMN_KEYS))
    for line, record in enumerate(rows, start=first_line):
        if len(check.rows) == MAX_ROWS:
            check.file_errors.append(_("More than %(max)s payments at once: send them in parts.") % {"max": f"{MAX_ROWS:,}"})
            break
        check.rows.append(PaymentLine(line, {key: "" if record.get(key) is None else str(record.get(key)).strip()
                                             for key in COLUMN_KEYS}))
    if not check.rows and not check.file_errors:
        check.file_errors.append(_("There are no payments to record."))
    if not check.file_errors:
        _check_lines(check)
    return check


def invoice_payments_import(rows: Iterable[Mapping[str, object]], *, actor, first_line: int = 1,
                            source: InvoiceImport | None = None, description: str = "") -> Recorded:
    """Record every row, or none: a ValidationError lists each wrong line (line, column, reason)."""
    with transaction.atomic():
        check = invoice_payments_check(rows, first_line=first_line)
        return _store(check, actor=actor, source=source, description=description)


@dataclass(frozen=True)
class Recorded:
    """What an import recorded: the new payments' ids, how many, and their total."""

    ids: list[int]
    total: int

    @property
    def count(self) -> int:
        return len(self.ids)


def _store(check: PaymentCheck, *, actor, source: InvoiceImport | None, description: str) -> Recorded:
    """One INSERT of every checked line (no model instances: an import holds ten thousand), audited once."""
    if check.has_errors:
        raise ValidationError(check.messages(limit=20), code="invalid")
    rows = check.rows
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {InvoicePayment._meta.db_table}
                        (deal_id, paid_on, amount, reference, recorded_by_id, recorded_at, source_id)
                    SELECT line.deal_id, line.paid_on, line.amount, line.reference, %s::bigint, %s::timestamptz, %s::bigint
                      FROM unnest(%s::bigint[], %s::date[], %s::bigint[], %s::text[])
                           AS line(deal_id, paid_on, amount, reference)
                 RETURNING id""",
                [actor.pk if actor else None, timezone.now(), source.pk if source else None,
                 [row.deal.pk for row in rows], [row.paid_on for row in rows], [row.amount for row in rows],
                 [row.reference for row in rows]])
            ids = [pk for (pk,) in cursor.fetchall()]
    except IntegrityError:
        raise ValidationError(_("Some of these invoices were recorded by someone else meanwhile; check the payments "
                                "and try again."), code="conflict") from None
    recorded = Recorded(ids, sum(row.amount for row in rows))
    audit.record(actor=actor, action="invoice_payments_imported", obj=source or InvoicePayment(pk=ids[0]),
                 count=recorded.count, total=recorded.total, source=description or (source.filename if source else ""),
                 first=min(row.paid_on for row in rows).isoformat(), last=max(row.paid_on for row in rows).isoformat())
    return recorded


def invoice_payment_record(*, deal: DealRef, paid_on: date, amount: int, reference: str,
                           actor) -> InvoicePayment:
    """Record one payment (the form, one API call) on a deal found with deals.selectors.deals_by_number.
    ValidationError keyed by field: deal, paid_on, amount, reference."""
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    try:
        reference = clean_reference(reference or "")
    except ValidationError as error:
        errors["reference"] = error.messages
    try:
        validate_business_date(paid_on)
    except ValidationError as error:
        errors["paid_on"] = error.messages
    for key, message in _problems(deal, paid_on, amount, today).items():
        errors.setdefault(key, [message])
    with transaction.atomic():
        if "reference" not in errors:
            earlier = InvoicePayment.objects.filter(deal_id=deal.pk, reference=reference).values_list("paid_on", flat=True).first()
            if earlier is not None:
                errors["reference"] = [_("Invoice %(reference)s of deal %(number)s is already recorded (paid on "
                                         "%(paid_on)s): the same invoice is counted once.")
                                       % {"reference": reference, "number": deal.pk, "paid_on": format_date(earlier)}]
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                payment = InvoicePayment.objects.create(deal_id=deal.pk, paid_on=paid_on, amount=amount, reference=reference,
                                                        recorded_by=actor)
        except IntegrityError:
            raise ValidationError({"reference": [_("This invoice was recorded by someone else meanwhile.")]}) from None
        audit.record(actor=actor, action="invoice_payment_recorded", obj=payment, deal=deal.pk,
                     customer=deal.customer_name, partner=deal.partner_name, reference=reference,
                     paid_on=paid_on.isoformat(), amount=amount)
    return payment


# --------------------------------------------------------------------------- CSV import batches


def import_upload(*, actor, filename: str, text: str, encoding: str) -> InvoiceImport:
    """Keep a decoded file for its preview; refuses a file whose columns or size are wrong."""
    check = read_file(text)
    if check.file_errors:
        raise ValidationError({"file": check.file_errors})
    return InvoiceImport.objects.create(filename=filename[:255], encoding=encoding, content=text, uploaded_by=actor)


def import_apply(*, batch: InvoiceImport, actor) -> Recorded:
    """Check the file again and record every line in one transaction, or nothing."""
    with transaction.atomic():
        locked = InvoiceImport.objects.select_for_update().get(pk=batch.pk)
        if locked.status != InvoiceImport.Status.PREVIEW:
            raise ValidationError(_("This import was already applied or discarded."), code="state")
        check = file_check(locked.content)
        created = _store(check, actor=actor, source=locked, description=locked.filename)
        locked.status = InvoiceImport.Status.APPLIED
        locked.applied_at = timezone.now()
        locked.result = {"count": created.count, "total": created.total}
        locked.save(update_fields=["status", "applied_at", "result"])
    batch.refresh_from_db()
    return created


def import_discard(*, batch: InvoiceImport, actor) -> None:
    with transaction.atomic():
        locked = InvoiceImport.objects.select_for_update().get(pk=batch.pk)
        if locked.status != InvoiceImport.Status.PREVIEW:
            raise ValidationError(_("This import was already applied or discarded."), code="state")
        locked.status = InvoiceImport.Status.DISCARDED
        locked.save(update_fields=["status"])


def template_rows() -> tuple[list[str], list[list[str]]]:
    """The header (Japanese, as a finance team's file has it) and two example lines for the downloadable template."""
    header = ["案件番号", "顧客名", "法人番号", "入金日", "金額", "請求書番号"]
    rows = [["1024", "", "", "2026-10-31", "200000", "INV-2026-10-001"],
            ["", "株式会社サンプル", "7010001008844", "2026-10-31", "150000", "INV-2026-10-002"]]
    return header, rows

