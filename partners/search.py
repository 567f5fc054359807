"""The console search's key and index: each searchable table stores one normalised key, found by its start or by
any part of it in a few index look-ups, whatever the table's size.

- `search_key(*values)`: each value read as the customer matcher reads a company name (partners.names.normalise_name:
  width, case, spaces, punctuation, legal forms, variants of one character), hiragana folded into katakana so
  that さくら, サクラ and ｻｸﾗ are one key; the values joined by a space, which no key contains, so a query never
  matches across two of them.
- `SearchKeyField`: the column, computed from its source fields whenever a row is written, by save() and by
  bulk_create alike (as auto_now is). A save(update_fields=…) must name it when it names a source.
- The indexes: a btree (pattern ops) finds keys starting with the query; PostgreSQL's pg_trgm is not in every
  installation (the embedded server has no contrib modules), so keys containing it are found through a GIN
  index over the key's pairs of characters, `search_grams`, a SQL function made once in public (prm
  migration 0003: the platform's migrations own public), as PostgreSQL's own trigram index would.
- `_key_conditions`: the rule itself, as SQL on a key column: starts with the query's key; contains it, narrowed by
  the query's rarest pairs (a key of one character: by its start only). `key_matches`, `found` and `containing`
  all filter with it.
- `key_matches(reads, query, fields)`: of each model read, the rows whose key starts with the query (in key order)
  and then those containing it elsewhere, at most its limit, in one statement that stops reading once it has them.
  The statement is written here rather than by the ORM: composing the same UNION with querysets cost more CPU than
  running it (about 1 ms a table of the search box's four), and its shape never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Func
from django.db.models.expressions import RawSQL

from partners.names import normalise_name
from prm.reads import RowCondition

if TYPE_CHECKING:
    from django.db.models import QuerySet

# The longest query the search takes (characters as typed); longer ones are refused with a message.
MAX_QUERY_LENGTH = 100

# Hiragana → katakana (ぁ..ゖ, and the iteration marks ゝゞ), the only folding the search adds to the matcher's.
_KATAKANA = str.maketrans({**{chr(code): chr(code + 0x60) for code in range(0x3041, 0x3097)},
                           "\u309d": "\u30fd", "\u309e": "\u30fe"})



def search_key(*values: str) -> str:
    """The key of a record's names (or of a query, given one value): equal keys read as the same words."""
    keys = (normalise_name(value or "").translate(_KATAKANA) for value in values)
    return " ".join(key for key in keys if key)


