"""Statement and connection cost through PgBouncer (session mode) against a direct connection.

    .venv/bin/python bench/pgbouncer.py [ROUNDS]

Uses DATABASE_URL, or the embedded PostgreSQL. Three paths to the same server: the URL as given
(a unix socket for the embedded server), PgBouncer on 127.0.0.1, and for comparison the
statement cost PgBouncer adds per round trip. Prints one line per figure; docs/scale.md and the
README quote them.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(fn, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _measure(url: str, rounds: int) -> dict[str, float]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT 1")
        select = _timed(lambda: conn.execute("SELECT 1").fetchone(), rounds)
        catalogue = _timed(lambda: conn.execute(
            "SELECT relname, relkind FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace "
            "ORDER BY relname LIMIT 50").fetchall(), rounds)
        with conn.transaction():
            tx = _timed(lambda: conn.execute("SELECT 1").fetchone(), rounds)

    def connect_and_query():
        with psycopg.connect(url, autocommit=True) as fresh:
            fresh.execute("SELECT 1").fetchone()

    connects = _timed(connect_and_query, max(10, rounds // 20))
    return {
        "SELECT 1 p50 ms": statistics.median(select),
        "50 catalogue rows p50 ms": statistics.median(catalogue),
        "SELECT 1 in a transaction p50 ms": statistics.median(tx),
        "connect + first query p50 ms": statistics.median(connects),
    }


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    from prm import embedded, pgbouncer
    from prm.cli import _services_env

    env = _services_env()
    direct = env["DATABASE_URL"]
    with pgbouncer.running(direct, embedded.data_dir() / "pgbouncer-bench") as pooled:
        # Alternate the two paths so that load from elsewhere on the machine falls on both.
        results: dict[str, list[dict[str, float]]] = {"direct": [], "pgbouncer": []}
        for _ in range(3):
            results["direct"].append(_measure(direct, rounds))
            results["pgbouncer"].append(_measure(pooled, rounds))
    for key in results["direct"][0]:
        d = statistics.median(r[key] for r in results["direct"])
        p = statistics.median(r[key] for r in results["pgbouncer"])
        print(f"pgbouncer: {key:34s} direct {d:7.3f}  through PgBouncer {p:7.3f}  (+{p - d:.3f} ms, ×{p / d:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
