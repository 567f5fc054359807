"""The vendor behind a host name and a vendor's domains: read on every request, kept in the cache.

Every request starts by finding its vendor from the Host header, and every e-mail link by finding a
vendor's domain; both rows change perhaps once a year. They are cached in Redis (shared by every web
worker) under public-schema keys, and forgotten whenever a Vendor or Domain row is saved or deleted,
at once and again when the transaction commits (so a request racing the write cannot put the old row
back for long). A timeout bounds the harm of a change made behind the ORM's back.

The cache only saves time: when Redis cannot be reached the look-ups read the database and say so in
the log, as Django's cached_db sessions do, so a cache outage never takes every page down with it.
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_save

from prm.tenancy.models import Domain, Vendor

logger = logging.getLogger(__name__)

TIMEOUT = 5 * 60
MISSING_TIMEOUT = 60  # an unknown host: long enough to absorb a flood, short enough to cost little memory
_MISSING = "missing"


def _database() -> str:
    """The database's name in every key: a test database and the development one share a Redis, and a
    vendor id or host name of one must never answer for the other."""
    return connection.settings_dict["NAME"]


def _host_key(hostname: str) -> str:
    return f"tenancy:v1:{_database()}:host:{hostname}"


def _domains_key(vendor_id: int) -> str:
    return f"tenancy:v1:{_database()}:domains:{vendor_id}"


def _cache():
    """The "platform" cache: keys without the schema, the same from any tenant's request."""
    return caches["platform"]


def _cache_get(key: str):
    """The cached value, or None (read the database) when the cache cannot be reached."""
    try:
        return _cache().get(key)
    except Exception:  # noqa: BLE001 — any cache backend's connection error; the database answers instead
        logger.warning("platform cache unreachable; reading %s from the database", key, exc_info=True)
        return None


def _cache_set(key: str, value, timeout: int) -> None:
    try:
        _cache().set(key, value, timeout)
    except Exception:  # noqa: BLE001 — not remembering only costs the next request a query
        logger.warning("platform cache unreachable; %s not cached", key, exc_info=True)


def vendor_for_host(hostname: str) -> Vendor:
    """The vendor serving `hostname`, with `site_kind` set from its domain row; Domain.DoesNotExist if none.

    An unknown host is remembered too, so a flood of requests for one does not reach the database.
    """
    cached = _cache_get(_host_key(hostname))
    if cached == _MISSING:
        raise Domain.DoesNotExist(hostname)
    if cached is not None:
        vendor, kind = cached
        vendor.site_kind = kind
        return vendor
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    if domain is None:
        _cache_set(_host_key(hostname), _MISSING, MISSING_TIMEOUT)
        raise Domain.DoesNotExist(hostname)
    _cache_set(_host_key(hostname), (domain.tenant, domain.kind), TIMEOUT)
    vendor = domain.tenant
    vendor.site_kind = domain.kind
    return vendor


def domain_names(vendor: Vendor) -> dict[str, str]:
    """{kind: domain name} of the vendor, the primary domain of each kind first (Vendor.domain_for's order)."""
    names = _cache_get(_domains_key(vendor.pk))
    if names is None:
        names = {}
        for kind, name in (Domain.objects.filter(tenant_id=vendor.pk).order_by("-is_primary", "id")
                           .values_list("kind", "domain")):
            names.setdefault(kind, name)
        _cache_set(_domains_key(vendor.pk), names, TIMEOUT)
    return names


def forget(*, hostnames=(), vendor_ids=()) -> None:
    """Drop cached host and domain entries now and once the surrounding transaction commits."""
    keys = [_host_key(name) for name in hostnames] + [_domains_key(pk) for pk in vendor_ids]
    if not keys:
        return

    def drop() -> None:
        try:
            _cache().delete_many(keys)
        except Exception:  # noqa: BLE001 — the entries expire within TIMEOUT; the write must not fail
            logger.warning("platform cache unreachable; %s expire on their own", keys, exc_info=True)

    drop()
    transaction.on_commit(drop)


def _vendor_changed(sender, instance: Vendor, **kwargs) -> None:
    hostnames = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    forget(hostnames=hostnames, vendor_ids=[instance.pk])


def _domain_renamed(sender, instance: Domain, **kwargs) -> None:
    if instance.pk is None:
        return
    before = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
    if before and before != instance.domain:
        forget(hostnames=[before])


def _domain_changed(sender, instance: Domain, **kwargs) -> None:
    forget(hostnames=[instance.domain], vendor_ids=[instance.tenant_id])


def connect() -> None:
    post_save.connect(_vendor_changed, sender=Vendor, dispatch_uid="tenancy-lookups-vendor-saved")
    post_delete.connect(_vendor_changed, sender=Vendor, dispatch_uid="tenancy-lookups-vendor-deleted")
    pre_save.connect(_domain_renamed, sender=Domain, dispatch_uid="tenancy-lookups-domain-renamed")
    post_save.connect(_domain_changed, sender=Domain, dispatch_uid="tenancy-lookups-domain-saved")
    post_delete.connect(_domain_changed, sender=Domain, dispatch_uid="tenancy-lookups-domain-deleted")