class SearchKeyField(models.TextField):
    """The search key of `sources` (field names of the model), kept by every write that goes through the model."""

    def __init__(self, *args: Any, sources: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.sources = tuple(sources)
        kwargs.update(editable=False, blank=True, default="", db_default="")  # plain-SQL inserts stay valid
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for option in ("editable", "blank", "default", "db_default"):
            kwargs.pop(option, None)
        return name, path, args, {**kwargs, "sources": self.sources}

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = search_key(*(getattr(model_instance, source) for source in self.sources))
        setattr(model_instance, self.attname, value)
        return value


class SearchGrams(Func):
    """search_grams(key): the key's distinct pairs of characters (SQL, made by prm migration 0003)."""

    function = "search_grams"
    output_field = ArrayField(models.TextField())


def search_indexes(prefix: str) -> list[models.Index]:
    """The two indexes of a model's `search_key`, named after `prefix`."""
    return [models.Index(fields=["search_key"], opclasses=["text_pattern_ops"], name=f"{prefix}_search_start"),
            GinIndex(SearchGrams("search_key"), name=f"{prefix}_search_grams")]


# Of the query's pairs, an index is asked for the rarest few: a pair in most rows (ベン of ベンチ… in every one)
# costs the whole of its posting list and narrows nothing, and `LIKE` checks every row found anyway.
RARE_GRAMS = 3
COMMON_GRAM_SHARE = 0.2
# For each index named, the query's pairs with the share of rows holding each, from the statistics ANALYZE keeps
# of the index (0 for a pair rarer than its most common elements).
_GRAM_SHARES = """SELECT i.name, g, COALESCE(x.share, 0)
      FROM unnest(%(indexes)s::text[]) AS i(name) CROSS JOIN unnest(search_grams(%(key)s)) AS g
      LEFT JOIN (SELECT s.tablename, u.gram, u.share
                   FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(gram, share)
                  WHERE s.schemaname = current_schema() AND s.tablename = ANY(%(indexes)s)) x
             ON x.tablename = i.name AND x.gram = g
     ORDER BY 1, 3, 2"""


@dataclass(frozen=True)
class SearchQuery:
    """What was typed, as the search reads it (`key`), with the pairs of characters each table's index is asked
    for (none: find the rows containing the key without it, they are most of the table)."""

    text: str
    key: str
    rare_grams: dict[str, list[str]] = field(default_factory=dict)  # gram index's name → its rarest pairs

    def grams_for(self, model: type[models.Model]) -> list[str]:
        return self.rare_grams.get(_grams_index(model), [])


def _grams_index(model: type[models.Model]) -> str:
    return next(str(index.name) for index in model._meta.indexes if str(index.name).endswith("_search_grams"))


def search_query(text: str, *, using: str = DEFAULT_DB_ALIAS) -> SearchQuery:
    """`text` read for the search: its key, and for every searchable table the few pairs of characters that narrow
    it the most. One statement for all the tables (none for a key too short to have pairs)."""
    key = search_key(text)
    if len(key) < 2:
        return SearchQuery(text=text, key=key)
    indexes = _gram_indexes()
    rare: dict[str, list[str]] = {index: [] for index in indexes}
    with connections[using].cursor() as cursor:
        cursor.execute(_GRAM_SHARES, {"indexes": indexes, "key": key})
        for index, gram, share in cursor.fetchall():
            if share < COMMON_GRAM_SHARE and len(rare[index]) < RARE_GRAMS:
                rare[index].append(gram)
    return SearchQuery(text=text, key=key, rare_grams=rare)


@cache
def _gram_indexes() -> list[str]:
    """The gram index of every searchable model: the models are registered once, at start-up."""
    return sorted(_grams_index(model) for model in apps.get_models() if _searchable(model))


def _searchable(model: type[models.Model]) -> bool:
    return any(isinstance(column, SearchKeyField) for column in model._meta.get_fields())


def _key_conditions(key: str, model: type[models.Model], query: SearchQuery,
                    using: str = DEFAULT_DB_ALIAS) -> tuple[tuple[str, list], tuple[str, list] | None]:
    """The search's one rule, as SQL conditions on the key column `key`: (its key starts with the query's, its key
    contains the query's). A key of one character has no pair of characters to look up, so it is found by its
    start only (None); a longer one containing the query is narrowed by the query's rarest pairs, when it has some,
    which is what lets the pairs' index find it."""
    start = connections[using].ops.prep_for_like_query(query.key) + "%"
    starting = (f"{key}::text LIKE %s", [start])
    if len(query.key) < 2:
        return starting, None
    rare = query.grams_for(model)
    narrowed = f" AND search_grams({key}) @> %s::text[]" if rare else ""
    return starting, (f"{key}::text LIKE %s{narrowed}", ["%" + start, *([rare] if rare else [])])


def containing(rows: QuerySet, query: SearchQuery) -> QuerySet:
    """All of `rows` whose search key contains the query's, looked up through the key's indexes (_key_conditions):
    a filter for a list that pages and sorts by its own order. An empty key filters nothing."""
    if not query.key:
        return rows

    def condition(column) -> tuple[str, list]:
        starting, contains = _key_conditions(column("search_key"), rows.model, query, using=rows.db)
        return contains or starting  # a key of one character: by its start only

    return rows.filter(RowCondition(("search_key",), condition))


def _matching(model: type[models.Model], query: SearchQuery, limit: int, fields: tuple[str, ...],
              *, using: str = DEFAULT_DB_ALIAS) -> tuple[str, list]:
    """SQL and parameters of `fields` of up to `limit` rows of `model` whose key starts with the query's (by key),
    then of those containing it elsewhere (found by the rarest pairs of characters, when the query has some).

    A key of one character is looked up by its start only: it has no pair to look up. The two parts are one
    UNION ALL under one LIMIT, so when the first fills it the second is never read.
    """
    quote = connections[using].ops.quote_name
    table = quote(model._meta.db_table)
    key, pk = (f"{table}.{quote(_column(model, name))}" for name in ("search_key", "pk"))
    columns = ", ".join(f"{table}.{quote(_column(model, name))}" for name in fields)
    limit = int(limit)
    (starts, start_params), contains = _key_conditions(key, model, query, using=using)
    starting = f"SELECT {columns} FROM {table} WHERE {starts} ORDER BY {key}, {pk} LIMIT {limit}"
    if contains is None:
        return starting, start_params
    within, within_params = contains
    elsewhere = f"SELECT {columns} FROM {table} WHERE {within} AND NOT ({starts}) LIMIT {limit}"
    return (f"({starting}) UNION ALL ({elsewhere}) LIMIT {limit}",
            [*start_params, *within_params, *start_params])


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return field.column  # type: ignore[union-attr]  # a concrete field of the model


def key_matches(reads: Sequence[tuple[type[models.Model], int]], query: SearchQuery, fields: tuple[str, ...],
                *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """For each (model, limit) of `reads`, in that order: `fields` of up to `limit` of its rows whose search key
    starts with the query's (by key), then of those containing it elsewhere, each row led by the index of its
    model in `reads`. One statement for all of them (none for an empty key)."""
    if not query.key or not reads:
        return []
    parts, params = [], []
    for index, (model, limit) in enumerate(reads):
        sql, part_params = _matching(model, query, limit, fields, using=using)
        parts.append(f"SELECT {index}, matched.* FROM ({sql}) AS matched")
        params += part_params
    with connections[using].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"({part})" for part in parts), params)
        return [tuple(row) for row in cursor.fetchall()]


