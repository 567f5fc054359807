"""The console search's readers of partners and contacts: partners.search keeps the key and looks it up."""

from __future__ import annotations

from partners.models import Contact, Partner
from partners.search import found


def partner_search(key: str, *, limit: int) -> list[Partner]:
    """Partners whose name, reading or corporate number matches the search key `key` (partners.search.search_key)."""
    return found(Partner.objects.select_related("owner"), key, limit)


def contact_search(key: str, *, limit: int) -> list[Contact]:
    """Partners' contacts whose name, reading or e-mail address matches the search key `key`, with their partner."""
    return found(Contact.objects.select_related("partner"), key, limit)
