"""The function behind the console search's substring index (partners.search), made once in `public`.

search_grams(key): the key's distinct pairs of characters, what a GIN index of each searchable table holds, as
pg_trgm's trigram index would (pg_trgm is not in every PostgreSQL: the embedded one has no contrib modules).
Vendor schemas hold no functions of their own (as for 0002's trigger function); their indexes call this one,
found on their search path (vendor schema, public).
"""

from django.db import migrations

GRAMS_FUNCTION = """CREATE OR REPLACE FUNCTION search_grams(key text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT ARRAY(SELECT DISTINCT substr(key, i, 2) FROM generate_series(1, length(key) - 1) AS i) $$;"""


class Migration(migrations.Migration):

    dependencies = [
        ("prm", "0002_touch_updated_at_function"),
    ]

    operations = [
        migrations.RunSQL(GRAMS_FUNCTION, "DROP FUNCTION IF EXISTS search_grams(text);"),
    ]
