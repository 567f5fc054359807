"""SQL that migrations share: the trigger that keeps `updated_at` on every UPDATE, and counts the database keeps.

Django's auto_now only runs in Model.save(); QuerySet.update() and the set-based SQL of the nightly
jobs would leave `updated_at` behind, and an API client syncing with `updated_since` would miss the
change. The trigger sets it in the database for every row an UPDATE changes (a row written back as it
was, as a nightly recompute does for most rows, keeps its time: a sync is not handed the whole table).
The function itself lives once in `public` (prm migration 0002): vendor schemas hold tables, not logic.

Kept counts (`kept_count`): a page that shows how many rows each value of a column has (the partner list's stage
strip: how many partners in each stage) would count the whole table on every visit. Instead the database keeps
the counts in a table of its own, by statement triggers on the counted table (prm migration 0004's function):
each INSERT, DELETE, UPDATE or COPY adds one row `(value, change)` per value whose count it changed, and
TRUNCATE empties the counts. (The UPDATE trigger fires on every UPDATE, as PostgreSQL allows no column list on a
trigger that reads the rows changed; one that moves no row to another value adds no row.) Nothing in Python
writes them, so no path (an ORM save, a bulk update, raw SQL, an import) can leave them behind. A statement only
ever inserts, so writers never wait for each other on a count row; a reader sums the rows of each value
(prm.kept_counts), and folds them into one row a value when they pile up.
"""

from __future__ import annotations

from django.db import migrations

TOUCH_FUNCTION = """CREATE OR REPLACE FUNCTION kyoso_touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = clock_timestamp();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;"""


def touch_updated_at(table: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"""DROP TRIGGER IF EXISTS {table}_touch ON {table};
        CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} FOR EACH ROW
            WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION kyoso_touch_updated_at();""",
        f"DROP TRIGGER IF EXISTS {table}_touch ON {table};",
    )


# prm migration 0004: one function for every kept count. Arguments (the trigger's): the counts table, in the
# counted table's schema, and the column counted, which the counts table names alike, beside `n`.
COUNT_FUNCTION = """CREATE OR REPLACE FUNCTION kyoso_keep_count() RETURNS trigger AS $$
DECLARE
    counts text := format('%I.%I', TG_TABLE_SCHEMA, TG_ARGV[0]);
    counted text := quote_ident(TG_ARGV[1]);
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO %s (%s, n) SELECT %s, count(*) FROM new_rows GROUP BY 1', counts, counted, counted);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO %s (%s, n) SELECT %s, -count(*) FROM old_rows GROUP BY 1', counts, counted, counted);
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format('INSERT INTO %s (%s, n) SELECT v, sum(d) FROM (SELECT %s AS v, 1 AS d FROM new_rows '
                       'UNION ALL SELECT %s, -1 FROM old_rows) moved GROUP BY v HAVING sum(d) <> 0',
                       counts, counted, counted, counted);
    ELSE
        EXECUTE format('DELETE FROM %s', counts);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;"""


def kept_count(table: str, column: str, counts: str) -> migrations.RunSQL:
    """Triggers that keep `counts` (columns `column` and `n`) counting `table`'s rows by `column`, and its first
    rows, counted now. Run it in the migration that creates `counts` (empty, then): the triggers lock `table`
    against writes until the migration commits, so no row is missed or counted twice."""
    call = f"EXECUTE FUNCTION kyoso_keep_count('{counts}', '{column}')"
    names = [f"{table}_count_insert", f"{table}_count_delete", f"{table}_count_update", f"{table}_count_truncate"]
    return migrations.RunSQL(
        f"""CREATE TRIGGER {names[0]} AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT {call};
            CREATE TRIGGER {names[1]} AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT {call};
            CREATE TRIGGER {names[2]} AFTER UPDATE ON {table}
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT {call};
            CREATE TRIGGER {names[3]} AFTER TRUNCATE ON {table} FOR EACH STATEMENT {call};
            INSERT INTO {counts} ({column}, n) SELECT {column}, count(*) FROM {table} GROUP BY 1;""",
        "".join(f"DROP TRIGGER IF EXISTS {name} ON {table};" for name in names),
    )


def pair_table_first_index_dropped(app_label: str, model_name: str, field_name: str) -> migrations.RunPython:
    """Drops the index Django gives the first column of a many-to-many field's own table (`(dealregistration_id)` of
    `deals_dealregistration_products`): the table's unique pair `(dealregistration_id, product_id)` begins with that
    column, so PostgreSQL reads the pair for any search on it, and the single index only cost each insert and each
    vacuum. The second column keeps its index (look-ups from the other side, and deletes of the rows it references).

    Django creates these tables itself and never creates that index again: renaming the table, the model or the
    column alters the table in place and leaves its indexes as they are. The migration finds it by its column, not
    by a name."""

    def pair_table(apps):
        field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
        through = field.remote_field.through
        return through, through._meta.get_field(field.m2m_field_name())

    def single_indexes(schema_editor, through, first) -> list[str]:
        return schema_editor._constraint_names(through, [first.column], index=True, unique=False, primary_key=False)

    def drop(apps, schema_editor) -> None:
        through, first = pair_table(apps)
        for name in single_indexes(schema_editor, through, first):
            schema_editor.execute(schema_editor._delete_index_sql(through, name))

    def create(apps, schema_editor) -> None:
        through, first = pair_table(apps)
        if not single_indexes(schema_editor, through, first):
            schema_editor.execute(schema_editor._create_index_sql(through, fields=[first]))

    return migrations.RunPython(drop, create, elidable=False)
