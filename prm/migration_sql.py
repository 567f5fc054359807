"""SQL that migrations share: the trigger that keeps `updated_at` on every UPDATE.

Django's auto_now only runs in Model.save(); QuerySet.update() and the set-based SQL of the nightly
jobs would leave `updated_at` behind, and an API client syncing with `updated_since` would miss the
change. The trigger sets it in the database for every row an UPDATE changes (a row written back as it
was, as a nightly recompute does for most rows, keeps its time: a sync is not handed the whole table).
The function itself lives once in `public` (prm migration 0002): vendor schemas hold tables, not logic.
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
