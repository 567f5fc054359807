"""The schema layout stays fit for a distributed PostgreSQL (docs/scale.md).

With Citus schema-based sharding each vendor schema becomes a distributed schema that lives
whole on one worker node, and ``public`` stays on the coordinator. That holds only while:

* a vendor table's foreign keys point into its own schema, or at a public table on the
  allow-list below (which Citus would then hold as a reference table on every node);
* no public table points into a vendor schema, and no view, function, sequence or inheritance
  links two schemas;
* the code never names a schema in its SQL outside the platform modules that work on one
  vendor's schema by name (archive, removal): everything else relies on ``search_path``;
* every identifier fits PostgreSQL's 63 bytes, so the name the ORM sends is the catalogue's.

Each check returns sentences naming the offending object, so a failure says what to fix. The
negative tests build the wrong layouts in a scratch schema inside the test's transaction and
prove each check notices them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from prm.tenancy.models import Vendor

ROOT = Path(__file__).resolve().parents[2]
NAMEDATALEN = 63

# Public tables a vendor table may reference, with the reason. Each would become a Citus
# reference table (copied to every worker). Empty today: users, sessions, content types and
# permissions live in every vendor schema too (their apps are in TENANT_APPS), so nothing in
# a vendor schema points at public.
ALLOWED_PUBLIC_TARGETS: dict[str, str] = {}

# Modules whose SQL names a schema on purpose: each works on exactly one vendor's schema by
# name, which Citus routes to the node holding that schema.
PLATFORM_SQL_MODULES = {
    "prm/tenancy/archive.py": "archives and restores one vendor: reads and truncates that schema's tables by name",
    "prm/tenancy/services.py": "removes one vendor: DROP SCHEMA of that vendor",
    "prm/tenancy/template.py": "builds the template schema and copies it into a new vendor's schema",
    "prm/tenancy/release.py": "the release step: reads its record in public before the vendors are migrated",
    "prm/periodic.py": "the scheduler's claims: one row per vendor, job and slot in public.prm_tenantjobrun",
}
# The application code: every package holding models, views, services or tasks.
SCANNED_PACKAGES = ("prm", "partners", "deals", "programs", "enablement", "incentives", "insights", "mapping", "portal",
                    "api", "webhooks")


# ----------------------------------------------------------------------------- catalogue checks


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def foreign_key_problems(tenant_schemas: list[str], allowed_public: dict[str, str]) -> list[str]:
    """Foreign keys that cross a vendor schema's border (in or out)."""
    problems = []
    for name, src_schema, src_table, dst_schema, dst_table in _rows(
        """SELECT c.conname, sn.nspname, s.relname, dn.nspname, d.relname
             FROM pg_constraint c
             JOIN pg_class s ON s.oid = c.conrelid JOIN pg_namespace sn ON sn.oid = s.relnamespace
             JOIN pg_class d ON d.oid = c.confrelid JOIN pg_namespace dn ON dn.oid = d.relnamespace
            WHERE c.contype = 'f' AND (sn.nspname = ANY(%s) OR dn.nspname = ANY(%s))
            ORDER BY 2, 3, 1""",
        [tenant_schemas, tenant_schemas],
    ):
        if src_schema == dst_schema:
            continue
        where = f"{src_schema}.{src_table} → {dst_schema}.{dst_table} (constraint {name})"
        if src_schema not in tenant_schemas:
            problems.append(f"{where}: a table outside the vendor schemas references a vendor table")
        elif dst_schema in tenant_schemas:
            problems.append(f"{where}: a vendor table references another vendor's table")
        elif dst_schema != "public" or dst_table not in allowed_public:
            problems.append(f"{where}: a vendor table references {dst_schema}.{dst_table}, which is not on "
                            "ALLOWED_PUBLIC_TARGETS (it would have to be a Citus reference table)")
    return problems


