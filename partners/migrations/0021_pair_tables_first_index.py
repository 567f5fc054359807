from django.db import migrations

from prm.migration_sql import pair_table_first_index_dropped


class Migration(migrations.Migration):
    """The many-to-many tables' first-column indexes, which their unique pairs begin with (prm.migration_sql)."""

    dependencies = [
        ('partners', '0020_indexes_not_repeated'),
    ]

    operations = [
        pair_table_first_index_dropped('partners', 'activity', 'contacts'),
        pair_table_first_index_dropped('partners', 'activity', 'staff'),
    ]
