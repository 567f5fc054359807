"""Every index of our tables earns its keep, every foreign key has one, and the migrations hold every model change.

* An index whose columns (with their operator classes and orders) begin another index of the same table answers
  nothing the longer one cannot: PostgreSQL reads the longer one for any search on those first columns. It still
  costs each INSERT, each UPDATE of its columns and each VACUUM. Django adds one to every foreign key by default,
  so a foreign key that leads a composite index or a unique constraint had two.
* A foreign key with no index starting at its column makes each delete of a referenced row scan the whole table
  (and lock it for longer): every foreign key keeps one, its own or a composite that leads with it.
* A model change without its migration would go unnoticed until a vendor's schema lacks a column.

Each check returns sentences naming the table and index; the negative tests build the wrong layouts in a scratch
schema inside the test's transaction and prove each check notices them.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from prm.tenancy.models import Vendor
from tests.platform.test_schema_layout import SCANNED_PACKAGES, _execute, _rows


def our_tables() -> list[str]:
    """The tables of our models (SCANNED_PACKAGES': Django's and allauth's keep their own indexes), with the
    many-to-many tables Django creates for our models' fields (it indexes their first column on its own; the
    migrations drop that index with prm.migration_sql.pair_table_first_index_dropped)."""
    return sorted(model._meta.db_table for model in apps.get_models(include_auto_created=True)
                  if model.__module__.split(".")[0] in SCANNED_PACKAGES and not model._meta.proxy
                  and model._meta.managed)


# A plain index of each table: no predicate, no expression; its columns, operator classes and orders (indoption) as
# arrays from 1. (int2vector and oidvector index from 0: unnest gives them as ordinary arrays.)
_INDEXES = """
    SELECT t.relname AS tbl, c.relname AS name, i.indisunique AS is_unique,
           array(SELECT unnest(i.indkey::int2[])) AS cols, array(SELECT unnest(i.indclass::oid[])) AS classes,
           array(SELECT unnest(i.indoption::int2[])) AS options
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = c.relam
     WHERE n.nspname = %s AND t.relname = ANY(%s) AND am.amname = 'btree'
       AND i.indpred IS NULL AND i.indexprs IS NULL"""


def redundant_indexes(schema: str, tables: list[str]) -> list[str]:
    """Non-unique indexes whose columns begin another plain index of their table, alike in class and order."""
    return [
        f"{schema}.{table}: index {name} is redundant, {longer} begins with the same columns"
        for table, name, longer in _rows(
            f"""WITH ix AS ({_INDEXES})
                SELECT a.tbl, a.name, min(b.name)
                  FROM ix a JOIN ix b ON b.tbl = a.tbl AND b.name <> a.name
                 WHERE NOT a.is_unique AND cardinality(a.cols) <= cardinality(b.cols)
                   AND a.cols = b.cols[1:cardinality(a.cols)] AND a.classes = b.classes[1:cardinality(a.cols)]
                   AND a.options = b.options[1:cardinality(a.cols)]
                   -- of two identical indexes, name the one that sorts second
                   AND (cardinality(a.cols) < cardinality(b.cols) OR b.is_unique OR a.name > b.name)
                 GROUP BY a.tbl, a.name ORDER BY 1, 2""",
            [schema, tables])]


def unindexed_foreign_keys(schema: str, tables: list[str]) -> list[str]:
    """Foreign keys of `tables` no plain index of their table starts with."""
    return [
        f"{schema}.{table}: foreign key {name} ({column}) has no index starting with its column; "
        "deleting the row it references would scan the table"
        for table, name, column in _rows(
            f"""WITH ix AS ({_INDEXES})
                SELECT t.relname, k.conname, a.attname
                  FROM pg_constraint k
                  JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.conkey[1]
                 WHERE k.contype = 'f' AND n.nspname = %s AND t.relname = ANY(%s)
                   AND NOT EXISTS (SELECT 1 FROM ix WHERE ix.tbl = t.relname
                                      AND ix.cols[1:cardinality(k.conkey)] = k.conkey::int2[])
                 ORDER BY 1, 2""",
            [schema, tables, schema, tables])]


def _vendor_schema() -> str:
    return Vendor.objects.exclude(schema_name="public").order_by("slug").values_list("schema_name", flat=True)[0]


def test_no_index_of_ours_repeats_the_start_of_another(db):
    schema, tables = _vendor_schema(), our_tables()
    # Not vacuous: the vendor's schema holds our tables, with their foreign keys and composite indexes.
    indexes = _rows(f"SELECT count(*) FROM ({_INDEXES}) ix", [schema, tables])[0][0]
    assert len(tables) > 80 and indexes > 200, (len(tables), indexes)
    # with the many-to-many tables Django creates for our fields (the users' in public and in each vendor)
    assert {"deals_dealregistration_products", "partners_activity_contacts", "accounts_user_groups"} <= set(tables)
    problems = redundant_indexes(schema, tables) + redundant_indexes("public", tables)
    assert not problems, "\n".join(problems)


def test_every_foreign_key_of_ours_has_an_index(db):
    schema, tables = _vendor_schema(), our_tables()
    keys = _rows("""SELECT count(*) FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
                     JOIN pg_namespace n ON n.oid = t.relnamespace
                    WHERE k.contype = 'f' AND n.nspname = %s AND t.relname = ANY(%s)""", [schema, tables])[0][0]
    assert keys > 150, keys
    problems = unindexed_foreign_keys(schema, tables)
    assert not problems, "\n".join(problems)


def test_the_migrations_hold_every_model_change(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


# ----------------------------------------------------------------------------- negative cases

PROBE = "kyoso_index_probe"


@pytest.fixture
def probe(db):
    """A scratch schema, gone with the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {PROBE}")
        cursor.execute(f"CREATE TABLE {PROBE}.owner (id bigserial PRIMARY KEY)")
        cursor.execute(f"""CREATE TABLE {PROBE}.deal (id bigserial PRIMARY KEY, name text, day date,
                              owner_id bigint CONSTRAINT deal_owner_fk REFERENCES {PROBE}.owner (id))""")


