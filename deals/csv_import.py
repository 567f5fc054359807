"""CSV import of direct-sales accounts and vendor leads: every line checked, all or nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from deals import leads, services
from deals.models import DirectAccount, DirectOpportunity
from partners import japan
from partners.csv_io import decode
from prm.accounts.models import STAFF_ROLES, User

DIRECT_COLUMNS = ["customer_name", "corporate_number", "web_domain", "owner_email", "opportunity", "amount", "expected_close"]
LEAD_COLUMNS = ["customer_name", "corporate_number", "web_domain", "contact_name", "contact_email", "prefecture",
                "amount", "source", "notes"]
MAX_ROWS = 10_000


def _rows(raw: bytes, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    text, _encoding = decode(raw, "auto")
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in columns[:1] if name not in header]
    if missing:
        raise ValidationError(_("The file has no column %(columns)s. Expected columns: %(expected)s.")
                              % {"columns": ", ".join(missing), "expected": ",".join(columns)})
    unknown = [name for name in header if name not in columns]
    if unknown:
        raise ValidationError(_("Unknown columns: %(columns)s. Expected columns: %(expected)s.")
                              % {"columns": ", ".join(unknown), "expected": ",".join(columns)})
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise ValidationError(_("Line %(line)s has more cells than the header.") % {"line": line})
        rows.append((line, {key.strip(): (value or "").strip() for key, value in row.items()}))
        if len(rows) > MAX_ROWS:
            raise ValidationError(_("The file has more than %(max)s rows.") % {"max": f"{MAX_ROWS:,}"})
    if not rows:
        raise ValidationError(_("The file has no rows."))
    return rows


def _number(line: int, field: str, raw: str, errors: list[str]) -> int:
    if not raw:
        return 0
    try:
        value = int(raw.replace(",", "").replace("¥", ""))
    except ValueError:
        errors.append(_("Line %(line)s, %(field)s: “%(value)s” is not a whole number.") % {"line": line, "field": field, "value": raw})
        return 0
    if value < 0:
        errors.append(_("Line %(line)s, %(field)s: the amount cannot be negative.") % {"line": line, "field": field})
    return value


def _corporate(line: int, raw: str, errors: list[str]) -> str:
    number = japan.normalise_corporate_number(raw)
    if number and not japan.is_valid_corporate_number(number):
        errors.append(_("Line %(line)s, corporate_number: “%(value)s” is not a valid corporate number.") % {"line": line, "value": raw})
    return number


def import_direct_accounts(raw: bytes) -> int:
    rows = _rows(raw, DIRECT_COLUMNS)
    owners = {u.email.lower(): u for u in User.objects.filter(role__in=STAFF_ROLES)}
    errors: list[str] = []
    parsed = []
    for line, row in rows:
        if not row.get("customer_name"):
            errors.append(_("Line %(line)s, customer_name: the customer company is required.") % {"line": line})
        owner = None
        if row.get("owner_email"):
            owner = owners.get(row["owner_email"].lower())
            if owner is None:
                errors.append(_("Line %(line)s, owner_email: no vendor staff with the address %(email)s.") % {"line": line, "email": row["owner_email"]})
        close = None
        if row.get("expected_close"):
            try:
                close = date.fromisoformat(row["expected_close"].replace("/", "-"))
            except ValueError:
                errors.append(_("Line %(line)s, expected_close: write the date as YYYY-MM-DD.") % {"line": line})
        parsed.append((row, owner, close, _corporate(line, row.get("corporate_number", ""), errors),
                       _number(line, "amount", row.get("amount", ""), errors)))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for row, owner, close, number, amount in parsed:
            account = DirectAccount(customer_name=row["customer_name"], corporate_number=number,
                                    web_domain=row.get("web_domain", ""), owner=owner)
            services.apply_keys(account, services.customer_keys_for(account.customer_name, number, account.web_domain))
            account.save()
            if row.get("opportunity"):
                DirectOpportunity.objects.create(account=account, name=row["opportunity"], amount=amount, expected_close=close)
    return len(parsed)


def import_leads(raw: bytes, *, actor: User) -> list:
    rows = _rows(raw, LEAD_COLUMNS)
    errors: list[str] = []
    parsed = []
    for line, row in rows:
        if not row.get("customer_name"):
            errors.append(_("Line %(line)s, customer_name: the customer company is required.") % {"line": line})
        prefecture = ""
        if row.get("prefecture"):
            prefecture = japan.prefecture_code(row["prefecture"]) or ""
            if not prefecture:
                errors.append(_("Line %(line)s, prefecture: unknown prefecture “%(value)s”.") % {"line": line, "value": row["prefecture"]})
        parsed.append(dict(customer_name=row.get("customer_name", ""), corporate_number=_corporate(line, row.get("corporate_number", ""), errors),
                           web_domain=row.get("web_domain", ""), contact_name=row.get("contact_name", ""),
                           contact_email=row.get("contact_email", ""), prefecture=prefecture,
                           amount=_number(line, "amount", row.get("amount", ""), errors), source=row.get("source", ""),
                           notes=row.get("notes", "")))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return [leads.lead_create(actor=actor, **fields) for fields in parsed]
