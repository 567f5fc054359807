"""The matcher's keys get one plain index each, named after the model (deals.models.customer_key_indexes).

`db_index=True` had given each key two indexes: a plain one and a `varchar_pattern_ops` one for LIKE, which
no query asks. The LIKE copies are dropped and the plain ones renamed to the names the models give them: no
index is rebuilt, so this takes a moment whatever the number of deals. An index that is missing for any
reason is created.
"""

from django.db import migrations, models

# (table, prefix of the model's index names, {key: Django's name of the db_index index on that key}).
OLD_NAMES = (
    ("deals_dealregistration", "deal", {"name_key": "deals_dealregistration_name_key_de832b3f",
                                        "corporate_key": "deals_dealregistration_corporate_key_918cf764",
                                        "domain_key": "deals_dealregistration_domain_key_d468b2ef"}),
    ("deals_directaccount", "direct_account", {"name_key": "deals_directaccount_name_key_6b948c77",
                                               "corporate_key": "deals_directaccount_corporate_key_a5783e07",
                                               "domain_key": "deals_directaccount_domain_key_bd25a7f4"}),
    ("deals_lead", "lead", {"name_key": "deals_lead_name_key_b88aa479",
                            "corporate_key": "deals_lead_corporate_key_30b99bf2",
                            "domain_key": "deals_lead_domain_key_d47348b3"}),
)


def _forward() -> list[str]:
    return [statement for table, prefix, keys in OLD_NAMES for key, old in keys.items() for statement in (
        f'DROP INDEX IF EXISTS "{old}_like"',
        f'ALTER INDEX IF EXISTS "{old}" RENAME TO "{prefix}_{key}"',
        f'CREATE INDEX IF NOT EXISTS "{prefix}_{key}" ON "{table}" ("{key}")')]


def _backward() -> list[str]:
    return [statement for table, prefix, keys in OLD_NAMES for key, old in keys.items() for statement in (
        f'ALTER INDEX IF EXISTS "{prefix}_{key}" RENAME TO "{old}"',
        f'CREATE INDEX IF NOT EXISTS "{old}" ON "{table}" ("{key}")',
        f'CREATE INDEX IF NOT EXISTS "{old}_like" ON "{table}" ("{key}" varchar_pattern_ops)')]


def _state() -> list:
    lengths = {"name_key": 200, "corporate_key": 13, "domain_key": 254}
    operations: list = []
    for table, prefix, _old in OLD_NAMES:
        model = table.removeprefix("deals_")
        for key, length in lengths.items():
            operations.append(migrations.AlterField(
                model_name=model, name=key,
                field=models.CharField(blank=key != "name_key", editable=False, max_length=length)))
            operations.append(migrations.AddIndex(
                model_name=model, index=models.Index(fields=[key], name=f"{prefix}_{key}")))
    return operations


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0016_deal_partner_registered"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(_forward(), _backward())],
            state_operations=_state(),
        ),
    ]