def view_problems(tenant_schemas: list[str]) -> list[str]:
    """Views (plain or materialised) that read a table of another schema."""
    return [
        f"view {vs}.{view} reads {ts}.{table}: a view must stay within its vendor schema"
        for vs, view, ts, table in _rows(
            """SELECT DISTINCT vn.nspname, v.relname, tn.nspname, t.relname
                 FROM pg_rewrite r
                 JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
                 JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                                 AND d.refclassid = 'pg_class'::regclass
                 JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                WHERE t.oid <> v.oid AND vn.nspname <> tn.nspname
                  AND tn.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND (vn.nspname = ANY(%s) OR tn.nspname = ANY(%s))
                ORDER BY 1, 2, 3, 4""",
            [tenant_schemas, tenant_schemas],
        )
    ]


def function_problems(tenant_schemas: list[str]) -> list[str]:
    """Functions inside a vendor schema, and functions elsewhere whose body names a vendor schema."""
    problems = [
        f"function {schema}.{name}() lives in a vendor schema: Citus would have to distribute it; keep logic in Python"
        for schema, name in _rows(
            """SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = ANY(%s) ORDER BY 1, 2""",
            [tenant_schemas],
        )
    ]
    for schema, name, source in _rows(
        """SELECT n.nspname, p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT (n.nspname = ANY(%s))
              AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')""",
        [tenant_schemas],
    ):
        for tenant in tenant_schemas:
            if re.search(rf'(?<![\w"]){re.escape(tenant)}"?\s*\.', source or ""):
                problems.append(f"function {schema}.{name}() names the vendor schema {tenant} in its body")
    return problems


def sequence_problems(tenant_schemas: list[str]) -> list[str]:
    """Sequences of a vendor schema not owned by one of its columns, and defaults drawing on another schema's."""
    problems = [
        f"sequence {schema}.{name} is not owned by a column of a table in {schema} "
        f"(owner: {owner or 'none'}): it would stay behind when the schema moves"
        for schema, name, owner in _rows(
            """SELECT n.nspname, s.relname,
                      (SELECT tn.nspname || '.' || t.relname FROM pg_depend d
                         JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS owner
                 FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
                WHERE s.relkind = 'S' AND n.nspname = ANY(%s) ORDER BY 1, 2""",
            [tenant_schemas],
        )
        if not owner or owner.split(".", 1)[0] != schema
    ]
    problems += [
        f"column {ts}.{table}.{column} draws its default from the sequence {ss}.{seq} of another schema"
        for ts, table, column, ss, seq in _rows(
            """SELECT tn.nspname, t.relname, a.attname, sn.nspname, s.relname
                 FROM pg_attrdef ad
                 JOIN pg_class t ON t.oid = ad.adrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                 JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
                 JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                                 AND d.refclassid = 'pg_class'::regclass
                 JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
                 JOIN pg_namespace sn ON sn.oid = s.relnamespace
                WHERE tn.nspname <> sn.nspname AND (tn.nspname = ANY(%s) OR sn.nspname = ANY(%s))""",
            [tenant_schemas, tenant_schemas],
        )
    ]
    return problems


def inheritance_problems(tenant_schemas: list[str]) -> list[str]:
    """Inheritance or partitions spanning two schemas."""
    return [
        f"table {cs}.{child} inherits from {ps}.{parent}: parent and child must share a schema"
        for cs, child, ps, parent in _rows(
            """SELECT cn.nspname, c.relname, pn.nspname, p.relname FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
                 JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                WHERE cn.nspname <> pn.nspname AND (cn.nspname = ANY(%s) OR pn.nspname = ANY(%s))""",
            [tenant_schemas, tenant_schemas],
        )
    ]


_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def identifier_problems(tenant_schemas: list[str]) -> list[str]:
    """Vendor schema names must be plain lower-case identifiers that fit 63 bytes and are not reserved."""
    problems = []
    for schema in tenant_schemas:
        if len(schema.encode()) > NAMEDATALEN or not _PLAIN_IDENTIFIER.match(schema) or schema.startswith("pg_"):
            problems.append(f"schema name {schema!r} is not a plain identifier of at most {NAMEDATALEN} bytes "
                            "(lower-case letters, digits, underscores; not pg_…)")
    return problems


