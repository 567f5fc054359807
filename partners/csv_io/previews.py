"""The preview: every row checked with the forms' rules and decided (create, update, unchanged) before
anything is written."""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from partners import japan, services
from partners.csv_io.cells import _boolean, _choice, _display, _industries, _prefectures, _text, _zero_padded
from partners.csv_io.columns import BANK_KEYS, CREATE, IDENTIFIER_KEYS, PARTNERS, UNCHANGED, UPDATE
from partners.csv_io.reading import _read, _Table
from partners.models import AccountType, Contact, ContactRole, CoSellingModel, Partner, PartnerType, Stage
from prm.accounts.models import STAFF_ROLES, User
from prm.csv_import import CheckedFile, RowError

_FIELD_OF = {"owner_email": "owner", "parent_corporate_number": "parent"}


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
class Preview(CheckedFile):
    """The checked file of a partner or contact import, each row decided (create, update, unchanged)."""

    kind: str = field(kw_only=True)
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def error_rows(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.errors]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(row.action for row in self.rows if not row.errors)
        return {CREATE: counted[CREATE], UPDATE: counted[UPDATE], UNCHANGED: counted[UNCHANGED]}

    def messages(self, limit: int = 5) -> list[str]:
        """Its own wording: a failed import keeps these in the batch's error, with how many more there are."""
        found = list(self.file_errors)
        for row in self.rows:
            found += [_("Line %(line)s, %(error)s") % {"line": row.line, "error": error} for error in row.errors]
        if len(found) > limit:
            return [*found[:limit], _("… and %(count)s more.") % {"count": len(found) - limit}]
        return found


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
