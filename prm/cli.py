"""./kyoso — the two commands of the README, and a few helpers.

    ./kyoso run            set up, seed the demo and serve: web, Celery worker and beat
                           (on 127.0.0.1 unless KYOSO_BIND says otherwise; the one worker
                           consumes all three queues: interactive, heavy, email)
    ./kyoso test [ARGS]    run the whole test suite (ARGS go to pytest); --pgbouncer (or
                           KYOSO_PGBOUNCER=1) runs it through PgBouncer in session mode
    ./kyoso manage ARGS    any manage.py command, with the same services
    ./kyoso bench          print the platform benchmarks
    ./kyoso lock           rewrite requirements/runtime.lock and dev.lock from pyproject.toml (uv)
    ./kyoso lint [--fix]   ruff on the whole tree, mypy on services, selectors and the pure engines
                           (both configured in pyproject.toml); --fix applies ruff's safe fixes first

Without DATABASE_URL / REDIS_URL it starts the embedded PostgreSQL and Redis itself, hands
their addresses to every child process and stops them when it exits (Ctrl-C included).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _say(message: str) -> None:
    print(f"\033[1;36m[kyoso]\033[0m {message}", flush=True)


def _services_env() -> dict[str, str]:
    """Start what is embedded and return the environment every child should get."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
    sys.path.insert(0, str(ROOT))
    from prm import embedded

    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        started = time.monotonic()
        socket_dir = embedded.ensure_postgres()
        env["DATABASE_URL"] = f"postgresql://postgres@/{embedded.DATABASE_NAME}?host={socket_dir}"
        _say(f"embedded PostgreSQL ready in {time.monotonic() - started:.1f} s ({embedded.postgres_dir()})")
    else:
        _say("using DATABASE_URL")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded.ensure_redis()
        _say(f"embedded Redis ready ({embedded.redis_socket_path()})")
    else:
        _say("using REDIS_URL")
    return env


def _manage(env: dict[str, str], *args: str, check: bool = True) -> int:
    result = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT)
    if check and result.returncode != 0:
        raise SystemExit(result.returncode)
    return result.returncode


def _interrupt_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal all stop everything cleanly.

    SIGINT is set explicitly: a shell that starts us in the background leaves it ignored.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def runserver_address(bind: str | None, port: str) -> tuple[list[str], str]:
    """runserver's address arguments for KYOSO_BIND, and the host to probe for readiness.

    127.0.0.1 unless asked otherwise: the demo holds sign-ins and data that should not be
    open to everyone on the same network by default.
    """
    import ipaddress

    from prm.env import ImproperlyConfiguredEnv

    bind = (bind or "").strip() or "127.0.0.1"
    try:
        address = ipaddress.ip_address(bind)
    except ValueError:
        raise ImproperlyConfiguredEnv(
            f"KYOSO_BIND={bind!r} is not an IP address (127.0.0.1 for this machine only, 0.0.0.0 for every interface)."
        ) from None
    if address.version == 6:
        return [f"[{address}]:{port}", "--ipv6"], "::1" if address.is_unspecified else str(address)
    return [f"{address}:{port}"], "127.0.0.1" if address.is_unspecified else str(address)


