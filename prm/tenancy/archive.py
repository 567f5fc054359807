"""A vendor as one archive, and back: for moving a vendor, restoring it, or handing its data over.

The archive is a gzip'd tar with
  manifest.json   the vendor and domain rows, each table's columns and row count, sequences
  data/<table>    every table of the vendor's schema, PostgreSQL COPY text format
  media/<path>    the vendor's stored files (through the default storage, so local or S3 alike)
  logo/<name>     the portal logo, when there is one
No pg_dump binary is needed: the tables are copied through the application's own connection,
with an explicit column list so a restore never depends on column order.

Counts the database keeps by triggers (prm.migration_sql.kept_count) are not archived: loading the
counted table on restore fires the same triggers, which count it again.

A restore creates the schema with this code's migrations, empties it, and loads the tables in
one transaction (Django's foreign keys are deferred, so the order does not matter); it refuses
an archive made at another migration state, since the columns would not match.
"""

from __future__ import annotations

import io
import json
import logging
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from prm.tenancy.models import Domain, Vendor

logger = logging.getLogger(__name__)
FORMAT = 1


class ArchiveError(Exception):
    """Something an operator has to decide: said in plain words, nothing changed."""


@dataclass
class Restored:
    vendor: Vendor
    counts: dict[str, int]
    expected: dict[str, int]
    media_files: int
    seconds: float
    mismatched: list[str] = field(default_factory=list)


def tables_of(schema: str) -> list[str]:
    """The tables an archive holds: every table of the schema but the counts the database keeps itself."""
    kept = kept_count_tables(schema)
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_type = 'BASE TABLE' ORDER BY table_name", [schema])
        return [row[0] for row in cursor.fetchall() if row[0] not in kept]


def kept_count_tables(schema: str) -> set[str]:
    """The schema's tables of counts kept by triggers (prm.migration_sql.kept_count): the first argument of each
    trigger calling kyoso_keep_count. They are left out of an archive: loading the counted table rebuilds them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid "
                       "WHERE n.nspname = %s AND p.proname = 'kyoso_keep_count'", [schema])
        return {bytes(row[0]).split(b"\0")[0].decode() for row in cursor.fetchall()}


def row_counts(schema: str) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in tables_of(schema):
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def _columns(schema: str, table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                       "ORDER BY ordinal_position", [schema, table])
        return [row[0] for row in cursor.fetchall()]


def _sequences(schema: str) -> dict[str, list]:
    values = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s "
                       "ORDER BY sequencename", [schema])
        for name, last_value in cursor.fetchall():
            if last_value is not None:
                values[name] = [last_value, True]
    return values


def _media_names(directory: str = "") -> list[str]:
    """Every stored file of the current tenant, relative to its media root."""
    try:
        folders, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return []
    names = [f"{directory}/{name}" if directory else name for name in files]
    for folder in folders:
        names += _media_names(f"{directory}/{folder}" if directory else folder)
    return sorted(names)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _vendor_row(vendor: Vendor) -> dict:
    return {"slug": vendor.slug, "name": vendor.name, "brand_colour": vendor.brand_colour,
            "time_zone": vendor.time_zone, "fiscal_year_start_month": vendor.fiscal_year_start_month,
            "schema_name": vendor.schema_name}


def export_vendor(slug: str, out: Path) -> dict:
    """Write the vendor's archive to `out`; returns the manifest."""
    with schema_context("public"):
        vendor = Vendor.objects.filter(slug=slug).exclude(schema_name="public").first()
        if vendor is None:
            raise ArchiveError(f"No vendor has the slug {slug!r}.")
        domains = [{"domain": d.domain, "kind": d.kind, "is_primary": d.is_primary} for d in vendor.domains.all()]
    schema = vendor.schema_name
    manifest: dict = {"format": FORMAT, "exported_at": timezone.now().isoformat(), "vendor": _vendor_row(vendor),
                      "domains": domains, "tables": {}, "sequences": {}, "media": [], "logo": ""}
    with tarfile.open(out, "w:gz") as tar:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                with connection.cursor() as cursor:
                    # One snapshot for every table: a consistent archive while the vendor keeps working.
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for table in tables_of(schema):
                columns = _columns(schema, table)
                buffer = io.BytesIO()
                rows = 0
                with connection.cursor() as cursor:
                    column_list = ", ".join(f'"{c}"' for c in columns)
                    with cursor.cursor.copy(f'COPY "{schema}"."{table}" ({column_list}) TO STDOUT') as copy:
                        for chunk in copy:
                            buffer.write(chunk)
                    cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
                    rows = cursor.fetchone()[0]
                _add(tar, f"data/{table}", buffer.getvalue())
                manifest["tables"][table] = {"columns": columns, "rows": rows}
            manifest["sequences"] = _sequences(schema)
        with tenant_context(vendor):
            for name in _media_names():
                with default_storage.open(name, "rb") as handle:
                    _add(tar, f"media/{name}", handle.read())
                manifest["media"].append(name)
        if vendor.logo:
            try:
                with vendor.logo.open("rb") as handle:
                    _add(tar, f"logo/{Path(vendor.logo.name).name}", handle.read())
                manifest["logo"] = Path(vendor.logo.name).name
            except FileNotFoundError:
                pass
        _add(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    connection.set_schema_to_public()
    return manifest


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            return json.load(tar.extractfile("manifest.json"))
    except (OSError, KeyError, tarfile.TarError, ValueError) as error:
        raise ArchiveError(f"{archive} is not a vendor archive: {error}") from None


def import_vendor(archive: Path, *, slug: str | None = None, console_domain: str | None = None,
                  portal_domain: str | None = None, replace: bool = False) -> Restored:
    """Restore an archive as vendor `slug` (the archived one by default); refuses an existing slug unless `replace`."""
    from prm.tenancy.services import default_domains, schema_name_for, vendor_delete

    started = time.perf_counter()
    manifest = read_manifest(archive)
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"Archive format {manifest.get('format')!r} is not supported (expected {FORMAT}).")
    source = manifest["vendor"]
    slug = (slug or source["slug"]).strip().lower()
    with schema_context("public"):
        existing = Vendor.objects.filter(slug=slug).first()
        if existing is not None and not replace:
            raise ArchiveError(f"A vendor with the slug {slug!r} exists; choose another slug or pass --replace.")
    same = slug == source["slug"]
    wanted = {Domain.Kind.CONSOLE: console_domain, Domain.Kind.PORTAL: portal_domain}
    defaults = dict(zip((Domain.Kind.CONSOLE, Domain.Kind.PORTAL), default_domains(slug), strict=True))
    domains = []
    for row in manifest["domains"]:
        name = wanted.get(row["kind"]) or (row["domain"] if same else defaults.get(row["kind"]))
        if name:
            domains.append({**row, "domain": name.lower()})
    with schema_context("public"):
        others = Domain.objects.exclude(tenant=existing) if existing is not None else Domain.objects.all()
        taken = [d["domain"] for d in domains if others.filter(domain=d["domain"]).exists()]
    if taken:
        raise ArchiveError(f"Domain(s) already in use: {', '.join(taken)}; pass --console-domain/--portal-domain.")
    with tarfile.open(archive, "r:gz") as tar:
        if existing is not None:
            vendor_delete(existing)
        with schema_context("public"):
            vendor = Vendor(schema_name=schema_name_for(slug), slug=slug, name=source["name"],
                            brand_colour=source["brand_colour"], time_zone=source["time_zone"],
                            fiscal_year_start_month=source["fiscal_year_start_month"])
            vendor.save(verbosity=0)  # creates and migrates the schema
        try:
            _load(tar, manifest, vendor)
            with schema_context("public"):
                for row in domains:
                    Domain.objects.create(tenant=vendor, domain=row["domain"], kind=row["kind"],
                                          is_primary=row["is_primary"])
                if manifest.get("logo"):
                    vendor.logo.save(f"{slug}-{manifest['logo']}",
                                     ContentFile(tar.extractfile(f"logo/{manifest['logo']}").read()), save=True)
            with tenant_context(vendor):
                for name in manifest["media"]:
                    default_storage.save(name, ContentFile(tar.extractfile(f"media/{name}").read()))
        except BaseException:
            connection.set_schema_to_public()
            vendor_delete(vendor)
            raise
    connection.set_schema_to_public()
    counts = row_counts(vendor.schema_name)
    expected = {table: spec["rows"] for table, spec in manifest["tables"].items()}
    mismatched = sorted(t for t in set(counts) | set(expected) if counts.get(t) != expected.get(t))
    logger.info("vendor %s restored from %s as %s", source["slug"], archive, slug)
    return Restored(vendor, counts, expected, len(manifest["media"]), time.perf_counter() - started, mismatched)


