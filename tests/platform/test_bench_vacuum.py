"""`bench web` vacuums what it deleted before each server's registration load (bench.web._vacuum_dead_rows).

No django_db mark: VACUUM cannot run inside the transaction such a test runs in, so the rows are committed, in a
scratch schema of their own, dropped at the end.
"""

from __future__ import annotations

from django.db import connection


def test_the_web_benchmark_vacuums_the_deleted_rows_out_of_the_indexes_too(django_db_setup, django_db_blocker):
    """After `bench web` deletes its posted deals it vacuums them away, indexes included: PostgreSQL's VACUUM leaves
    the indexes alone when under 2% of the table's pages hold dead rows, and the deleted deals' index entries then
    piled up from load to load (the second server's registration measured ever slower). Committed rows in a scratch
    schema: VACUUM runs outside a transaction."""
    from bench.web import _vacuum_dead_rows, current_table_statistics

    schema = "bench_vacuum_check"
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cursor.execute(f"CREATE SCHEMA {schema}")
            cursor.execute(f"CREATE TABLE {schema}.deals (id bigint PRIMARY KEY, customer text NOT NULL)")
            cursor.execute(f"CREATE INDEX deals_customer ON {schema}.deals (customer)")
            cursor.execute(f"INSERT INTO {schema}.deals SELECT n, 'customer ' || n FROM generate_series(1, 60000) n")
            cursor.execute(f"VACUUM (ANALYZE) {schema}.deals")
            cursor.execute(f"DELETE FROM {schema}.deals WHERE id > 59800")  # the last page or two of some 400
        try:
            _vacuum_dead_rows(schema)
            with connection.cursor() as cursor:
                current_table_statistics(cursor)
                cursor.execute("SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables "
                               "WHERE schemaname = %s AND relname = 'deals'", [schema])
                dead, vacuums = cursor.fetchone()
            assert vacuums == 2  # the one above, and the benchmark's
            assert dead == 0  # a vacuum that left the index alone leaves the 200 rows' entries, counted here
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
