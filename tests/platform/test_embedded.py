"""The embedded PostgreSQL and Redis start on demand and stop when their last user exits."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["KYOSO_DATA_DIR"] = str(data_dir)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_it_starts_both_servers_on_demand_and_stops_them_at_exit(tmp_path):
    out = _python(
        """
        import psycopg, redis
        from prm import embedded
        socket_dir = embedded.ensure_postgres()
        with psycopg.connect(host=socket_dir, user="postgres", dbname="kyoso") as conn:
            print(conn.execute("select current_database()").fetchone()[0])
        print(redis.Redis.from_url(embedded.ensure_redis()).ping())
        print(embedded.redis_socket_path())
        """,
        tmp_path,
    )
    database, pong, redis_socket = out.split()
    assert (database, pong) == ("kyoso", "True")
    # The last process using them has exited: both servers are down, the data stays.
    assert (tmp_path / "pgdata" / "PG_VERSION").exists()
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
    from prm import embedded

    assert not embedded._redis_answers(Path(redis_socket))
    alive = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.strip()
    assert alive == ""


def test_it_keeps_a_server_running_while_another_process_still_uses_it(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "from prm import embedded; import sys, time; embedded.ensure_redis(); "
                               "print('up', flush=True); sys.stdin.readline()"],
        env={**os.environ, "KYOSO_DATA_DIR": str(tmp_path)}, cwd=ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "up"
        # A short-lived second user comes and goes ...
        _python("from prm import embedded; import redis; redis.Redis.from_url(embedded.ensure_redis()).set('k', 'v')", tmp_path)
        # ... and the server is still there for the first one.
        out = _python(
            "import redis; from prm import embedded; print(redis.Redis.from_url(embedded.redis_url()).get('k'))", tmp_path
        )
        assert out.strip() == "b'v'"
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    assert subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True).stdout == b""
