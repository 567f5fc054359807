"""Notifications keep their message (a code and parameters) and are shown in the reader's language.

Rows written before are recognised where their title or body reads exactly as one of the messages did
in Japanese or English; the rest keep showing the text they were written with.
"""

from django.db import migrations, models


def recognise_written_texts(apps, schema_editor):
    from prm import messages

    Notification = apps.get_model("notifications", "Notification")
    changed = []
    for notification in Notification.objects.filter(message={}).only("pk", "title", "body").iterator(chunk_size=2000):
        message = {}
        title = messages.recognise(notification.title, messages.NOTIFICATION_TITLES)
        if title is not None:
            message["title"] = title
        body = messages.recognise(notification.body, messages.NOTIFICATION_BODIES) if notification.body else None
        if body is not None:
            message["body"] = body
        if message:
            notification.message = message
            changed.append(notification)
        if len(changed) >= 1000:
            Notification.objects.bulk_update(changed, ["message"])
            changed = []
    Notification.objects.bulk_update(changed, ["message"])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0002_notification_emailed_at_notificationpreference"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="message",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(recognise_written_texts, migrations.RunPython.noop),
    ]
