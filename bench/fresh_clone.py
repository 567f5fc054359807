"""Time from a fresh clone to a serving demo, first and second run.

    python3 bench/fresh_clone.py [--keep]

Clones this repository's committed HEAD into a temporary folder, runs `./kyoso run` there
(own data folder, port 8765), waits until the demo console's sign-in page answers 200, stops
it with SIGTERM, and does the same again. Needs network access to PyPI for the first run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = "8765"


def serving() -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}/accounts/login/", headers={"Host": "demo.localhost"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def one_run(clone: Path, log: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "VIRTUAL_ENV"}}
    env["KYOSO_PORT"] = PORT
    started = time.monotonic()
    with open(log, "a") as out:
        process = subprocess.Popen(["./kyoso", "run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            while not serving():
                if process.poll() is not None:
                    raise SystemExit(f"./kyoso run exited with {process.returncode}; see {log}")
                if time.monotonic() - started > 900:
                    raise SystemExit("not serving after 15 minutes")
                time.sleep(0.25)
            return time.monotonic() - started
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="keep the clone for inspection")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kyoso-clone-"))
    clone = workdir / "kyoso"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    log = workdir / "run.log"
    first = one_run(clone, log)
    second = one_run(clone, log)
    print(f"fresh clone → serving demo: first run {first:.1f} s (venv, dependencies, database, migrations, seed), "
          f"second run {second:.1f} s")
    if args.keep:
        print(f"clone kept at {clone}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
