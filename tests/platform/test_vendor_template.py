"""New vendors are copies of the template schema; the release step skips vendors when nothing changed.

Real PostgreSQL, committed schemas (each test drops what it made)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import CreateModel
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, schema_exists, tenant_context

from prm.tenancy import release, template
from prm.tenancy.models import Domain, SchemaRelease, Vendor
from prm.tenancy.services import vendor_create, vendor_delete
from tests.conftest import TenantClient


def _uncast(definition: str) -> str:
    return re.sub(r"::[a-z ]+(\[\])?|[()\s]", "", definition)


def _catalogue(schema: str) -> dict:
    """Everything a migration makes in `schema`, read with the search path on it so names compare unqualified."""
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            cursor.execute("SELECT set_config('search_path', %s, true)", [f'"{schema}"'])
            namespace = f'"{schema}"'
            cursor.execute(
                """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                          pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                          rank() OVER (PARTITION BY c.relname ORDER BY a.attnum)
                     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                     LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
                    WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' ORDER BY 1, 2""", [namespace])
            columns = cursor.fetchall()
            cursor.execute(
                """SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid, true),
                          con.condeferrable, con.condeferred
                     FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
                    WHERE con.connamespace = %s::regnamespace ORDER BY 1, 2""", [namespace])
            constraints = cursor.fetchall()
            cursor.execute(
                """SELECT c.relname, pg_get_indexdef(c.oid, 0, true) || ' ' || i.indisunique || i.indisprimary
                          || i.indclass::text || i.indnullsnotdistinct
                     FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
                    WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'i' ORDER BY 1""", [namespace])
            indexes = cursor.fetchall()
            cursor.execute(
                """SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax,
                          q.seqcache, q.seqcycle, ps.last_value
                     FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
                     JOIN pg_sequences ps ON ps.schemaname = %s AND ps.sequencename = s.relname
                    WHERE s.relnamespace = %s::regnamespace ORDER BY 1""", [schema, namespace])
            sequences = cursor.fetchall()
            cursor.execute(
                """SELECT c.relname, t.tgname, replace(pg_get_triggerdef(t.oid), ' ON ' || quote_ident(%s) || '.', ' ON ')
                     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                    WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2""", [schema, namespace])
            triggers = cursor.fetchall()
            cursor.execute("""SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r'
                               ORDER BY 1""", [namespace])
            rows = {}
            # Content types and permissions are numbered in the order post_migrate met them: compared by
            # natural key (every reference to them sits in the same schema).
            natural = {"django_content_type": "SELECT app_label, model FROM django_content_type",
                       "auth_permission": "SELECT p.codename, p.name, c.app_label, c.model FROM auth_permission p "
                                          "JOIN django_content_type c ON c.id = p.content_type_id"}
            for (table,) in cursor.fetchall():
                source = natural.get(table, f'SELECT * FROM "{table}"')
                cursor.execute(f'SELECT count(*), md5(coalesce(string_agg(t::text, \',\' ORDER BY t::text), \'\')) '
                               f'FROM ({source}) t')
                rows[table] = cursor.fetchone()
            cursor.execute("""SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace""", [namespace])
            objects = cursor.fetchone()[0]
        finally:
            cursor.execute("ROLLBACK")
    return {"columns": columns, "constraints": constraints, "indexes": indexes, "sequences": sequences,
            "triggers": triggers, "rows": rows, "objects": objects}