def layout_problems(tenant_schemas: list[str], allowed_public: dict[str, str] = ALLOWED_PUBLIC_TARGETS) -> list[str]:
    return (foreign_key_problems(tenant_schemas, allowed_public) + view_problems(tenant_schemas)
            + function_problems(tenant_schemas) + sequence_problems(tenant_schemas)
            + inheritance_problems(tenant_schemas) + identifier_problems(tenant_schemas))


def _tenant_schemas() -> list[str]:
    """Every schema but public and the system's: the vendors', and any other (a template to clone
    vendors from, say) would be distributed the same way, so it keeps the same rules."""
    schemas = sorted(name for (name,) in _rows(
        """SELECT nspname FROM pg_namespace
            WHERE nspname <> %s AND nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%%'""",
        [settings.PUBLIC_SCHEMA_NAME]))
    vendors = set(Vendor.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).values_list("schema_name", flat=True))
    assert len(vendors) >= 2 and vendors <= set(schemas), (vendors, schemas)
    return schemas


def test_the_vendor_schemas_keep_to_themselves(db):
    schemas = _tenant_schemas()
    # Not vacuous: the vendor schemas hold tables, foreign keys and owned sequences to check.
    foreign_keys = _rows("""SELECT count(*) FROM pg_constraint c JOIN pg_class s ON s.oid = c.conrelid
                             JOIN pg_namespace n ON n.oid = s.relnamespace WHERE c.contype = 'f' AND n.nspname = %s""",
                         [schemas[0]])[0][0]
    sequences = _rows("""SELECT count(*) FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
                          WHERE s.relkind = 'S' AND n.nspname = %s""", [schemas[0]])[0][0]
    assert foreign_keys > 50 and sequences > 50, (foreign_keys, sequences)
    problems = layout_problems(schemas)
    assert not problems, "The schema layout breaks the rules of docs/scale.md:\n" + "\n".join(problems)


