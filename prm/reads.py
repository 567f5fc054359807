"""Helpers of the owners' set-based readers: big result sets streamed as plain tuples, local days as instants."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone


def fetch_rows(sql: str, params: dict) -> list[tuple]:
    """Every row of one raw statement with named parameters (%(name)s): the owners' set-based figures."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def plain_rows(queryset: QuerySet, size: int = 5000) -> Iterator[tuple]:
    """The rows of a `values_list` query, read in chunks from a server-side cursor as plain tuples: Django's
    per-row iterator and converters cost more than a commission run's work on a row. Only for columns Django
    would not convert (integers, texts, dates)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter such as pk__in=[] that can match nothing: Django's iterator yields nothing too
        return
    # As Django's own iterator(): a server-side cursor unless the settings turn them off (PgBouncer in transaction mode).
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield from rows


def local_day_start(day: date) -> datetime:
    """The first instant of a local day, to compare a timestamp column with a date."""
    return timezone.make_aware(datetime.combine(day, time.min))


def local_days(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants bounding the local days `start` to `end` (both included): the first instant of `start` and the
    first instant after `end`, to compare a timestamp column with >= and <."""
    return local_day_start(start), local_day_start(end + timedelta(days=1))


M = TypeVar("M", bound=Model)


class ModelRows(Generic[M]):
    """One model's every column in a hand-written statement, and its instances built from those columns as Django's
    own query would build them (the fields' converters applied): hot reads skip the ORM's compilation of the query,
    which costs many times the round trip."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.width = len(self.fields)  # how many values of a row are this model's
        self.pk_index = self.attnames.index(model._meta.pk.attname)
        self._converters: list[tuple[int, list]] | None = None

    def columns(self, alias: str) -> str:
        """The SELECT list of the model's columns under the table alias `alias`."""
        return ", ".join(f'{alias}."{field.column}"' for field in self.fields)

    def instance(self, values: Sequence) -> M:
        """An instance from the `len(self.fields)` values a `columns` list read."""
        if self._converters is None:
            self._converters = [(i, converters) for i, field in enumerate(self.fields)
                                if (converters := connection.ops.get_db_converters(field.get_col(field.model._meta.db_table))
                                    + field.get_db_converters(connection))]
        values = list(values)
        for i, converters in self._converters:
            for converter in converters:
                values[i] = converter(values[i], self.fields[i], connection)
        return self.model.from_db(connection.alias, self.attnames, values)

    def instance_or_none(self, values: Sequence) -> M | None:
        """`instance`, or None when the values are a LEFT JOIN's missing row (its primary key NULL)."""
        return None if values[self.pk_index] is None else self.instance(values)