@pytest.fixture
def unblocked(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        yield
        connection.set_schema_to_public()


def _drop(*schemas: str) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_cloned_schema_equals_a_migrated_one_and_its_sequences_continue(unblocked):
    tag = uuid.uuid4().hex[:6]
    migrated, cloned = f"cmp_migrated_{tag}", f"cmp_cloned_{tag}"
    script = template.template_script()
    assert script is not None, "setup_platform builds the template"
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{migrated}"')
        call_command("migrate_schemas", tenant=True, schema_name=migrated, interactive=False, verbosity=0)
        connection.set_schema_to_public()
        template.schema_clone(cloned, script)

        by_migrate, by_clone = _catalogue(migrated), _catalogue(cloned)
        assert by_migrate["objects"] > 500
        assert len(by_migrate["triggers"]) > 10  # the updated_at touchers of the synced tables
        for part in ("columns", "constraints", "sequences", "triggers"):
            assert by_clone[part] == by_migrate[part], part
        # Index definitions are printed and read back, and PostgreSQL moves an array's cast onto its
        # elements ('a'::varchar::text instead of ARRAY['a'::varchar]::text[]): equal once casts are set aside.
        assert [name for name, _ in by_clone["indexes"]] == [name for name, _ in by_migrate["indexes"]]
        assert [_uncast(d) for _, d in by_clone["indexes"]] == [_uncast(d) for _, d in by_migrate["indexes"]]
        # The migration-made rows (content types, permissions, default programmes …), django_migrations aside
        # (its applied-at times differ), are the same rows.
        seeded = {table: figures for table, figures in by_migrate["rows"].items() if table != "django_migrations"}
        assert {t: f for t, f in by_clone["rows"].items() if t != "django_migrations"} == seeded
        assert any(count for count, _ in seeded.values())
        assert by_clone["rows"]["django_migrations"][0] == by_migrate["rows"]["django_migrations"][0]

        # Sequences carry on after the copied rows: a new row takes the next number, as in the migrated schema.
        new_ids = []
        for schema in (migrated, cloned):
            with connection.cursor() as cursor:
                cursor.execute(f'INSERT INTO "{schema}".django_content_type (app_label, model) '
                               "VALUES ('seqcheck', 'row') RETURNING id")
                new_ids.append(cursor.fetchone()[0])
                cursor.execute(f'SELECT max(id) FROM "{schema}".django_content_type WHERE app_label <> %s',
                               ["seqcheck"])
                assert new_ids[-1] == cursor.fetchone()[0] + 1
        assert new_ids[0] == new_ids[1]
    finally:
        _drop(migrated, cloned)


def test_the_template_is_no_vendor_and_never_routable(unblocked):
    name = template.template_schema()
    assert schema_exists(name)
    assert not Vendor.objects.filter(schema_name=name).exists()
    assert not Domain.objects.filter(tenant__schema_name=name).exists()
    assert name not in release.vendor_schemas()
    from prm.tenancy.services import schema_name_for

    assert not name.startswith("v_") and schema_name_for("kyoso-template") != name
    public = Vendor.objects.get(schema_name="public")
    client = TenantClient.__new__(TenantClient)
    from django.test import Client

    Client.__init__(client, HTTP_HOST=f"{name}.localhost")
    client.tenant = public
    assert client.get("/").status_code == 404
    with connection.cursor() as cursor:  # only migrations wrote there
        cursor.execute(f'SELECT count(*) FROM "{name}".partners_partner')
        assert cursor.fetchone()[0] == 0


def test_cloned_vendors_are_isolated_from_each_other_and_from_the_template(unblocked):
    from partners.models import Partner

    tag = uuid.uuid4().hex[:5]
    assert template.template_script() is not None
    made = [vendor_create(slug=f"tpl{tag}{n}", name=f"テンプレ{n}", admin_email=f"a@tpl{tag}{n}.example",
                          admin_password="template-password-1").vendor for n in range(2)]
    try:
        first, second = made
        with tenant_context(first):
            mine = Partner.objects.create(name="一社目だけ", partner_type="resale")
        with tenant_context(second):
            assert not Partner.objects.exists()
            theirs = Partner.objects.create(name="二社目だけ", partner_type="resale")
            assert theirs.pk == mine.pk  # each schema has its own sequence
        with tenant_context(first):
            assert list(Partner.objects.values_list("name", flat=True)) == ["一社目だけ"]
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{template.template_schema()}".partners_partner')
            assert cursor.fetchone()[0] == 0
        response = TenantClient(first, "console").get("/accounts/login/")
        assert response.status_code == 200
    finally:
        for vendor in made:
            connection.set_schema_to_public()
            vendor_delete(vendor)


def test_a_missing_template_falls_back_to_migrating_and_the_release_step_rebuilds_it(unblocked):
    tag = uuid.uuid4().hex[:5]
    template.template_drop()
    vendor = None
    try:
        assert template.template_script() is None
        vendor = vendor_create(slug=f"notpl{tag}", name="テンプレなし", admin_email=f"a@notpl{tag}.example").vendor
        with tenant_context(vendor):
            from partners.models import Partner

            assert Partner.objects.count() == 0
    finally:
        if vendor is not None:
            connection.set_schema_to_public()
            vendor_delete(vendor)
        call_command("setup_platform", verbosity=0)
    assert template.template_script() is not None


def test_a_start_skips_the_vendors_when_nothing_changed_and_migrates_them_when_a_migration_was_added(unblocked):
    from io import StringIO

    call_command("setup_platform", verbosity=0)
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        skipped = release.vendors_migrate(processes=2)
    assert skipped.skipped and skipped.total >= 2
    assert not any("django_migrations" in q["sql"] for q in queries.captured_queries)
    assert len(queries) < 10  # one fingerprint look-up, not a walk over the schemas
    call_command("setup_platform", verbosity=1, stdout=out)
    assert "skipped" in out.getvalue()

    assert release.public_current()
    # A new migration in the code = a fingerprint other than the recorded one.
    SchemaRelease.objects.filter(key__in=[template.VENDORS_KEY, template.PUBLIC_KEY]).update(fingerprint="0" * 64)
    assert not release.public_current()
    out = StringIO()
    call_command("setup_platform", verbosity=1, processes=2, stdout=out)
    assert "skipped" not in out.getvalue() and "vendor schemas migrated" in out.getvalue()
    assert f"vendors migrated {skipped.total}/{skipped.total}" in out.getvalue()
    assert template.recorded_fingerprint(template.VENDORS_KEY) == template.migration_fingerprint()
    assert release.public_current()

    # A template built for other migrations is rebuilt too, and new vendors migrate in full until it is.
    SchemaRelease.objects.filter(key=template.TEMPLATE_KEY).update(fingerprint="1" * 64)
    assert template.template_script() is None
    assert not release.vendors_current()
    call_command("setup_platform", verbosity=0)
    assert template.template_script() is not None


def _leaf_that_creates_a_table() -> tuple[str, str]:
    from django.conf import settings

    loader = MigrationLoader(None, ignore_no_migrations=True)
    tenant_only = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS} - {
        app.rsplit(".", 1)[-1] for app in settings.SHARED_APPS}
    for app, name in sorted(loader.graph.leaf_nodes()):
        migration = loader.graph.nodes[(app, name)]
        if app in tenant_only and any(isinstance(op, CreateModel) for op in migration.operations):
            return app, name
    raise AssertionError("no tenant app's last migration creates a table")


