"""The console search's readers of partners and contacts: partners.search keeps the key and looks it up."""

from __future__ import annotations

from partners.models import Contact, Partner
from partners.search import SearchQuery, found


def partner_search(query: SearchQuery, *, limit: int) -> list[Partner]:
    """Partners whose name, reading or corporate number matches the query (partners.search.search_query)."""
    return found(Partner.objects.all(), query, limit)


def contact_search(query: SearchQuery, *, limit: int) -> list[Contact]:
    """Partners' contacts whose name, reading or e-mail address matches the query, with their partner."""
    return found(Contact.objects.select_related("partner"), query, limit)