def found(rows: QuerySet, query: SearchQuery, limit: int) -> list:
    """Up to `limit` of `rows` (a model's rows, unfiltered, with what they select_related) matching the query, those
    with a name starting with it first, then by key: key_matches' choice, read whole in one statement."""
    if not query.key:
        return []
    assert not rows.query.has_filters(), "the matches are chosen from the whole table"
    sql, params = _matching(rows.model, query, limit, ("pk",), using=rows.db)
    matching = list(rows.filter(pk__in=RawSQL(sql, params)).order_by())  # ordered below
    return sorted(matching, key=lambda row: (not starts_a_word(row.search_key, query.key), row.search_key, row.pk))


def starts_a_word(stored: str, key: str) -> bool:
    """Whether one of the names in the stored key `stored` (a partner's reading, a contact's e-mail) starts with
    the query's `key`: those come first."""
    return any(name.startswith(key) for name in stored.split(" "))


def fill_search_keys(model: type[models.Model], batch: int = 2000) -> None:
    """Compute the search key of every row of `model` (a data migration's model): the key's column added to a
    table that already has rows."""
    sources = model._meta.get_field("search_key").sources  # type: ignore[union-attr]  # a SearchKeyField
    rows = []
    for row in model._default_manager.only("pk", *sources).order_by("pk").iterator(chunk_size=batch):
        row.search_key = search_key(*(getattr(row, source) for source in sources))
        rows.append(row)
        if len(rows) >= batch:
            model._default_manager.bulk_update(rows, ["search_key"])
            rows = []
    if rows:
        model._default_manager.bulk_update(rows, ["search_key"])
