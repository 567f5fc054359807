"""Reading a count the database keeps (prm.migration_sql.kept_count): the sum of each value's rows.

Every statement that changes the counted table inserts its own rows of changes, so the rows pile up between
reads. A reader that finds more than FOLD_AFTER of them folds them, in one statement, into one row a value. The
fold deletes only the rows its statement sees (committed ones): a change a writer has not committed yet is not
seen, not deleted, and still counts once it commits. Two readers folding at once are kept apart by a lock tried
without waiting: the second reader just reads, and leaves the fold to the next one.
"""

from __future__ import annotations

from django.db import connection, transaction

from prm import locks
from prm.reads import fetch_rows

FOLD_AFTER = 64


def kept_counts(counts: str, column: str) -> dict[str, int]:
    """{value: count} of every value counted more than zero times, from the counts table `counts`."""
    rows = fetch_rows(f"SELECT {column}, sum(n)::bigint, count(*) FROM {counts} GROUP BY 1", {})
    if sum(row[2] for row in rows) > FOLD_AFTER:
        fold(counts, column)
    return {value: total for value, total, _ in rows if total}


def fold(counts: str, column: str) -> None:
    """Replace the committed rows of `counts` by one row a value (none for a value that sums to zero)."""
    with transaction.atomic():
        if not locks.try_hold(f"fold/{counts}", 0):
            return
        with connection.cursor() as cursor:
            cursor.execute(f"WITH gone AS (DELETE FROM {counts} RETURNING {column}, n) "
                           f"INSERT INTO {counts} ({column}, n) SELECT {column}, sum(n) FROM gone GROUP BY 1 "
                           f"HAVING sum(n) <> 0")
