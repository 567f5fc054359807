from django.db import migrations

from prm.migration_sql import pair_table_first_index_dropped


class Migration(migrations.Migration):
    """The many-to-many tables' first-column indexes, which their unique pairs begin with (prm.migration_sql)."""

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        pair_table_first_index_dropped('accounts', 'user', 'groups'),
        pair_table_first_index_dropped('accounts', 'user', 'user_permissions'),
    ]
