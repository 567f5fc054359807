"""Kyoso's PostgreSQL engine: django-tenants' engine, whose connections prepare statements only where a
page asks for it (`prepared_statements`).

PostgreSQL plans a prepared statement once and, after five runs, may keep one generic plan for every value.
That saves the planning on pages that read by key (one partner, one user: the same few dozen statements on
every request), and costs dearly where the values decide the plan: the dashboards' statements over a date
range and a filter ran 2 ms with a plan for their values and 18-26 ms with the generic one. So statements are
planned for their values everywhere (dashboards, reports, exports, commands, Celery tasks) except inside
`prepared_statements`, which the keyed pages (the console's partner list and partner page, every portal page)
enter for their request. How many runs make a statement prepared there: KYOSO_DB_PREPARE_THRESHOLD."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_PREPARED: ContextVar[bool] = ContextVar("kyoso_prepared_statements", default=False)


@contextmanager
def prepared_statements() -> Iterator[None]:
    """Statements run inside may be prepared (after KYOSO_DB_PREPARE_THRESHOLD runs on the connection). Also a
    view's decorator, `@prepared_statements()`, for a view whose statements read by key."""
    token = _PREPARED.set(True)
    try:
        yield
    finally:
        _PREPARED.reset(token)


def may_prepare() -> bool:
    return _PREPARED.get()
