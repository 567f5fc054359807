"""The transactional outbox: one row per business event, written in the same transaction as the change.

A row exists if and only if the change committed, so whatever reads the outbox afterwards (the
webhooks app fans each row out to its endpoints) never announces work that rolled back and never
misses work that committed.
"""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    # Not a foreign key: the platform layer knows no domain table. Partner endpoints match on it.
    partner_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(default=timezone.now)
    # Set once the consumers have taken the row (the webhooks app made its deliveries).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="outbox_undispatched", condition=models.Q(dispatched_at__isnull=True)),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type}:{self.object_id}"

    @property
    def message_id(self) -> str:
        """The Standard Webhooks `webhook-id`: the same for every attempt of this event."""
        return f"msg_{self.uid.hex}"
