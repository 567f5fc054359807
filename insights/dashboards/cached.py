"""The dashboard, cached per vendor and filters, and never stale after a health recalculation.

The key holds the filters and a data version read in one cheap statement: the latest finished
health run and the newest row (or change time) of every table the dashboard reads. A new
deal, a deal moving stage, a stage change, an agreement, a tier, an MDF claim or an invoice payment changes the
version, so the next render computes afresh; anything the version misses lasts at most
CACHE_SECONDS. django-tenants' key function prefixes every key with the vendor's schema.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import connection

from deals import selectors as deal_selectors
from incentives import selectors as incentive_selectors
from insights.dashboards import selectors
from insights.dashboards.filters import Filters
from partners import selectors as partner_selectors
from programs import selectors as programme_selectors

CACHE_SECONDS = 600
KEY_VERSION = 3  # 3: stage rows carry the rules partners wait on


# One statement, one round trip: the latest finished health run, then each owner's change marker of the tables
# the dashboard reads (the owners name their own tables).
_VERSION_SQL = f"""
    SELECT (SELECT max(id) FROM partners_healthrun WHERE finished_at IS NOT NULL),
           {deal_selectors.change_marker_sql()},
           {partner_selectors.change_marker_sql()},
           {programme_selectors.change_marker_sql()},
           {incentive_selectors.change_marker_sql()}"""


def data_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    return hashlib.sha1(repr(row).encode()).hexdigest()[:16]


def cache_key(filters: Filters) -> str:
    return f"insights:v{KEY_VERSION}:{filters.key()}:{data_version()}"


def overview(filters: Filters, *, use_cache: bool = True) -> selectors.Overview:
    """Every number of the insights dashboard; from the cache when nothing it depends on has changed."""
    if not use_cache:
        return selectors.overview(filters)
    key = cache_key(filters)
    result = cache.get(key)
    if result is None:
        result = selectors.overview(filters)
        cache.set(key, result, CACHE_SECONDS)
    return result
