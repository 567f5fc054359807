"""Account mapping writes: customer lists in (upload → preview → apply, all or nothing), deleted
completely, the overlap recomputed for one partner, sharing levels."""

from __future__ import annotations

import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mapping import csv_lists
from mapping.models import (
    CustomerList,
    ListUpload,
    OverlapSnapshot,
    PartnerPopulation,
    Sharing,
    SharingSetting,
    VendorPopulation,
)
from mapping.overlap import MATCHED_IDS, partner_records_sql, vendor_population_sql
from partners.access import require_partner_member, require_vendor_staff
from partners.models import Partner
from partners.models import Stage as PartnerStage
from prm.accounts.models import User

# Which populations each side may upload.
VENDOR_LISTS = (VendorPopulation.TARGETS,)
PARTNER_LISTS = tuple(PartnerPopulation)


def _require_owner(*, actor: User, partner: Partner | None) -> None:
    """A partner's lists: its own partner admins, or the vendor's staff while the partner is a
    prospect (a list it was handed for Planning; once a partner is recruited its list is its own).
    The vendor's lists: its staff only."""
    if actor.is_vendor_staff:
        if partner is not None and partner.stage != PartnerStage.PROSPECT:
            raise PermissionDenied(_("A recruited partner's lists are its own."))
        return
    require_partner_member(actor, partner, admin=True)


def _check_population(partner: Partner | None, population: str) -> None:
    allowed = PARTNER_LISTS if partner is not None else VENDOR_LISTS
    if population not in allowed:
        raise ValidationError({"population": _("Choose which list this file is.")})


def list_upload_create(*, actor: User, partner: Partner | None, population: str, filename: str, raw: bytes,
                       encoding: str = "auto") -> ListUpload:
    """Decode and check the file as a whole; nothing is stored when it cannot be read."""
    _require_owner(actor=actor, partner=partner)
    _check_population(partner, population)
    try:
        text, used = csv_lists.decode(raw, encoding)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    table = csv_lists.read(text, check_rows=False)  # the preview checks every line
    if table.file_errors:
        raise ValidationError({"file": table.file_errors})
    return ListUpload.objects.create(partner=partner, population=population, filename=filename[:255], encoding=used,
                                     content=text, uploaded_by=actor)


def _copy_records(customer_list: CustomerList, rows: list[csv_lists.ListRow]) -> None:
    columns = ("customer_list_id", "line", "customer_name", "corporate_number", "web_domain", "name_key",
               "corporate_key", "domain_key", "industry", "employee_band", "prefecture")
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY mapping_customerrecord ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                keys = row.keys
                assert keys is not None  # a file with a row in error is refused before it is copied
                copy.write_row((customer_list.pk, row.line, row.values.get("name", ""), keys.corporate_number or "",
                                row.values.get("domain", ""), keys.name_key, keys.corporate_number or "",
                                keys.domain or "", row.industry, row.employee_band, row.prefecture))


@transaction.atomic
def list_apply(*, upload: ListUpload, actor: User) -> CustomerList:
    """Check every line again and replace the list, or change nothing. A partner's overlap is
    recomputed at once; a vendor list changes every partner's, recomputed one partner per task."""
    _require_owner(actor=actor, partner=upload.partner)
    table = csv_lists.read(upload.content)
    if table.has_errors:
        raise ValidationError(table.messages())
    previous = CustomerList.objects.filter(partner=upload.partner, population=upload.population).first()
    if previous is not None:
        _delete_list(previous)
    customer_list = CustomerList.objects.create(partner=upload.partner, population=upload.population,
                                                filename=upload.filename, row_count=len(table.rows),
                                                uploaded_by=actor, uploaded_at=timezone.now())
    _copy_records(customer_list, table.rows)
    upload.delete()
    if upload.partner is not None:
        overlap_recompute(partner=upload.partner)
    else:
        _recompute_all_on_commit()
    return customer_list


def list_upload_discard(*, upload: ListUpload, actor: User) -> None:
    _require_owner(actor=actor, partner=upload.partner)
    upload.delete()


