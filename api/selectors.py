"""Reads of API keys for the key pages (never the secret: only its hash is stored)."""

from __future__ import annotations

from django.db.models import QuerySet

from api.models import ApiKey


def keys_of(*, partner_id: int | None) -> QuerySet[ApiKey]:
    """The vendor's own keys (partner_id None) or one partner's keys, newest first."""
    qs = ApiKey.objects.select_related("created_by", "revoked_by")
    return qs.filter(partner__isnull=True) if partner_id is None else qs.filter(partner_id=partner_id)


def key_of(pk: int, *, partner_id: int | None) -> ApiKey | None:
    return keys_of(partner_id=partner_id).filter(pk=pk).first()
