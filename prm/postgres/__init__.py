"""Kyoso's PostgreSQL engine: django-tenants' engine, whose connections prepare statements only where a
page asks for it (`prepared_statements`).

PostgreSQL plans a prepared statement once and, after five runs, may keep one generic plan for every value.
That saves the planning on pages that read by key (one partner, one user: the same few dozen statements on
every request), and costs dearly where the values decide the plan: the dashboards' statements over a date
range and a filter ran 2 ms with a plan for their values and 18-26 ms with the generic one. So statements are
planned for their values everywhere (dashboards, reports, exports, commands, Celery tasks) except inside
`prepared_statements`, which the keyed pages (the console's partner list and partner page, every portal page)
enter for their request. How many runs make a statement prepared there: KYOSO_DB_PREPARE_THRESHOLD.

A prepared statement is still planned anew on every run when PostgreSQL judges its generic plan dearer than one
planned for the values, and it always does for a statement that takes an array (`= ANY(%s)`, `unnest(%s)`): it
reckons ten elements for a generic plan and one for the partner at hand. Measured in the server on the benchmark
database, that planning was half of PostgreSQL's work for the portal home (1.7 of 3.1 ms a request) and 40% for a
partner page. `prepared_statements(generic=True)` makes its statements keep one generic plan
(plan_cache_mode = force_generic_plan), for a page whose every statement reads by key: the portal home, a partner
page, the unfiltered partner list. Not for a page that matches customers or filters by what the user typed: the
customer matcher's statements took 300 ms with a generic plan against 0.4 ms planned for their values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_PREPARED: ContextVar[bool] = ContextVar("kyoso_prepared_statements", default=False)
_GENERIC: ContextVar[bool | None] = ContextVar("kyoso_generic_plans", default=False)


@contextmanager
def prepared_statements(*, generic: bool | None = False) -> Iterator[None]:
    """Statements run inside may be prepared (after KYOSO_DB_PREPARE_THRESHOLD runs on the connection). Also a
    view's decorator, `@prepared_statements()`, for a view whose statements read by key.

    generic: True, they keep one generic plan (see the module); None, they run with the plans the connection has,
    for a look-up by a unique key that is planned alike either way (the signed-in user, the rep's partner on every
    request: asking for a mode there would switch the connection twice on every request of a page that asks for the
    other); False, a block inside another keeps the outer block's choice, and one alone is planned for its values."""
    token = _PREPARED.set(True)
    generic_token = _GENERIC.set(generic) if generic is not False else None
    try:
        yield
    finally:
        if generic_token is not None:
            _GENERIC.reset(generic_token)
        _PREPARED.reset(token)


def may_prepare() -> bool:
    return _PREPARED.get()


def generic_plans() -> bool | None:
    """True: generic plans; False: plans for the values; None: either, as the connection has it."""
    return _GENERIC.get()
