"""Pieces of a digest taken in SQL: a fingerprint of many rows of several owners in one scan.

A reader that wants to know whether anything it reads changed (a commission run) composes one statement of
the parts each owner writes for its own tables; the parts agree on the row hash and the day numbers here, so
that the digest of a row does not depend on who wrote the SQL that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DigestSQL:
    """Rows `(day, h)` of an owner's tables: `sql` is one SELECT or several joined by UNION ALL, `day` a date
    (the month it counts in; NULL when it counts in none), `h` a bigint (`row_hash`). Its `params` are named
    (%(name)s), prefixed by the owner so that the parts of one statement never share a name."""

    sql: str
    params: dict


def row_hash(*values: str | int) -> str:
    """SQL: a 64-bit hash of integer expressions, nested so that no change can cancel another."""
    expression = "0"
    for value in values:
        expression = f"hashint8extended(({value})::bigint, {expression})"
    return expression


def day_number(day: str) -> str:
    """SQL: the day `day` (a date expression) as an integer, -1 for none."""
    return f"coalesce({day} - DATE '2000-01-01', -1)"


def local_day(instant: str, *, zone_param: str) -> str:
    """SQL: the local day of the timestamp `instant` in the time zone given by the parameter `zone_param`."""
    return f"(({instant} AT TIME ZONE %({zone_param})s)::date)"
