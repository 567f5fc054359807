"""Recompute the stored customer keys with the matcher that drops invisible characters.

Keys stored before it kept variation selectors, zero-width characters, Hangul fillers and
uncomposed marks, so `株式会社浜<U+E0100>松建設` was not `浜松建設`. Every record that takes
part in conflict checks gets its keys from `deals.matching` again; only changed rows are written.
Registrations that became second priority holders this way stay as they are: approving one of
them is refused while the other is approved, and the channel manager decides.
"""

from django.db import migrations

MODELS = ("DealRegistration", "DirectAccount", "Lead")
BATCH = 1000


def recompute_keys(apps, schema_editor):
    from deals.matching import customer_keys

    for name in MODELS:
        model = apps.get_model("deals", name)
        changed = []
        for record in model.objects.only("pk", "customer_name", "corporate_number", "web_domain", "name_key",
                                         "corporate_key", "domain_key").iterator(chunk_size=BATCH):
            keys = customer_keys(record.customer_name, record.corporate_number, record.web_domain)
            # The same cut as deals.services.apply_keys.
            stored = (keys.name_key[:200], keys.corporate_number or "", (keys.domain or "")[:254])
            if stored != (record.name_key, record.corporate_key, record.domain_key):
                record.name_key, record.corporate_key, record.domain_key = stored
                changed.append(record)
            if len(changed) >= BATCH:
                model.objects.bulk_update(changed, ["name_key", "corporate_key", "domain_key"])
                changed = []
        if changed:
            model.objects.bulk_update(changed, ["name_key", "corporate_key", "domain_key"])


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0003_deal_won_confirmation"),
    ]

    operations = [
        migrations.RunPython(recompute_keys, migrations.RunPython.noop),
    ]
