"""The partner and contact exports, for the request (small ones) and for the worker (prm.exports)."""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import QuerySet
from django.utils import timezone

from partners import csv_io, selectors
from partners.models import Contact, Partner
from partners.selectors import PartnerFilters
from prm import exports

KINDS = ("partners", "contacts")


def params(kind: str, filters: PartnerFilters, encoding: str) -> dict:
    """What a queued export keeps of the request: the validated filters and the encoding."""
    return {"kind": kind, "filters": asdict(filters), "encoding": encoding}


def filters_of(params: dict) -> PartnerFilters:
    return PartnerFilters(**params.get("filters", {}))


def rows_for(kind: str, filters: PartnerFilters) -> QuerySet[Partner] | QuerySet[Contact]:
    """The partners of the list's filters, or their contacts (key people first)."""
    partners = selectors.partner_list(filters)
    if kind == "partners":
        return partners
    return Contact.objects.filter(partner__in=partners.values("pk")).order_by(
        "partner__name_kana", "partner__name", "partner_id", "-is_key_person", "full_name_kana", "full_name", "pk")


def filename(kind: str, encoding: str) -> str:
    return f"{kind}-{timezone.localdate():%Y%m%d}{'-sjis' if encoding == 'cp932' else ''}.csv"


def table(kind: str, queryset):
    return csv_io.partner_table(queryset) if kind == "partners" else csv_io.contact_table(queryset)


def _build(kind: str):
    def build(params: dict):
        header, rows = table(kind, rows_for(kind, filters_of(params)))
        return filename(kind, params.get("encoding", "utf-8")), header, rows

    return build


for _kind in KINDS:
    exports.register(f"partners.{_kind}", _build(_kind))
