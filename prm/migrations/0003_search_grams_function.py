"""The function behind the console search's substring index (prm.search.GRAMS_FUNCTION), made once in `public`.

Vendor schemas hold no functions of their own (as for 0002's trigger function); their search indexes call this
one, found on their search path (vendor schema, public).
"""

from django.db import migrations

from prm.search import GRAMS_FUNCTION


class Migration(migrations.Migration):

    dependencies = [
        ("prm", "0002_touch_updated_at_function"),
    ]

    operations = [
        migrations.RunSQL(GRAMS_FUNCTION, "DROP FUNCTION IF EXISTS search_grams(text);"),
    ]
