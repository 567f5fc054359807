"""The trigger function behind every vendor table's `updated_at` (prm.migration_sql), made once in `public`.

Vendor schemas hold no functions of their own (docs/scale.md: a distributed schema carries tables only), and
made here it exists before any vendor migration creates a trigger that calls it; vendors then find it on
their search path (vendor schema, public).
"""

from django.db import migrations

from prm.migration_sql import TOUCH_FUNCTION


class Migration(migrations.Migration):

    dependencies = [
        ("prm", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(TOUCH_FUNCTION, "DROP FUNCTION IF EXISTS kyoso_touch_updated_at();"),
    ]
