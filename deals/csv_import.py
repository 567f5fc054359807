"""CSV import of direct-sales accounts and vendor leads: every line checked, all or nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from deals import leads, services
from deals.models import DirectAccount, DirectOpportunity, Lead
from partners import japan
from partners.csv_io import decode
from prm.accounts.models import STAFF_ROLES, User
from prm.bounds import MAX_YEN, parse_ascii_int, validate_business_date

DIRECT_COLUMNS = ["customer_name", "corporate_number", "web_domain", "owner_email", "opportunity", "amount", "expected_close"]
LEAD_COLUMNS = ["customer_name", "corporate_number", "web_domain", "contact_name", "contact_email", "prefecture",
                "amount", "source", "notes"]
MAX_ROWS = 10_000
DIRECT_LIMITS = {
    **{name: DirectAccount._meta.get_field(name).max_length for name in ("customer_name", "web_domain")},
    "opportunity": DirectOpportunity._meta.get_field("name").max_length,
}
LEAD_LIMITS = {name: Lead._meta.get_field(name).max_length for name in
               ("customer_name", "web_domain", "contact_name", "contact_email", "source")}


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
    value = parse_ascii_int(raw.replace(",", "").replace("¥", ""))
    if value is None:
        errors.append(_("Line %(line)s, %(field)s: “%(value)s” is not a whole number.") % {"line": line, "field": field, "value": raw[:30]})
        return 0
    if value < 0:
        errors.append(_("Line %(line)s, %(field)s: the amount cannot be negative.") % {"line": line, "field": field})
    elif value > MAX_YEN:
        errors.append(_("Line %(line)s, %(field)s: the amount is above ¥%(max)s.") % {"line": line, "field": field, "max": f"{MAX_YEN:,}"})
    return value


def _date(line: int, field: str, raw: str, errors: list[str]) -> date | None:
    try:
        value = date.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        errors.append(_("Line %(line)s, %(field)s: write the date as YYYY-MM-DD.") % {"line": line, "field": field})
        return None
    try:
        validate_business_date(value)
    except ValidationError as error:
        errors.append(_("Line %(line)s, %(field)s: %(error)s") % {"line": line, "field": field, "error": " ".join(error.messages)})
        return None
    return value


def _lengths(line: int, row: dict[str, str], limits: dict[str, int], errors: list[str]) -> None:
    """Cells longer than their column can hold are errors, not database failures."""
    for name, limit in limits.items():
        if len(row.get(name, "")) > limit:
            errors.append(_("Line %(line)s, %(field)s: at most %(max)s characters.") % {"line": line, "field": name, "max": limit})


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
                errors.append(_("Line %(line)s, owner_email: no vendor staff with the address %(email)s.")
                              % {"line": line, "email": row["owner_email"]})
        _lengths(line, row, DIRECT_LIMITS, errors)
        close = _date(line, "expected_close", row["expected_close"], errors) if row.get("expected_close") else None
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
        _lengths(line, row, LEAD_LIMITS, errors)
        prefecture = ""
        if row.get("prefecture"):
            prefecture = japan.prefecture_code(row["prefecture"]) or ""
            if not prefecture:
                errors.append(_("Line %(line)s, prefecture: unknown prefecture “%(value)s”.") % {"line": line, "value": row["prefecture"]})
        parsed.append(dict(customer_name=row.get("customer_name", ""),
                           corporate_number=_corporate(line, row.get("corporate_number", ""), errors),
                           web_domain=row.get("web_domain", ""), contact_name=row.get("contact_name", ""),
                           contact_email=row.get("contact_email", ""), prefecture=prefecture,
                           amount=_number(line, "amount", row.get("amount", ""), errors), source=row.get("source", ""),
                           notes=row.get("notes", "")))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return [leads.lead_create(actor=actor, **fields) for fields in parsed]
