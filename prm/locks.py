"""Transaction-level advisory locks, per tenant: how a service serialises a limit.

A limit checked by counting rows (open registrations per partner, MDF left this year, sign-ups
an hour) holds under concurrency only if the count and the write happen one transaction at a
time for that subject. `hold` takes a lock on (scope, key) that PostgreSQL releases at commit
or rollback, so the second request waits for the first and then counts its row.

Locks live in the two-integer key space, apart from the one-bigint locks taken on hashed names
(deals' customer keys), so the two can never collide. A service takes its locks in one fixed
order (coarse subject first: the partner, then the customer's keys) so that no two
transactions wait for each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection


def _lock_key(scope: str, key: int) -> list:
    """The two integers' arguments of `key` of `scope` in this schema: hashtext(name), and the key in 31 bits."""
    return [f"{connection.schema_name}/{scope}", int(key) & 0x7FFFFFFF]


def hold(scope: str, key: int) -> None:
    """Wait for and hold, until the transaction ends, the lock on `key` of `scope` in this schema.

    Needs an open transaction (call it inside `transaction.atomic`). Keys beyond 31 bits are
    folded: two subjects sharing a lock are only serialised more than they need to be.
    """
    if connection.get_autocommit():
        raise RuntimeError("prm.locks.hold needs a transaction: it would be released at once")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", _lock_key(scope, key))


def try_hold(scope: str, key: int) -> bool:
    """Take, without waiting, the lock `hold` would wait for; whether it was taken. Held until the transaction ends."""
    if connection.get_autocommit():
        raise RuntimeError("prm.locks.try_hold needs a transaction: it would be released at once")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s), %s)", _lock_key(scope, key))
        return bool(cursor.fetchone()[0])


@contextlib.contextmanager
def try_hold_session(scope: str, key: int) -> Iterator[bool]:
    """Try, without waiting, to hold the lock on `key` of `scope` for the block; yields whether it was taken.

    A session lock, for work that commits as it goes (a webhook endpoint's deliveries, each saved as
    it is sent) and so cannot keep one transaction open. Released when the block ends.
    """
    args = _lock_key(scope, key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", args)
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", args)