@transaction.atomic
def list_delete(*, customer_list: CustomerList, actor: User) -> None:
    """Gone completely (APPI): the list, its records with their keys, and their matches. The
    snapshots keep only counts."""
    _require_owner(actor=actor, partner=customer_list.partner)
    partner = customer_list.partner
    ListUpload.objects.filter(partner=partner, population=customer_list.population).delete()
    _delete_list(customer_list)
    if partner is not None:
        overlap_recompute(partner=partner)
    else:
        _recompute_all_on_commit()


def _delete_list(customer_list: CustomerList) -> None:
    """Three set-based deletes (the ORM's cascade would load every record and match first)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM mapping_overlapmatch m USING mapping_customerrecord r "
                       "WHERE m.record_id = r.id AND r.customer_list_id = %s", [customer_list.pk])
        cursor.execute("DELETE FROM mapping_customerrecord WHERE customer_list_id = %s", [customer_list.pk])
        cursor.execute("DELETE FROM mapping_customerlist WHERE id = %s", [customer_list.pk])


def overlaps_recompute_later() -> int:
    """Every partner with a list, one task each: the vendor's populations change with its deals
    and accounts, so the nightly run keeps the matrices and their trend current."""
    return _recompute_all_on_commit()


def _recompute_all_on_commit() -> int:
    from mapping import tasks

    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    partner_ids = list(CustomerList.objects.filter(partner__isnull=False).values_list("partner_id", flat=True).distinct())

    def enqueue() -> None:
        for partner_id in partner_ids:
            tasks.overlap_recompute.delay(schema, partner_id)

    transaction.on_commit(enqueue)
    return len(partner_ids)


@transaction.atomic
def overlap_recompute(*, partner: Partner) -> OverlapSnapshot:
    """Replace this partner's matches with one INSERT … SELECT per vendor population and record
    a snapshot of the counts. Other partners are not touched."""
    started = time.perf_counter()
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{schema}/overlap/{partner.pk}"])
        cursor.execute("DELETE FROM mapping_overlapmatch WHERE partner_id = %s", [partner.pk])
        p_sql, p_params = partner_records_sql(partner.pk)
        for population in VendorPopulation:
            v_sql, v_params = vendor_population_sql(population)
            cursor.execute(
                f"WITH p AS ({p_sql}), v AS ({v_sql}) "
                f"INSERT INTO mapping_overlapmatch (partner_id, record_id, vendor_population) "
                f"SELECT %s, m.id, %s FROM ({MATCHED_IDS}) m",
                (*p_params, *v_params, partner.pk, population.value))
        cursor.execute(
            """SELECT m.vendor_population, l.population, count(*)
                 FROM mapping_overlapmatch m
                 JOIN mapping_customerrecord r ON r.id = m.record_id
                 JOIN mapping_customerlist l ON l.id = r.customer_list_id
                WHERE m.partner_id = %s
                GROUP BY 1, 2""", [partner.pk])
        cells = {f"{vendor}:{own}": count for vendor, own, count in cursor.fetchall()}
    sizes = {f"partner:{row['population']}": row["row_count"]
             for row in CustomerList.objects.filter(partner=partner).values("population", "row_count")}
    return OverlapSnapshot.objects.create(partner=partner, cells=cells, sizes=sizes,
                                          seconds=round(time.perf_counter() - started, 3))


def may_manage_lists(*, actor: User, partner: Partner | None) -> bool:
    try:
        _require_owner(actor=actor, partner=partner)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def sharing_set(*, actor: User, partner: Partner | None, population: str, level: str) -> SharingSetting:
    """partner None: the vendor's choice for one of its populations."""
    if partner is None:
        require_vendor_staff(actor)
    else:
        require_partner_member(actor, partner, admin=True)  # a partner's sharing is the partner's own choice
    allowed = PartnerPopulation.values if partner is not None else VendorPopulation.values
    if population not in allowed or level not in Sharing.values:
        raise ValidationError(_("Choose a list and a sharing level."))
    setting, _created = SharingSetting.objects.update_or_create(partner=partner, population=population,
                                                                defaults={"level": level})
    return setting