def test_a_failing_vendor_migration_is_named_and_the_others_are_migrated(unblocked):
    tag = uuid.uuid4().hex[:5]
    made = [vendor_create(slug=f"{prefix}{tag}", name=prefix, admin_email=f"a@{prefix}{tag}.example").vendor
            for prefix in ("aaabroken", "mmgood", "zzgood")]
    broken = made[0]
    app, name = _leaf_that_creates_a_table()
    try:
        # Its last migration forgotten but its table still there: applying it again fails.
        with schema_context(broken.schema_name), connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name])
        connection.set_schema_to_public()
        for processes in (1, 2):
            result = release.vendors_migrate(processes=processes, force=True)
            assert [schema for schema, _ in result.failed] == [broken.schema_name], result.failed
            assert "already exists" in result.failed[0][1]
            for good in made[1:]:
                assert good.schema_name in result.migrated
            assert len(result.migrated) == result.total - 1
            # Not recorded as done: the next start tries again.
            assert template.recorded_fingerprint(template.VENDORS_KEY) != template.migration_fingerprint()
        with pytest.raises(CommandError, match=broken.schema_name):
            call_command("setup_platform", verbosity=0, force=True, processes=2)
    finally:
        with schema_context(broken.schema_name), connection.cursor() as cursor:
            cursor.execute("INSERT INTO django_migrations (app, name, applied) SELECT %s, %s, now() "
                           "WHERE NOT EXISTS (SELECT 1 FROM django_migrations WHERE app = %s AND name = %s)",
                           [app, name, app, name])
        for vendor in made:
            connection.set_schema_to_public()
            vendor_delete(vendor)
        call_command("setup_platform", verbosity=0)
    assert release.vendors_current()
