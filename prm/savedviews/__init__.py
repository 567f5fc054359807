"""Saved views of a console list: a person keeps the list's filters under a name, and may share them with the team.

The platform knows no domain app: a list that offers saved views registers itself (in its AppConfig.ready),

    prm.savedviews.register("deals.pipeline", url_name="deal_pipeline", clean=clean_query)

where `clean(query)` reads the list's query string (a QueryDict) through the list's own filter form and returns
it as the list writes it, or raises ValidationError naming the fields it refuses. A view is a query string: the
list validates it again whenever it is opened, so a view saved before a partner or a stage went away is shown as
the list's own errors, never as a failure of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import QueryDict

Clean = Callable[[QueryDict], str]


@dataclass(frozen=True)
class SavedList:
    key: str
    url_name: str  # the list's page, where a view opens
    clean: Clean


_LISTS: dict[str, SavedList] = {}


def register(key: str, *, url_name: str, clean: Clean) -> SavedList:
    """Offer saved views on the list `key` (the page named `url_name`); a second registration replaces the first."""
    _LISTS[key] = SavedList(key=key, url_name=url_name, clean=clean)
    return _LISTS[key]


def saved_list(key: str) -> SavedList | None:
    return _LISTS.get(key)


def registered() -> list[str]:
    return sorted(_LISTS)
