"""The console search's key (partners.search) on DealRegistration, DirectAccount: the column, filled for the rows already there,
then its two indexes (built once the keys are in)."""

import django.contrib.postgres.indexes
import partners.search
from django.conf import settings
from django.db import migrations, models


def fill_keys(apps, schema_editor):
    for name in ('DealRegistration', 'DirectAccount'):
        partners.search.fill_search_keys(apps.get_model('deals', name))


class Migration(migrations.Migration):

    dependencies = [
        ('prm', '0003_search_grams_function'),
        ('deals', '0011_external_ids_db_default'),
        ('partners', '0017_contact_search_key_partner_search_key_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='dealregistration',
            name='search_key',
            field=partners.search.SearchKeyField(sources=('customer_name',)),
        ),
        migrations.AddField(
            model_name='directaccount',
            name='search_key',
            field=partners.search.SearchKeyField(sources=('customer_name',)),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='dealregistration',
            index=models.Index(fields=['search_key'], name='deal_search_start', opclasses=['text_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='dealregistration',
            index=django.contrib.postgres.indexes.GinIndex(partners.search.SearchGrams('search_key'), name='deal_search_grams'),
        ),
        migrations.AddIndex(
            model_name='directaccount',
            index=models.Index(fields=['search_key'], name='direct_account_search_start', opclasses=['text_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='directaccount',
            index=django.contrib.postgres.indexes.GinIndex(partners.search.SearchGrams('search_key'), name='direct_account_search_grams'),
        ),
    ]
