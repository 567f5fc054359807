"""The console search's key (partners.search) on Partner, Contact: the column, filled for the rows already there,
then its two indexes (built once the keys are in)."""

import django.contrib.postgres.indexes
import partners.search
from django.conf import settings
from django.db import migrations, models


def fill_keys(apps, schema_editor):
    for name in ('Partner', 'Contact'):
        partners.search.fill_search_keys(apps.get_model('partners', name))


class Migration(migrations.Migration):

    dependencies = [
        ('prm', '0003_search_grams_function'),
        ('partners', '0016_lifecycle_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='contact',
            name='search_key',
            field=partners.search.SearchKeyField(sources=('full_name', 'full_name_kana', 'email')),
        ),
        migrations.AddField(
            model_name='partner',
            name='search_key',
            field=partners.search.SearchKeyField(sources=('name', 'name_kana', 'corporate_number')),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['search_key'], name='contact_search_start', opclasses=['text_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=django.contrib.postgres.indexes.GinIndex(partners.search.SearchGrams('search_key'), name='contact_search_grams'),
        ),
        migrations.AddIndex(
            model_name='partner',
            index=models.Index(fields=['search_key'], name='partner_search_start', opclasses=['text_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='partner',
            index=django.contrib.postgres.indexes.GinIndex(partners.search.SearchGrams('search_key'), name='partner_search_grams'),
        ),
    ]
