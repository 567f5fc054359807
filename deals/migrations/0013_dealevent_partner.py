"""A deal event carries its deal's partner, so that a partner's newest events come from one index: the column,
filled from the deals in one statement, then required and indexed."""

import django.db.models.deletion
from django.db import migrations, models


def fill_partners(apps, schema_editor):
    """Every event gets its deal's partner; events that have it already are left alone, so it can run again."""
    schema_editor.execute("""
        UPDATE deals_dealevent e SET partner_id = d.partner_id
          FROM deals_dealregistration d
         WHERE d.id = e.deal_id AND e.partner_id IS DISTINCT FROM d.partner_id""")


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0012_dealregistration_search_key_directaccount_search_key_and_more'),
    ]

    operations = [
        migrations.AddField(
            model_name='dealevent',
            name='partner',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner'),
        ),
        migrations.RunPython(fill_partners, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='dealevent',
            name='partner',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner'),
        ),
        migrations.AddIndex(
            model_name='dealevent',
            index=models.Index(fields=['partner', '-occurred_at', '-id'], name='deal_event_partner_latest'),
        ),
    ]
