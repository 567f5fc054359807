"""API keys: made by an admin (the vendor's for vendor keys, the partner's for its own), shown once,
kept as a hash, revoked by the same people; and the check of a presented key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import audit
from api.models import ApiKey
from api.scopes import PARTNER_RESOURCES, READ, RESOURCES, WRITE
from partners.access import require_partner_member, require_vendor_staff

TOKEN_PREFIX = "kyo"
MAX_LIFETIME_DAYS = 3650


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once; only its hash is stored


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_scopes(scopes: dict, *, partner_key: bool) -> dict[str, str]:
    if not isinstance(scopes, dict) or not scopes:
        raise ValidationError({"scopes": _("Give the key at least one scope.")})
    allowed = PARTNER_RESOURCES if partner_key else tuple(RESOURCES)
    cleaned = {}
    for resource, access in scopes.items():
        if resource not in allowed:
            raise ValidationError({"scopes": _("%(resource)s is not a resource this key can be given.") % {
                "resource": resource}})
        if access not in (READ, WRITE):
            raise ValidationError({"scopes": _("Access must be read or write.")})
        cleaned[resource] = access
    return cleaned


def _clean_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": _("Choose an expiry in the future.")})
    if (expires_at - now).days > MAX_LIFETIME_DAYS:
        raise ValidationError({"expires_at": _("Choose an expiry within ten years.")})
    return expires_at


def _require_manager(actor, partner) -> None:
    """Vendor keys: vendor admins. A partner's keys: that partner's admins."""
    if partner is None:
        require_vendor_staff(actor, admin=True)
    else:
        require_partner_member(actor, partner, admin=True)


def _may_manage(actor, partner) -> bool:
    try:
        _require_manager(actor, partner)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def key_create(*, actor, name: str, scopes: dict, partner=None, expires_at: datetime | None = None,
               language: str = "ja") -> IssuedKey:
    """A vendor admin makes vendor keys; a partner admin makes keys of its own partner only."""
    _require_manager(actor, partner)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the key (what uses it).")})
    cleaned = _clean_scopes(scopes, partner_key=partner is not None)
    prefix = f"{TOKEN_PREFIX}_{secrets.token_hex(4)}"
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = f"{TOKEN_PREFIX}_{secrets.token_hex(4)}"
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name[:100], partner=partner, prefix=prefix, secret_hash=_hash(token),
                                scopes=cleaned, expires_at=_clean_expiry(expires_at),
                                language=language if language in ("ja", "en") else "ja", created_by=actor)
    audit.record_key_event(actor=actor, key=key, action="api_key_created", scopes=cleaned)
    return IssuedKey(key=key, token=token)


@transaction.atomic
def key_revoke(*, actor, key: ApiKey) -> ApiKey:
    _require_manager(actor, key.partner)
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit.record_key_event(actor=actor, key=key, action="api_key_revoked")
    return key


class KeyRefused(Exception):
    """A presented key that does not open the API; `reason` is one of the codes below."""

    def __init__(self, reason: str, key: ApiKey | None = None):
        super().__init__(reason)
        self.reason = reason
        self.key = key


def key_authenticate(token: str, *, now: datetime | None = None) -> ApiKey:
    """The key a token stands for, or KeyRefused("unknown" | "revoked" | "expired" | "owner_gone").

    The prefix finds the row; the hash of the whole token is compared in constant time.
    """
    token = (token or "").strip()
    prefix, _dot, _secret = token.partition(".")
    if not _dot or not prefix.startswith(f"{TOKEN_PREFIX}_") or len(prefix) > 16 or len(token) > 200:
        raise KeyRefused("unknown")
    key = ApiKey.objects.select_related("partner", "created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token)):
        raise KeyRefused("unknown")
    now = now or timezone.now()
    if key.revoked_at is not None:
        raise KeyRefused("revoked", key)
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRefused("expired", key)
    # A key acts as the admin who made it: it stops when that person can no longer manage it.
    if key.created_by is None or not _may_manage(key.created_by, key.partner):
        raise KeyRefused("owner_gone", key)
    return key


def key_touch(*, key: ApiKey, now: datetime | None = None) -> None:
    """Note the use (at most once a minute per key, so a busy key does not rewrite its row per request)."""
    now = now or timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


IDEMPOTENCY_KEEP_HOURS = 48


def idempotency_prune(*, now: datetime | None = None) -> int:
    """Forget kept answers after two days: a client retries within minutes, and the table would grow
    by one row per POST for ever."""
    from api.models import IdempotentRequest

    cutoff = (now or timezone.now()) - timedelta(hours=IDEMPOTENCY_KEEP_HOURS)
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
