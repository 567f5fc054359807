"""The trigger function behind the counts the database keeps (prm.migration_sql.kept_count), made once in `public`.

Vendor schemas hold no functions of their own (as for 0002's trigger function); their triggers call this one,
found on their search path (vendor schema, public).
"""

from django.db import migrations

from prm.migration_sql import COUNT_FUNCTION


class Migration(migrations.Migration):

    dependencies = [
        ("prm", "0003_search_grams_function"),
    ]

    operations = [
        migrations.RunSQL(COUNT_FUNCTION, "DROP FUNCTION IF EXISTS kyoso_keep_count();"),
    ]
