"""PgBouncer in session mode in front of the run's PostgreSQL (``./kyoso test --pgbouncer``).

Production deployments often put a pooler between the web processes and PostgreSQL. The test
tooling can run the suite through Debian's ``pgbouncer`` to prove the code works behind one:
it writes an ini file and a user list with a password made for this run under ``.kyoso/``,
starts PgBouncer on a free port of 127.0.0.1 in front of whatever server the run uses (the
embedded one's unix socket or ``DATABASE_URL``), hands the children a ``DATABASE_URL`` that
points at it, and stops it when the run ends.

Session mode only: see the README ("Connection pooling") for why transaction mode is unsafe
with one ``search_path`` per vendor and what would make it safe.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from prm import debian

PGBOUNCER = "/usr/sbin/pgbouncer"
INSTALL_COMMAND = "apt-get install -y pgbouncer"


class PgBouncerMissing(RuntimeError):
    """PgBouncer is not installed and could not be installed."""


@dataclass(frozen=True)
class Upstream:
    """Where PgBouncer sends its server connections."""

    host: str  # a host name, an address or a unix socket directory
    port: int
    user: str
    password: str
    database: str
    sslmode: str = ""  # libpq's sslmode of the URL, passed on as server_tls_sslmode


def upstream_from_url(url: str) -> Upstream:
    """The server of a postgresql:// URL (``?host=/socket/dir`` for a unix socket)."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    host = query.get("host") or parts.hostname or "127.0.0.1"
    port = int(query.get("port") or parts.port or 5432)
    return Upstream(host=host, port=port, user=unquote(parts.username or "postgres"),
                    password=unquote(parts.password or ""), database=unquote(parts.path.lstrip("/")),
                    sslmode=query.get("sslmode", ""))


def executable() -> str:
    """PgBouncer's path; installs Debian's package when apt-get can (root), else says how."""
    found = debian.installed("pgbouncer", PGBOUNCER) or debian.apt_install("pgbouncer", PGBOUNCER)
    if found:
        return found
    raise PgBouncerMissing(f"PgBouncer is not installed. Install it with: {INSTALL_COMMAND} (as root), then run again.")


def version(binary: str) -> tuple[int, ...]:
    """(1, 18, 0) for "PgBouncer 1.18.0"."""
    first = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.split()
    return tuple(int(part) for part in first[1].split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> str | None:
    """PgBouncer refuses to run as root: drop to the embedded server's user, or nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("pgserver", "postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


def _quote_ini(value: str) -> str:
    """A value of a [databases] connection string: single-quoted, quotes and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def config(upstream: Upstream, port: int, password: str, workdir: Path, *, pool_mode: str = "session",
           pool_size: int = 60) -> tuple[str, str]:
    """The ini file and the user list for one run.

    ``*`` routes every database name to the server, so pytest-django's ``test_kyoso`` and the
    xdist workers' ``test_kyoso_gw0`` … need no entry of their own. Idle server connections
    close after a second: DROP DATABASE at the end of the run waits up to five seconds for
    the other backends of that database to leave, and the pooled ones leave in time.
    """
    server = f"host={_quote_ini(upstream.host)} port={upstream.port} user={_quote_ini(upstream.user)}"
    if upstream.password:
        server += f" password={_quote_ini(upstream.password)}"
    if pool_mode not in {"session", "transaction"}:
        raise ValueError(f"pool_mode {pool_mode!r}: session or transaction")
    ini = f"""\
; Written by ./kyoso test --pgbouncer for one run; removed when the run ends.
[databases]
* = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {workdir / "userlist.txt"}
pool_mode = {pool_mode}
server_reset_query = DISCARD ALL
max_client_conn = 400
default_pool_size = {pool_size}
server_idle_timeout = 1
ignore_startup_parameters = extra_float_digits
logfile = {workdir / "pgbouncer.log"}
log_connections = 0
log_disconnections = 0
"""
    if upstream.sslmode:
        ini += f"server_tls_sslmode = {upstream.sslmode}\n"
    userlist = f'"{upstream.user}" "{password}"\n'
    return ini, userlist


@contextlib.contextmanager
def running(database_url: str, workdir: Path, *, pool_mode: str = "session", pool_size: int = 60) -> Iterator[str]:
    """Run PgBouncer in front of ``database_url``; yield the URL that goes through it.

    ``pool_mode="transaction"`` exists for the test that shows why the project does not use it.
    """
    binary = executable()
    upstream = upstream_from_url(database_url)
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    password = secrets.token_urlsafe(24)
    ini, userlist = config(upstream, port, password, workdir, pool_mode=pool_mode, pool_size=pool_size)
    ini_path, userlist_path = workdir / "pgbouncer.ini", workdir / "userlist.txt"
    user = _run_as()
    for path, text in ((ini_path, ini), (userlist_path, userlist)):
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(text)
    (workdir / "pgbouncer.log").unlink(missing_ok=True)
    if user:  # PgBouncer reads its files and writes its log after dropping to this user
        entry = pwd.getpwnam(user)
        for path in (workdir, ini_path, userlist_path):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    command = [binary, *(["-u", user] if user else []), str(ini_path)]
    with open(workdir / "pgbouncer.stderr", "w") as stderr:  # not a pipe: nobody reads it while tests run
        # Its own session: Ctrl-C reaches pytest, which still needs PgBouncer to drop its databases.
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        _wait_until_listening(port, process, workdir)
        yield (f"postgresql://{quote(upstream.user)}:{quote(password)}@127.0.0.1:{port}/"
               f"{quote(upstream.database)}")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # SIGINT: close client connections and exit at once
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for path in (ini_path, userlist_path):
            path.unlink(missing_ok=True)


def _wait_until_listening(port: int, process: subprocess.Popen, workdir: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            outputs = [workdir / "pgbouncer.stderr", workdir / "pgbouncer.log"]
            detail = "".join(path.read_text(errors="replace") for path in outputs if path.exists())
            raise PgBouncerMissing(f"PgBouncer exited with status {process.returncode}: {detail.strip()[-800:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise PgBouncerMissing(f"PgBouncer did not listen on 127.0.0.1:{port} within {timeout:.0f} s; see {workdir}")
