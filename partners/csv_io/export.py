"""Export: the same columns as the import, so exporting and importing again changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from partners.csv_io.cells import _display
from partners.csv_io.columns import CONTACT_COLUMNS, PARTNER_COLUMNS, Column
from partners.models import Contact, Partner
from prm import csv_export


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
