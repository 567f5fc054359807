"""The console search's readers of deal registrations and customers: partners.search keeps the key and looks it up."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max

from deals.models import DealRegistration, DirectAccount
from partners.search import SearchQuery, found, key_matches

# Registrations read to find `limit` different customers: one customer's registrations by several partners
# share its key and come one after another.
_READ_PER_CUSTOMER = 4


@dataclass(frozen=True)
class CustomerMatch:
    """A customer company found by the search: registrations (the latest, to open) and the direct-sales account."""

    name: str
    name_key: str
    registrations: int = 0
    latest_deal_id: int | None = None
    direct_account: bool = False


def deal_search(query: SearchQuery, *, limit: int) -> list[DealRegistration]:
    """Deal registrations whose customer's name matches the query (partners.search.search_query)."""
    return found(DealRegistration.objects.select_related("partner"), query, limit)


def customer_search(query: SearchQuery, *, limit: int) -> list[CustomerMatch]:
    """Up to `limit` customer companies (one per matcher name key) named like the query, among registrations and the
    vendor's direct-sales accounts: two statements (one when none matches), however many registrations match."""
    names: dict[str, str] = {}
    direct: set[str] = set()
    reads = ((DirectAccount, limit), (DealRegistration, limit * _READ_PER_CUSTOMER))  # the direct accounts first
    for read, name_key, name in key_matches(reads, query, ("name_key", "customer_name")):
        if name_key and len(names) < limit:
            names.setdefault(name_key, name)
            if reads[read][0] is DirectAccount:
                direct.add(name_key)
    if not names:
        return []
    counts: dict[str, tuple[int, int]] = {
        name_key: (registrations, latest) for name_key, registrations, latest in
        DealRegistration.objects.filter(name_key__in=list(names)).order_by().values("name_key")
        .annotate(registrations=Count("pk"), latest=Max("pk")).values_list("name_key", "registrations", "latest")}
    return [CustomerMatch(name=name, name_key=name_key, registrations=counts.get(name_key, (0, None))[0],
                          latest_deal_id=counts.get(name_key, (0, None))[1], direct_account=name_key in direct)
            for name_key, name in names.items()]  # the direct-sales accounts first, as read