def test_every_allowed_public_target_exists_and_is_public(db):
    tables = {name for (name,) in _rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert "tenancy_vendor" in tables
    stale = sorted(set(ALLOWED_PUBLIC_TARGETS) - tables)
    assert not stale, f"ALLOWED_PUBLIC_TARGETS names tables that are not in public: {stale}"


def test_the_orms_names_fit_postgresql_identifiers(db):
    """A longer name would be cut to 63 bytes by PostgreSQL: the ORM would ask for a table that does not exist."""
    problems, checked = [], 0
    for model in apps.get_models(include_auto_created=True):
        names = [("table", model._meta.db_table)]
        names += [(f"column of {model._meta.db_table}", field.column) for field in model._meta.local_fields]
        names += [(f"constraint of {model._meta.db_table}", c.name) for c in model._meta.constraints]
        names += [(f"index of {model._meta.db_table}", i.name) for i in model._meta.indexes if i.name]
        for kind, name in names:
            checked += 1
            if len(name.encode()) > NAMEDATALEN:
                problems.append(f"{kind} {name!r} is {len(name.encode())} bytes (PostgreSQL keeps {NAMEDATALEN})")
    assert checked > 500, checked
    assert not problems, "\n".join(problems)
    assert not identifier_problems(_tenant_schemas())


# ----------------------------------------------------------------------------- negative cases

PROBE = "kyoso_layout_probe"


@pytest.fixture
def probe_schema(db):
    """A scratch vendor-like schema, gone with the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {PROBE}")
        cursor.execute(f"CREATE TABLE {PROBE}.customer (id bigserial PRIMARY KEY)")
    return [PROBE, *(schema for schema in _tenant_schemas() if schema != PROBE)]


def _execute(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def test_it_names_a_foreign_key_from_a_vendor_table_to_public(probe_schema):
    _execute(f"CREATE TABLE {PROBE}.deal (id bigserial PRIMARY KEY, "
             "vendor_id bigint CONSTRAINT deal_vendor_fk REFERENCES public.tenancy_vendor (id))")
    problems = layout_problems(probe_schema)
    assert problems == [f"{PROBE}.deal → public.tenancy_vendor (constraint deal_vendor_fk): a vendor table "
                        "references public.tenancy_vendor, which is not on ALLOWED_PUBLIC_TARGETS "
                        "(it would have to be a Citus reference table)"]
    # The allow-list is what lets it through.
    assert layout_problems(probe_schema, {"tenancy_vendor": "test"}) == []


def test_it_names_foreign_keys_across_vendors_and_from_public(probe_schema):
    other = Vendor.objects.exclude(schema_name="public").order_by("slug")[0].schema_name
    _execute(f"CREATE TABLE {PROBE}.stolen (id bigserial PRIMARY KEY, "
             f"partner_id bigint CONSTRAINT stolen_partner_fk REFERENCES {other}.partners_partner (id))",
             f"CREATE TABLE public.kyoso_layout_probe_index (customer_id bigint "
             f"CONSTRAINT index_customer_fk REFERENCES {PROBE}.customer (id))")
    problems = foreign_key_problems(probe_schema, {})
    assert any("stolen_partner_fk" in p and "another vendor's table" in p for p in problems), problems
    assert any("index_customer_fk" in p and "outside the vendor schemas references a vendor table" in p
               for p in problems), problems


def test_it_names_views_functions_sequences_and_inheritance_across_schemas(probe_schema):
    _execute(
        f"CREATE VIEW {PROBE}.all_vendors AS SELECT id FROM public.tenancy_vendor",
        f"CREATE FUNCTION {PROBE}.touch() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        f"CREATE FUNCTION public.kyoso_layout_peek() RETURNS bigint LANGUAGE sql "
        f"AS 'SELECT count(*) FROM {PROBE}.customer'",
        "CREATE SEQUENCE public.kyoso_layout_counter",
        f"CREATE TABLE {PROBE}.ticket (id bigint DEFAULT nextval('public.kyoso_layout_counter'))",
        f"CREATE SEQUENCE {PROBE}.loose",
        f"CREATE TABLE {PROBE}.child () INHERITS (public.tenancy_vendor)",
    )
    text = "\n".join(layout_problems(probe_schema))
    assert f"view {PROBE}.all_vendors reads public.tenancy_vendor" in text
    assert f"function {PROBE}.touch() lives in a vendor schema" in text
    assert f"function public.kyoso_layout_peek() names the vendor schema {PROBE}" in text
    assert f"column {PROBE}.ticket.id draws its default from the sequence public.kyoso_layout_counter" in text
    assert f"sequence {PROBE}.loose is not owned by a column" in text
    assert f"table {PROBE}.child inherits from public.tenancy_vendor" in text
    assert identifier_problems(["Vendor-X", "pg_vendor", "v" * 64]) and not identifier_problems(["v" * 63])


# ----------------------------------------------------------------------------- SQL in the code

_SQL_START = re.compile(r"^\s*\(?\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH|CREATE|DROP|TRUNCATE|ALTER|COPY|"
                        r"SET|LOCK|FROM|JOIN)\b")
# The scan reads SQL by its upper-case keywords (the house style); SQL in lower case would escape it.
_LOWER_CASE_SQL = re.compile(r"^\s*(select|insert into|update|delete from)\s.*\b(from|set|values)\s", re.DOTALL)
_QUALIFIED = [
    # "{schema}"."table" or {schema}.table: a schema interpolated into the SQL
    (re.compile(r'"\{[^}]+\}"\s*\.'), "an interpolated schema name"),
    (re.compile(r"\{[^}]*schema[^}]*\}\s*\."), "an interpolated schema name"),
    # FROM x.y, JOIN x.y, INTO x.y, UPDATE x.y …: a table named with its schema
    (re.compile(r'\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE|USING|SCHEMA(?: IF EXISTS)?)'
                r'\s+"?[A-Za-z_]\w*"?\s*\.\s*"?[A-Za-z_{]'), "a schema-qualified table"),
    (re.compile(r"\b(?:public|information_schema|pg_catalog)\s*\.", re.IGNORECASE), "a named schema"),
    (re.compile(r'\bDROP SCHEMA\b|\bCREATE SCHEMA\b|\bsearch_path\b', re.IGNORECASE), "a schema statement"),
]


def _string_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
                       for part in node.values)
    return None


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    inner = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    return [(node.lineno, text) for node in ast.walk(tree)
            if id(node) not in inner and (text := _string_text(node))]


def sql_strings(path: Path) -> list[tuple[int, str]]:
    """The SQL text of a module: every string or f-string that starts like a statement or a clause."""
    return [(line, text) for line, text in _strings(path) if _SQL_START.match(text)]


def lower_case_sql(path: Path) -> list[int]:
    return [line for line, text in _strings(path) if _LOWER_CASE_SQL.match(text)]


def schema_naming_sql(paths: list[Path]) -> dict[str, list[str]]:
    """Per module, the SQL statements that name a schema, with the line and the reason."""
    found: dict[str, list[str]] = {}
    for path in paths:
        for line, text in sql_strings(path):
            for pattern, reason in _QUALIFIED:
                if pattern.search(text):
                    key = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
                    found.setdefault(key, []).append(
                        f"line {line}: {reason}: {' '.join(text.split())[:120]}")
                    break
    return found


def _application_modules() -> list[Path]:
    return sorted(path for package in SCANNED_PACKAGES for path in (ROOT / package).rglob("*.py")
                  if "migrations" not in path.parts)


def test_only_the_platform_modules_name_a_schema_in_their_sql():
    modules = _application_modules()
    statements = sum(len(sql_strings(path)) for path in modules)
    # Not vacuous: the scan sees the project's raw SQL (dashboards, ledgers, locks, overlap matching).
    assert len(modules) > 100 and statements > 60, (len(modules), statements)
    assert any("pg_advisory_xact_lock" in text for _, text in sql_strings(ROOT / "prm/locks.py"))
    lower = [f"{path.relative_to(ROOT)} line {line}" for path in modules for line in lower_case_sql(path)]
    assert not lower, f"SQL in lower case, which this scan cannot read (write keywords in upper case): {lower}"
    found = schema_naming_sql(modules)
    outside = {module: lines for module, lines in found.items() if module not in PLATFORM_SQL_MODULES}
    assert not outside, "SQL that names a schema outside the platform modules (docs/scale.md):\n" + "\n".join(
        f"{module} {line}" for module, lines in outside.items() for line in lines)
    # The allow-list is not stale, and the detection works on the statements we know name a schema.
    assert set(found) == set(PLATFORM_SQL_MODULES), sorted(found)


def test_the_sql_scan_notices_schema_names(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'A = "SELECT id FROM bravo.partners_partner WHERE id = %s"\n'
        'B = f\'SELECT count(*) FROM "{schema}"."{table}"\'\n'
        'C = "UPDATE deals_dealregistration d SET stage = %s FROM partners_partner p WHERE p.id = d.partner_id"\n'
        'D = "SET search_path TO alpha"\n'
        'E = "select nothing"\n'
        'F = "select id from other.partners_partner"\n'
    )
    assert lower_case_sql(sample) == [6]
    assert [line for line, _ in sql_strings(sample)] == [1, 2, 3, 4]
    lines = schema_naming_sql([sample])[str(sample)]
    assert [entry.split(":")[0] for entry in lines] == ["line 1", "line 2", "line 4"]
