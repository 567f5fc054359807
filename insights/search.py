"""The console's one search box: partners, contacts, deal registrations and customers, each read by the selectors
of the app that owns them (insights, the roof, may call them all); partners.search makes the key they look up."""

from __future__ import annotations

from dataclasses import dataclass, field

from deals import selectors as deal_selectors
from partners import selectors as partner_selectors
from partners.search import search_query

# Rows of each kind: under the box while typing, and on the results page.
LIVE_LIMIT = 5
PAGE_LIMIT = 20


@dataclass(frozen=True)
class SearchResults:
    query: str
    key: str  # the query as the search reads it; empty when nothing searchable was typed
    limit: int
    partners: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    deals: list = field(default_factory=list)
    customers: list[deal_selectors.CustomerMatch] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.partners or self.contacts or self.deals or self.customers)


def console_search(query: str, *, limit: int) -> SearchResults:
    """Everything whose names match `query` (half- or full-width, hiragana or katakana, with or without the legal
    form): up to `limit` of each kind, in a fixed number of statements whatever the tenant's size."""
    read = search_query(query)
    if not read.key:
        return SearchResults(query=query, key=read.key, limit=limit)
    return SearchResults(query=query, key=read.key, limit=limit,
                         partners=partner_selectors.partner_search(read, limit=limit),
                         contacts=partner_selectors.contact_search(read, limit=limit),
                         deals=deal_selectors.deal_search(read, limit=limit),
                         customers=deal_selectors.customer_search(read, limit=limit))
