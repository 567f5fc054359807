"""The template schema: a vendor schema that only migrations ever wrote to, copied for each new vendor.

Migrating 100+ tables for a new vendor takes seconds and grows with the migration history; copying
a ready schema takes a fraction of that. The release step (`setup_platform`) migrates the template
like any vendor, then writes down, once, the statements that rebuild it (tables, sequences,
constraints, indexes, in the template's own names) in a public row. Creating a vendor then runs
those statements in the new schema and copies the rows migrations seeded (content types,
permissions, default programmes …): pure DDL, no catalogue search, so it costs the same with 10
or 10,000 vendors.

The template has no Vendor row and no Domain row: it is never routable, never in a fan-out, an
export or the admin's list. Its name cannot be a vendor's (theirs start with "v_").

When the template is missing or was built for other migrations than the code's (a release step
not yet run), a new vendor is migrated the slow way instead: always correct, just slower.
"""

from __future__ import annotations

import functools
import hashlib
import logging

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_exists

logger = logging.getLogger(__name__)

TEMPLATE_KEY = "template"
# Raised when the form of the recorded script changes: an older one is rebuilt at the next start.
SCRIPT_VERSION = 6
VENDORS_KEY = "vendors"
PUBLIC_KEY = "public"


def template_schema() -> str:
    return settings.KYOSO_TEMPLATE_SCHEMA


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.cache
def migration_fingerprint() -> str:
    """A hash of every migration the code holds (app and name), as Django records applied ones.

    Django decides what to apply by these names alone, so equal fingerprints mean a migrate would
    do nothing. Cached: the code does not change under a running process.
    """
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    nodes = sorted(f"{app}.{name}" for app, name in loader.disk_migrations)
    return hashlib.sha256("\n".join(nodes).encode()).hexdigest()


def recorded_fingerprint(key: str) -> str | None:
    from prm.tenancy.models import SchemaRelease

    return SchemaRelease.objects.filter(key=key).values_list("fingerprint", flat=True).first()


def record_fingerprint(key: str, fingerprint: str, script: dict | None = None) -> None:
    from prm.tenancy.models import SchemaRelease

    defaults = {"fingerprint": fingerprint}
    if script is not None:
        defaults["script"] = script
    SchemaRelease.objects.update_or_create(key=key, defaults=defaults)


# ----------------------------------------------------------------------------- building the template

def template_refresh(verbosity: int = 0) -> dict:
    """Migrate the template schema (creating it if missing) and record the statements that copy it.

    Run by the release step before the vendors, so vendors created during the release already get
    the new tables. Returns the script.
    """
    name = template_schema()
    connection.set_schema_to_public()
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {_quote(name)}")
    call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()
    script = _script_of(name)
    record_fingerprint(TEMPLATE_KEY, migration_fingerprint(), script)
    return script


