"""Webhook endpoints (a vendor's, or a partner's for its own events), and what was sent to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_URL_LENGTH = 500


class TransactionStart(models.Func):
    """PostgreSQL's transaction_timestamp(): one time for the whole transaction (Django's Now() is the
    statement's), so rows written together compare as written together."""

    template = "TRANSACTION_TIMESTAMP()"
    output_field = models.DateTimeField()


class Endpoint(models.Model):
    """Where a vendor (partner empty) or one partner wants events delivered, signed with its secret.

    While a secret is being rotated the previous one keeps signing beside the new one until
    `previous_secret_until`, so a receiver can switch over without missing a message.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="webhook_endpoints", verbose_name=_("partner"))
    url = models.CharField(_("URL"), max_length=MAX_URL_LENGTH)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    # The database's transaction start, not the app clock: the endpoint receives events published from
    # then on, including those of the transaction that creates it (a partner and its endpoint together),
    # never the backlog published before it existed.
    created_at = models.DateTimeField(db_default=TransactionStart())

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            secrets.append(self.previous_secret)
        return secrets


class Delivery(models.Model):
    """One event for one endpoint: pending until it succeeds or its retries run out."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Given up")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    event = models.ForeignKey("outbox.OutboxEvent", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    # Attempts in the current round (a manual resend starts a new round); the schedule reads it.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_count = models.PositiveIntegerField(default=0)  # every attempt of every round: numbers the log
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_status = models.PositiveIntegerField(_("status"), null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["endpoint", "event"], name="webhook_pending",
                                condition=models.Q(state="pending"))]


class Attempt(models.Model):
    """One HTTP request of a delivery: what came back and how long it took (the delivery log)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("sent at"), default=timezone.now)
    status = models.PositiveIntegerField(_("status"), null=True, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
