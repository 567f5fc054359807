"""全銀協 (Zengin) fixed-length transfer file for approved payouts (総合振込, 120 bytes a record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from partners import japan
from prm import csv_export

RECORD = 120


@dataclass(frozen=True)
class Transfer:
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str
    holder: str
    amount: int
    reference: str


def validate_account(*, name: str, bank_code: str, branch_code: str, account_type: str, account_number: str,
                     holder: str) -> list[str]:
    problems = []
    if not (bank_code.isdigit() and len(bank_code) == 4):
        problems.append(_("%(name)s: the bank code must be 4 digits.") % {"name": name})
    if not (branch_code.isdigit() and len(branch_code) == 3):
        problems.append(_("%(name)s: the branch code must be 3 digits.") % {"name": name})
    if account_type not in japan.ACCOUNT_TYPES:
        problems.append(_("%(name)s: the account type must be ordinary, current or savings.") % {"name": name})
    if not (account_number.isdigit() and 1 <= len(account_number) <= 7):
        problems.append(_("%(name)s: the account number must be up to 7 digits.") % {"name": name})
    if not holder or not japan.is_valid_zengin_name(holder):
        problems.append(_("%(name)s: the account holder must be in half-width katakana, letters and digits.") % {"name": name})
    return problems


def _text(value: str, width: int) -> bytes:
    """Half-width kana, upper-case letters and digits only; a name that cannot be written that way
    (a bank name in kanji, say) is left blank, which banks accept: the codes identify the account."""
    kana = japan.to_zengin_kana(value)
    if kana and not japan.is_valid_zengin_name(kana):
        kana = ""
    encoded = kana.encode("cp932")[:width]
    return encoded + b" " * (width - len(encoded))


def _digits(value: int | str, width: int) -> bytes:
    text = str(value)
    if len(text) > width:
        raise ValueError(f"{value} does not fit in {width} digits")
    return text.zfill(width).encode("ascii")


def _record(*parts: bytes) -> bytes:
    record = b"".join(parts)
    if len(record) != RECORD:
        raise ValueError(f"record of {len(record)} bytes")
    return record


def transfer_file(*, client_code: str, client_name: str, transfer_date: date, bank_code: str, bank_name: str,
                  branch_code: str, branch_name: str, account_type: str, account_number: str,
                  transfers: list[Transfer]) -> bytes:
    """Header (1), data (2) per payout, trailer (8), end (9); Shift_JIS, CR LF between records.
    The transfer date is moved back to a bank business day (banks do not transfer on holidays)."""
    transfer_date = japan.previous_bank_business_day(transfer_date)
    header = _record(b"1", b"21", b"0", _digits(client_code, 10), _text(client_name, 40),
                     transfer_date.strftime("%m%d").encode(), _digits(bank_code, 4), _text(bank_name, 15),
                     _digits(branch_code, 3), _text(branch_name, 15), _digits(account_type, 1),
                     _digits(account_number, 7), b" " * 17)
    records = [header]
    for transfer in transfers:
        records.append(_record(
            b"2", _digits(transfer.bank_code, 4), _text(transfer.bank_name, 15), _digits(transfer.branch_code, 3),
            _text(transfer.branch_name, 15), b"    ", _digits(transfer.account_type, 1),
            _digits(transfer.account_number, 7), _text(transfer.holder, 30), _digits(transfer.amount, 10), b"0",
            _text(transfer.reference, 10), _text("", 10), b"7", b" ", b" " * 7))
    total = sum(t.amount for t in transfers)
    records.append(_record(b"8", _digits(len(transfers), 6), _digits(total, 12), b" " * 101))
    records.append(_record(b"9", b" " * 119))
    return b"\r\n".join(records) + b"\r\n"


def transfer_csv(transfers: list[Transfer]) -> bytes:
    header = ["bank_code", "bank_name", "branch_code", "branch_name", "account_type", "account_number",
              "account_holder", "amount", "reference"]
    return csv_export.csv_bytes(header, ([t.bank_code, t.bank_name, t.branch_code, t.branch_name, t.account_type,
                                          t.account_number, t.holder, t.amount, t.reference] for t in transfers))


def check(transfers_by_name: dict[str, dict]) -> None:
    problems = []
    for name, account in transfers_by_name.items():
        problems += validate_account(name=name, **account)
    if problems:
        raise ValidationError(problems)
