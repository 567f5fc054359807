"""API keys and the answers kept for Idempotency-Key, one set per vendor schema."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Access(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiKey(models.Model):
    """A secret a program sends as `Authorization: Bearer <prefix>.<secret>`.

    Only the SHA-256 of the whole token is kept; the prefix is shown in lists so people can tell
    keys apart. A vendor key (partner empty) reads what its scopes allow across the vendor; a
    partner key sees only its own partner's data, whatever its scopes say.
    """

    name = models.CharField(_("name"), max_length=100)
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("partner"), db_index=False)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    # {resource: "read" | "write"}; a resource not named is out of the key's reach.
    scopes = models.JSONField(_("scopes"), default=dict)
    language = models.CharField(_("language of errors"), max_length=5,
                                choices=[("ja", "日本語"), ("en", "English")], default="ja")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["partner", "-created_at"], name="api_key_partner")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_vendor_key(self) -> bool:
        return self.partner_id is None

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotentRequest(models.Model):
    """The answer given to one POST with an Idempotency-Key, replayed for every retry of it."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="api_idempotency_once_per_key")]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_age")]
        constraints += [models.CheckConstraint(condition=Q(status__isnull=True) | Q(status__gte=100),
                                               name="api_idempotency_status")]
