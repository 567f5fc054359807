"""Helpers of the owners' set-based readers: big result sets streamed as plain tuples, local days as instants."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, F, Func, Model, QuerySet
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone


def fetch_rows(sql: str, params: dict) -> list[tuple]:
    """Every row of one raw statement with named parameters (%(name)s): the owners' set-based figures."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_rows_together(statements: Sequence[tuple[str, dict]]) -> list[list[tuple]]:
    """Every row of each of these independent statements, sent in one round trip (psycopg's pipeline mode: the
    statements still run one after the other, each planned or prepared as alone): a page's reads that need
    nothing from each other wait for PostgreSQL once instead of once each. A failing statement raises as
    fetch_rows would, and the ones after it are not run."""
    connection.ensure_connection()
    cursors = [connection.cursor() for _ in statements]  # each keeps its own result
    try:
        # An error may surface when the pipeline ends, outside the cursors' own wrapping: wrapped here alike, so
        # that callers catch Django's exceptions as for fetch_rows.
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Read(Generic[T]):
    """One statement of a reader: its SQL and parameters, and what builds the reader's value from its rows. Run alone
    (run) or with other readers' in one round trip (run_together, resolve)."""

    sql: str
    params: dict
    build: Callable[[list[tuple]], T]

    def run(self) -> T:
        return self.build(fetch_rows(self.sql, self.params))


def run_together(reads: Sequence[Read]) -> list:
    """The built values of these independent reads, their statements sent in one round trip."""
    if not reads:
        return []
    found = fetch_rows_together([(read.sql, read.params) for read in reads])
    return [read.build(rows) for read, rows in zip(reads, found, strict=True)]


@dataclass(frozen=True)
class Later(Generic[T]):
    """A value that needs statements, as a hook answers it: the reads, and what makes the value from their built
    values (`make(*built)`, in the reads' order). Whoever asked the hooks runs every answer's reads together
    (resolve), so that a page made of several apps' sections waits for PostgreSQL once for all of them instead of
    once per statement. A make may read more (what depends on the rows) before it returns."""

    reads: Sequence[Read]
    make: Callable[..., T]

    def run(self) -> T:
        return self.make(*run_together(self.reads))

    def then(self, after: Callable[[T], U]) -> Later[U]:
        """The same reads, with `after` applied to the value made (a hook rendering a selector's value)."""
        return Later(self.reads, lambda *built: after(self.make(*built)))


def gather(answers: Sequence[Any], make: Callable[[list], T]) -> Later[T]:
    """One Later of several answers, Laters, Reads or plain values: its reads are those of the Laters (a read two of them
    share, the same object, is run once), and `make` gets the answers, each Later made."""
    answers = [Later([answer], _same) if isinstance(answer, Read) else answer for answer in answers]
    later = [answer for answer in answers if isinstance(answer, Later)]
    reads = list({id(read): read for answer in later for read in answer.reads}.values())
    position = {id(read): index for index, read in enumerate(reads)}

    def made(*built: Any) -> T:
        values = {id(answer): answer.make(*(built[position[id(read)]] for read in answer.reads)) for answer in later}
        return make([values[id(answer)] if isinstance(answer, Later) else answer for answer in answers])

    return Later(reads, made)


def _same(value: Any) -> Any:
    return value


def resolve(answers: Sequence[Any]) -> list:
    """The answers with each Later made, the reads of all of them run in one round trip; other answers as they are."""
    return gather(answers, list).run()


class RowCondition(Func):
    """A condition written as SQL over a row's columns, as a queryset filter (`queryset.filter(RowCondition(…))`):
    `write(column)` gets each of `columns` as the query writes it, under whatever alias the query gives the table
    (U0 inside another query's IN), and returns the condition's SQL with its positional parameters. For a rule an
    owner also writes into its hand-written statements, so that the rule is written once."""

    output_field = BooleanField()

    def __init__(self, columns: Sequence[str], write: Callable[[Callable[[str], str]], tuple[str, list]]) -> None:
        super().__init__(*(F(name) for name in columns))
        self.columns, self.write = tuple(columns), write

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]  # a condition, not a call
        written = {}
        for name, expression in zip(self.columns, self.source_expressions, strict=True):
            written[name], params = compiler.compile(expression)
            assert not params, "a column carries no parameters"
        return self.write(written.__getitem__)


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
        # What an insert writes: every column but an automatic primary key, which the database gives.
        self.written = [field for field in self.fields if not (field.primary_key and isinstance(field, AutoFieldMixin))]
        self._insert_sql: dict[tuple[int, tuple[int, ...]], str] = {}

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

    def insert(self, instances: Sequence[M]) -> None:
        """Write new instances with one fixed INSERT, as Model.save and bulk_create write them: each field's value
        from its pre_save (add=True: a search key or an automatic time is set on the instance) made ready by
        get_db_prep_save, a database default as DEFAULT (read back onto the instance, as the ORM does); the primary
        keys the database gives are set on the instances, which then read as saved. For models without signal
        receivers, on pages that write on every request: the ORM's compilation of an insert costs more than its
        round trip."""
        for start in range(0, len(instances), self.INSERT_BATCH):
            self._insert_batch(instances[start:start + self.INSERT_BATCH])

    INSERT_BATCH = 1000  # rows a statement (bulk_create's batch_size everywhere here)

    def _insert_batch(self, instances: Sequence[M]) -> None:
        if not instances:
            return
        rows, defaulted = [], None
        for instance in instances:
            instance._prepare_related_fields_for_save(operation_name="save")
            values = [field.pre_save(instance, True) for field in self.written]
            these = tuple(i for i, value in enumerate(values) if isinstance(value, DatabaseDefault))
            if defaulted is not None and these != defaulted:
                raise ValueError("instances inserted together must leave the same fields to their database defaults")
            defaulted = these
            rows.append([field.get_db_prep_save(value, connection)
                         for i, (field, value) in enumerate(zip(self.written, values, strict=True)) if i not in these])
        assert defaulted is not None
        returned = [self.written[i] for i in defaulted]
        key = (len(rows), defaulted)
        sql = self._insert_sql.get(key)
        if sql is None:  # kept for a few rows, as a request writes; a batch's own is built each time
            columns = ", ".join(f'"{field.column}"' for field in self.written)
            row = "(" + ", ".join("DEFAULT" if i in defaulted else "%s" for i in range(len(self.written))) + ")"
            returning = ", ".join(f'"{field.column}"' for field in [self.model._meta.pk, *returned])
            sql = (f'INSERT INTO "{self.model._meta.db_table}" ({columns}) VALUES {", ".join([row] * len(rows))}'
                   f" RETURNING {returning}")
            if len(rows) <= 10:
                self._insert_sql[key] = sql
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for values in rows for value in values])
            written = cursor.fetchall()
        converters = [connection.ops.get_db_converters(field.get_col(self.model._meta.db_table))
                      + field.get_db_converters(connection) for field in returned]
        for instance, (key_value, *values) in zip(instances, written, strict=True):
            instance.pk = key_value
            for field, value, field_converters in zip(returned, values, converters, strict=True):
                for converter in field_converters:
                    value = converter(value, field, connection)
                setattr(instance, field.attname, value)
            instance._state.adding = False
            instance._state.db = connection.alias