def _script_of(schema: str) -> dict:
    """The statements that rebuild `schema` elsewhere, object names unqualified, in dependency order.

    Read with the search path on `schema` alone, so PostgreSQL leaves its own objects unqualified
    and qualifies anything elsewhere (public's types, tables a foreign key points to).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('search_path', %s, true)", [_quote(schema)])
        cursor.execute("SELECT %s::regnamespace::oid", [_quote(schema)])
        namespace = cursor.fetchone()[0]
        tables = _tables(cursor, namespace)
        cursor.execute(
            """SELECT con.conname, rel.relname, pg_get_constraintdef(con.oid), con.contype
                 FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
                WHERE con.connamespace = %s AND con.contype IN ('p', 'u', 'x', 'f')
                ORDER BY CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2 ELSE 3 END,
                         rel.relname, con.conname""",
            [namespace],
        )
        constraints = [f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}"
                       for name, table, definition, _kind in cursor.fetchall()]
        # Not the "pretty" form: it drops parentheses, and a partial index's condition would read
        # back as another expression. The plain form names the table with its schema: dropped here.
        cursor.execute(
            """SELECT pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(n.nspname) || '.'
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relnamespace = %s
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                                  AND con.contype IN ('p', 'u', 'x'))
                ORDER BY c.relname""",
            [namespace],
        )
        indexes = [definition.replace(qualified, " ON ", 1) for definition, qualified in cursor.fetchall()]
        sequences = _sequences(cursor, namespace)
        # Triggers (the `updated_at` toucher of prm.migration_sql): LIKE copies none. PostgreSQL prints
        # the table with its schema, dropped here as for indexes; the function (in public) stays qualified.
        cursor.execute(
            """SELECT pg_get_triggerdef(t.oid), ' ON ' || quote_ident(n.nspname) || '.'
                 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relnamespace = %s AND NOT t.tgisinternal ORDER BY c.relname, t.tgname""",
            [namespace],
        )
        triggers = [definition.replace(qualified, " ON ", 1) for definition, qualified in cursor.fetchall()]
        rows = []
        for table, columns in tables["columns"].items():
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(schema)}.{_quote(table)})")
            if cursor.fetchone()[0]:
                rows.append([table, columns])
    return {"tables": tables["names"], "defaults": tables["defaults"], "sequences": sequences["ddl"],
            "constraints": constraints, "indexes": indexes, "triggers": triggers,
            "rows": rows, "sequence_values": sequences["values"], "fingerprint": migration_fingerprint(),
            "version": SCRIPT_VERSION}


def _tables(cursor, namespace: int) -> dict:
    """Each table's name and copied columns, and the defaults that name one of the schema's own sequences.

    The tables themselves are made with CREATE TABLE … (LIKE template.table …): PostgreSQL copies
    columns, defaults, NOT NULL, CHECK constraints (with their names) and identity columns from
    its own parsed form, so nothing is lost to printing and re-reading an expression. A serial
    column's default would still name the template's sequence: it is set again here.
    """
    cursor.execute(
        """SELECT c.relname, a.attname, a.attgenerated,
                  CASE WHEN pg_get_expr(d.adbin, d.adrelid) LIKE '%%nextval(%%' THEN pg_get_expr(d.adbin, d.adrelid) END
             FROM pg_class c
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
            WHERE c.relnamespace = %s AND c.relkind = 'r'
            ORDER BY c.relname, a.attnum""",
        [namespace],
    )
    columns: dict[str, list[str]] = {}
    defaults = []
    for table, column, generated, sequence_default in cursor.fetchall():
        columns.setdefault(table, [])
        if generated != "s":
            columns[table].append(column)
        if sequence_default:
            defaults.append(f"ALTER TABLE {_quote(table)} ALTER COLUMN {_quote(column)} SET DEFAULT {sequence_default}")
    return {"names": list(columns), "columns": columns, "defaults": defaults}


def _sequences(cursor, namespace: int) -> dict:
    """Free-standing sequences (a serial column, a migration's own) and every sequence's position."""
    cursor.execute(
        """SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax,
                  q.seqcache, q.seqcycle,
                  EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = s.oid AND d.classid = 'pg_class'::regclass
                          AND d.deptype = 'i'),
                  (SELECT t.relname || '.' || a.attname FROM pg_depend d
                     JOIN pg_class t ON t.oid = d.refobjid
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                    WHERE d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'a')
             FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
            WHERE s.relnamespace = %s AND s.relkind = 'S'
            ORDER BY s.relname""",
        [namespace],
    )
    ddl, owned, values = [], [], []
    rows = cursor.fetchall()
    for name, type_, start, increment, minimum, maximum, cache, cycle, is_identity, owner in rows:
        if not is_identity:
            ddl.append(f"CREATE SEQUENCE {_quote(name)} AS {type_} START WITH {start} INCREMENT BY {increment} "
                       f"MINVALUE {minimum} MAXVALUE {maximum} CACHE {cache} {'CYCLE' if cycle else 'NO CYCLE'}")
            if owner:
                table, column = owner.split(".", 1)
                owned.append(f"ALTER SEQUENCE {_quote(name)} OWNED BY {_quote(table)}.{_quote(column)}")
        elif type_ != "bigint":
            # LIKE … INCLUDING IDENTITY makes a bigint sequence whatever the column (PostgreSQL 16).
            owned.append(f"ALTER SEQUENCE {_quote(name)} AS {type_} MAXVALUE {maximum} MINVALUE {minimum}")
        cursor.execute(f"SELECT last_value, is_called FROM {_quote(name)}")
        last_value, is_called = cursor.fetchone()
        if is_called:
            values.append([name, last_value])
    return {"ddl": ddl + owned, "values": values}


# ----------------------------------------------------------------------------- copying it

def template_script() -> dict | None:
    """The recorded script if it matches the code's migrations and the template schema is there."""
    from prm.tenancy.models import SchemaRelease

    release = SchemaRelease.objects.filter(key=TEMPLATE_KEY).only("fingerprint", "script").first()
    if release is None or release.fingerprint != migration_fingerprint():
        return None
    if not release.script or release.script.get("version") != SCRIPT_VERSION:
        return None
    if not schema_exists(template_schema()):
        return None
    return release.script


def schema_clone(schema_name: str, script: dict) -> None:
    """Create `schema_name` as a copy of the template: one transaction, all or nothing."""
    source = _quote(template_schema())
    statements = [f"CREATE SCHEMA {_quote(schema_name)}",
                  f"SELECT set_config('search_path', '{_quote(schema_name)}', true)"]
    # Sequences first: a serial column's default names one.
    statements += [s for s in script["sequences"] if s.startswith("CREATE SEQUENCE")]
    like = ("INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING COMMENTS "
            "INCLUDING STORAGE INCLUDING COMPRESSION")
    statements += [f"CREATE TABLE {_quote(table)} (LIKE {source}.{_quote(table)} {like})" for table in script["tables"]]
    statements += script["defaults"]
    statements += [s for s in script["sequences"] if not s.startswith("CREATE SEQUENCE")]
    for table, columns in script["rows"]:
        names = ", ".join(_quote(column) for column in columns)
        statements.append(f"INSERT INTO {_quote(table)} ({names}) OVERRIDING SYSTEM VALUE "
                          f"SELECT {names} FROM {source}.{_quote(table)}")
    statements += [f"SELECT setval('{_quote(name)}', {int(value)}, true)" for name, value in script["sequence_values"]]
    statements += script["indexes"]
    statements += script["constraints"]
    statements += script["triggers"]
    connection.set_schema_to_public()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(";\n".join(statements))
        cursor.execute("SELECT set_config('search_path', 'public', true)")
    connection.set_schema_to_public()


def template_drop() -> None:
    from prm.tenancy.models import SchemaRelease

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(template_schema())} CASCADE")
    SchemaRelease.objects.filter(key=TEMPLATE_KEY).delete()