def test_it_names_an_index_another_begins_with(probe):
    _execute(f"CREATE INDEX deal_owner ON {PROBE}.deal (owner_id)",
             f"CREATE INDEX deal_owner_day ON {PROBE}.deal (owner_id, day)")
    assert redundant_indexes(PROBE, ["deal"]) == [
        f"{PROBE}.deal: index deal_owner is redundant, deal_owner_day begins with the same columns"]
    # A unique constraint makes the index redundant as well; the constraint itself is never named.
    _execute(f"DROP INDEX {PROBE}.deal_owner_day",
             f"ALTER TABLE {PROBE}.deal ADD CONSTRAINT deal_once UNIQUE (owner_id, name)")
    assert redundant_indexes(PROBE, ["deal"]) == [
        f"{PROBE}.deal: index deal_owner is redundant, deal_once begins with the same columns"]
    # Of two identical indexes, one is named.
    _execute(f"ALTER TABLE {PROBE}.deal DROP CONSTRAINT deal_once",
             f"CREATE INDEX deal_owner_again ON {PROBE}.deal (owner_id)")
    assert redundant_indexes(PROBE, ["deal"]) == [
        f"{PROBE}.deal: index deal_owner_again is redundant, deal_owner begins with the same columns"]


def test_it_leaves_indexes_the_longer_one_cannot_replace(probe):
    _execute(f"CREATE INDEX deal_day ON {PROBE}.deal (day)",
             f"CREATE INDEX deal_owner_day ON {PROBE}.deal (owner_id, day)",  # day is second here
             f"CREATE INDEX deal_name ON {PROBE}.deal (name)",
             f"CREATE INDEX deal_name_pattern_owner ON {PROBE}.deal (name text_pattern_ops, owner_id)",  # another class
             f"CREATE INDEX deal_recent ON {PROBE}.deal (day DESC, owner_id)",  # another order
             f"CREATE INDEX deal_named ON {PROBE}.deal (name) WHERE name IS NOT NULL",  # partial
             f"CREATE UNIQUE INDEX deal_name_once ON {PROBE}.deal (name, day)")
    assert redundant_indexes(PROBE, ["deal"]) == [
        f"{PROBE}.deal: index deal_name is redundant, deal_name_once begins with the same columns"]


def test_it_names_a_foreign_key_without_an_index(probe):
    assert unindexed_foreign_keys(PROBE, ["deal"]) == [
        f"{PROBE}.deal: foreign key deal_owner_fk (owner_id) has no index starting with its column; "
        "deleting the row it references would scan the table"]
    # An index with the key second does not serve it; a partial one neither; one that starts with it does.
    _execute(f"CREATE INDEX deal_day_owner ON {PROBE}.deal (day, owner_id)",
             f"CREATE INDEX deal_some_owners ON {PROBE}.deal (owner_id) WHERE day IS NOT NULL")
    assert len(unindexed_foreign_keys(PROBE, ["deal"])) == 1
    _execute(f"CREATE INDEX deal_owner_day ON {PROBE}.deal (owner_id, day)")
    assert unindexed_foreign_keys(PROBE, ["deal"]) == []


def test_it_notices_a_model_change_without_its_migration(db):
    from partners.models import Partner

    index = models.Index(fields=["name", "stage"], name="kyoso_probe_partner")
    Partner._meta.indexes.append(index)
    try:
        with pytest.raises(SystemExit):
            call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    finally:
        Partner._meta.indexes.remove(index)
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