def _load(tar: tarfile.TarFile, manifest: dict, vendor: Vendor) -> None:
    schema = vendor.schema_name
    here = set(tables_of(schema))
    there = set(manifest["tables"])
    if here != there:
        raise ArchiveError("The archive was made with other tables than this version has "
                           f"(only in the archive: {sorted(there - here)}; only here: {sorted(here - there)}).")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        applied = {tuple(row) for row in cursor.fetchall()}
    archived = {tuple(line.split("\t")[1:3]) for line in
                tar.extractfile("data/django_migrations").read().decode().splitlines() if line}
    if applied != archived:
        raise ArchiveError("The archive was made at another migration state "
                           f"(only in the archive: {sorted(archived - applied)[:5]}; "
                           f"only here: {sorted(applied - archived)[:5]}). Restore it with the matching version.")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("TRUNCATE " + ", ".join(f'"{schema}"."{t}"' for t in sorted(here)) + " CASCADE")
        for table, spec in manifest["tables"].items():
            column_list = ", ".join(f'"{c}"' for c in spec["columns"])
            data = tar.extractfile(f"data/{table}")
            with cursor.cursor.copy(f'COPY "{schema}"."{table}" ({column_list}) FROM STDIN') as copy:
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
        # Each key sequence continues after the archive's last value and past the highest key loaded.
        cursor.execute("SELECT table_name, column_name, pg_get_serial_sequence(format('%%I.%%I', table_schema, "
                       "table_name), column_name) FROM information_schema.columns WHERE table_schema = %s "
                       "AND (is_identity = 'YES' OR column_default LIKE 'nextval%%')", [schema])
        for table, column, sequence in cursor.fetchall():
            if sequence:
                archived = manifest["sequences"].get(sequence.split(".")[-1].strip('"'), [0])[0]
                cursor.execute(f'SELECT setval(%s, GREATEST(COALESCE(MAX("{column}"), 0), %s) + 1, false) '
                               f'FROM "{schema}"."{table}"', [sequence, archived])
