"""A tier change keeps its reason as a message (shown in the reader's language) and the decider's note apart.

Rows written before are recognised where their reason reads exactly as one of the reasons did in Japanese
or English, with or without a decider's note after " / "; the rest keep showing the text they were written with.
"""

from django.db import migrations, models


def recognise_written_reasons(apps, schema_editor):
    from prm import messages

    TierChange = apps.get_model("programs", "TierChange")
    changed = []
    for change in TierChange.objects.exclude(reason="").only("pk", "reason").iterator(chunk_size=2000):
        reason, _separator, note = change.reason.partition(" / ")
        message = messages.recognise(reason, messages.TIER_REASONS)
        if message is None:
            continue
        change.reason_message, change.decision_note = message, note
        changed.append(change)
        if len(changed) >= 1000:
            TierChange.objects.bulk_update(changed, ["reason_message", "decision_note"])
            changed = []
    TierChange.objects.bulk_update(changed, ["reason_message", "decision_note"])


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0006_partnertier_updated_at_tierchange_updated_at_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="tierchange",
            name="reason_message",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="tierchange",
            name="decision_note",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(recognise_written_reasons, migrations.RunPython.noop),
    ]
