"""Columns the apps above partners add to the console's partner list: programs the tier, insights the health.

partners may neither import those apps nor read their tables, so each owner registers a ListColumn when it loads
(its AppConfig.ready): the SQL over its own tables (annotations of the partner queryset, a filter), the filter's
options and the cell. partners only applies them, so the list stays one query with the owners' subqueries
whatever the number of partners, and the column's figure is the one its owner shows everywhere else.

The column's key names it in the query string: `?<key>=<option>` filters, `?sort=<key>` and `?sort=-<key>` sort.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from partners.models import Partner
    from partners.selectors.listing import PartnerRow


@dataclass(frozen=True)
class ColumnSQL:
    """The column's annotations in the list's own statement for a page's rows: `joins` reach the owner's tables from
    the partner row, aliased `p` (with aliases of the owner's, prefixed by the column's key); `select` names each
    annotation's SQL expression, in order. The values are `annotate`'s (tests/partners/test_partner_list_columns.py
    compares them on every sort), read without the ORM compiling the page's query."""

    joins: str
    select: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ListColumn:
    key: str
    label: StrOrPromise
    # Adds the annotations the cell and the ordering read: the owner's subqueries over its own table.
    annotate: Callable[[QuerySet[Partner]], QuerySet[Partner]]
    # Annotation names the column sorts by, ascending; partners reverses them and keeps partners without a value last.
    ordering: tuple[str, ...]
    # The filter's options (value, label); the owner keeps the partners matching a chosen value.
    options: Callable[[], list[tuple[str, StrOrPromise]]]
    filter: Callable[[QuerySet[Partner], str], QuerySet[Partner]]
    # The cell's HTML from the row's annotations (a partners.selectors.listing.PartnerRow), escaped by the owner.
    cell: Callable[[PartnerRow], SafeString]
    # The same annotations as `annotate`, as SQL for the statement that reads a page's rows.
    sql: ColumnSQL
    numeric: bool = False


_columns: dict[str, ListColumn] = {}
# The partner list's own filter and sort names: a registered column may not take one.
RESERVED = frozenset({"q", "partner_type", "stage", "owner", "prefecture", "industry", "parent", "sort", "page",
                      "name", "created", "type", "active", "encoding"})


def register(column: ListColumn) -> None:
    if column.key in RESERVED:
        raise ValueError(f"the partner list already uses {column.key!r}")
    _columns[column.key] = column


def columns() -> list[ListColumn]:
    """The registered columns, in the order their apps loaded."""
    return list(_columns.values())


def column(key: str) -> ListColumn | None:
    return _columns.get(key)