def cmd_run(argv: list[str]) -> int:
    _interrupt_on_signals()
    started = time.monotonic()
    port = os.environ.get("KYOSO_PORT", "8000")
    address, probe = runserver_address(os.environ.get("KYOSO_BIND"), port)  # before starting anything
    env = _services_env()
    env.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
    _say("migrating and seeding the demo vendor …")
    _manage(env, "setup_platform")
    # The demo's addresses and logins are printed last, once everything is up.
    seeded = subprocess.run([PYTHON, str(ROOT / "manage.py"), "seed_demo"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    if seeded.returncode != 0:
        sys.stdout.write(seeded.stdout)
        return seeded.returncode
    ready_file = Path(tempfile.gettempdir()) / f"kyoso-worker-ready-{os.getpid()}"
    ready_file.unlink(missing_ok=True)
    celery = [PYTHON, "-m", "celery", "-A", "prm"]
    children = {
        "web": subprocess.Popen([PYTHON, str(ROOT / "manage.py"), "runserver", *address, "--noreload"], env=env, cwd=ROOT),
        # Without -Q the worker consumes every queue of CELERY_TASK_QUEUES: interactive, heavy and email.
        "worker": subprocess.Popen([*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
                                   env={**env, "KYOSO_WORKER_READY_FILE": str(ready_file)}, cwd=ROOT),
        "beat": subprocess.Popen([*celery, "beat", "--loglevel=INFO"], env=env, cwd=ROOT),
    }
    _wait_for_http(probe, port)
    _wait_for_file(ready_file, children["worker"])
    ready_file.unlink(missing_ok=True)
    time.sleep(0.3)  # let the worker's own "ready" line reach the terminal first
    _say(f"serving in {time.monotonic() - started:.1f} s — web, worker and beat are running. Ctrl-C stops everything.")
    _say(f"platform admin  : http://localhost:{port}/admin/")
    sys.stdout.write(seeded.stdout)
    sys.stdout.flush()
    try:
        while True:
            for name, process in children.items():
                if process.poll() is not None:
                    _say(f"{name} exited with status {process.returncode}; stopping the rest.")
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        _say("stopping …")
        return 0
    finally:
        _stop(children.values())


def _wait_for_http(host: str, port: str, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            time.sleep(0.2)


def _wait_for_file(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    """Until the worker says it is ready (prm.celery writes the file), it exits, or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not path.exists() and process.poll() is None:
        time.sleep(0.2)


def _stop(processes) -> None:
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def named_tests(argv: list[str]) -> list[str]:
    """The test paths and node ids among pytest's arguments."""
    return [arg for arg in argv if not arg.startswith("-") and (arg.startswith("tests") or "::" in arg or arg.endswith(".py"))]


def parallel_args(argv: list[str]) -> list[str]:
    """The whole suite runs in one process per core (KYOSO_TEST_PROCESSES, at most 4): each has its own
    test database and Redis database. A run of named tests, or one that says -n / -p no:xdist, runs as asked."""
    named = bool(named_tests(argv))
    if named or any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) or "xdist" in arg for arg in argv):
        return []
    processes = int(os.environ.get("KYOSO_TEST_PROCESSES") or min(os.cpu_count() or 1, 4))
    return ["-n", str(processes)] if processes > 1 else []


def pgbouncer_wanted(argv: list[str]) -> tuple[bool, list[str]]:
    """--pgbouncer on the command line or KYOSO_PGBOUNCER=1; the flag is not pytest's."""
    from prm.env import env_bool

    wanted = "--pgbouncer" in argv or env_bool("KYOSO_PGBOUNCER", False)
    return wanted, [arg for arg in argv if arg != "--pgbouncer"]


BROWSER_TEST_PATHS = {"tests", "tests/platform", "tests/platform/test_phones.py"}


def browser_test_wanted(argv: list[str]) -> bool:
    """Whether the run may include the browser test (marker `browser`): the whole suite, or named tests among
    which it is, unless the marker is deselected."""
    if any("not browser" in arg for arg in argv):
        return False
    named = named_tests(argv)
    return not named or any(arg.split("::")[0].rstrip("/") in BROWSER_TEST_PATHS for arg in named)


def ensure_chromium(argv: list[str]) -> None:
    """The browser test drives Debian's Chromium: install it as CI does when it is missing (root and apt-get),
    else say that the test will skip itself."""
    from prm import debian

    if not browser_test_wanted(argv) or debian.chromium(install=False):
        return
    _say(f"installing Debian's Chromium for the browser test ({debian.CHROMIUM_INSTALL_COMMAND}) …")
    if not debian.chromium(install=True):
        _say(f"Chromium could not be installed (run {debian.CHROMIUM_INSTALL_COMMAND} as root): the browser test "
             "will be skipped")


def cmd_test(argv: list[str]) -> int:
    _interrupt_on_signals()
    through_pgbouncer, argv = pgbouncer_wanted(argv)
    ensure_chromium(argv)
    env = _services_env()
    env["DJANGO_SETTINGS_MODULE"] = "prm.settings.test"
    command = [PYTHON, "-m", "pytest", *parallel_args(argv), *argv]
    if not through_pgbouncer:
        return subprocess.run(command, env=env, cwd=ROOT).returncode
    from prm import embedded, pgbouncer

    try:
        with pgbouncer.running(env["DATABASE_URL"], embedded.data_dir() / "pgbouncer") as url:
            _say(f"PgBouncer (session mode) in front of the database: {url.split('@', 1)[1]}")
            started = time.monotonic()
            returncode = subprocess.run(command, env={**env, "DATABASE_URL": url},
                                        cwd=ROOT).returncode
            _say(f"tests through PgBouncer took {time.monotonic() - started:.1f} s")
            return returncode
    except pgbouncer.PgBouncerMissing as error:
        sys.stderr.write(f"{error}\n")
        return 2


def cmd_manage(argv: list[str]) -> int:
    env = _services_env()
    return _manage(env, *argv, check=False)


def cmd_bench(argv: list[str]) -> int:
    env = _services_env()
    # A fresh clone has no schemas yet: the database benchmarks need the platform migrated.
    _manage(env, "setup_platform")
    return subprocess.run([PYTHON, str(ROOT / "bench" / "run.py"), *argv], env=env, cwd=ROOT).returncode


LOCKS = {
    # The production image installs this set only.
    "requirements/runtime.lock": [],
    # What ./kyoso installs into .venv: the runtime set plus tests and development tools.
    "requirements/dev.lock": ["--extra", "test", "--extra", "dev"],
}


def cmd_lock(argv: list[str]) -> int:
    """Rewrite both lock files from pyproject.toml with uv (hashes for every file of every pin).

    Versions already in a lock are kept unless pyproject.toml asks for another; pass --upgrade
    (or --upgrade-package NAME) to move them. The locks hold for Python 3.11+ on any platform.
    """
    for lock, extras in LOCKS.items():
        command = [
            PYTHON, "-m", "uv", "pip", "compile", "pyproject.toml", *extras,
            "--universal", "--python-version", "3.11", "--generate-hashes", "--quiet",
            "--custom-compile-command", "./kyoso lock", "--output-file", lock, *argv,
        ]
        result = subprocess.run(command, cwd=ROOT)
        if result.returncode != 0:
            return result.returncode
        pins = sum(1 for line in (ROOT / lock).read_text().splitlines() if "==" in line and not line.startswith(" "))
        _say(f"{lock}: {pins} packages")
    return 0


def lint_counts(ruff_output: str, mypy_output: str) -> tuple[int, int]:
    """The number of findings in ruff's concise output and in mypy's, from their lines: a rule's code, or a file
    ruff cannot parse ("invalid-syntax")."""
    ruff = sum(1 for line in ruff_output.splitlines()
               if re.match(r"^\S.*:\d+:\d+: (?:[A-Z]+\d+ |invalid-syntax:)", line))
    mypy = sum(1 for line in mypy_output.splitlines() if re.match(r"^\S.*:\d+: error: ", line))
    return ruff, mypy


def cmd_lint(argv: list[str]) -> int:
    """ruff check . and mypy (files, plugin and settings from pyproject.toml); non-zero on any finding.

    Neither needs the database: django-stubs loads the test settings, which start no server.
    """
    fix = "--fix" in argv
    unknown = [arg for arg in argv if arg != "--fix"]
    if unknown:
        sys.stderr.write(f"./kyoso lint takes only --fix, not {' '.join(unknown)}\n")
        return 2
    if fix:
        subprocess.run([PYTHON, "-m", "ruff", "check", "--fix", "--quiet", "."], cwd=ROOT)
    ruff = subprocess.run([PYTHON, "-m", "ruff", "check", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True)
    sys.stdout.write(ruff.stdout)
    sys.stderr.write(ruff.stderr)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test"}
    mypy = subprocess.run([PYTHON, "-m", "mypy"], cwd=ROOT, env=env, capture_output=True, text=True)
    sys.stdout.write(mypy.stdout)
    sys.stderr.write(mypy.stderr)
    ruff_count, mypy_count = lint_counts(ruff.stdout, mypy.stdout)
    _say(f"ruff: {ruff_count} findings; mypy: {mypy_count} errors")
    # A tool that failed without reporting a finding (a bad configuration, a crash) fails the lint too.
    return 1 if ruff.returncode or mypy.returncode or ruff_count or mypy_count else 0


COMMANDS = {"run": cmd_run, "test": cmd_test, "manage": cmd_manage, "bench": cmd_bench, "lock": cmd_lock,
            "lint": cmd_lint}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    from prm.env import ImproperlyConfiguredEnv

    try:
        return COMMANDS[sys.argv[1]](sys.argv[2:])
    except ImproperlyConfiguredEnv as error:
        sys.stderr.write(f"Configuration error: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
