"""Debian packages the test tooling needs (PgBouncer, Chromium), installed the way CI installs them.

CI runs as root on a Debian machine with the package mirror reachable: a package that is missing there is
installed with apt-get, reading the package lists first when the first try fails (a fresh image has none).
Anywhere else (not root, no apt-get) nothing is installed and the caller says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def installed(command: str, path: str) -> str | None:
    """The program's path: on PATH as `command`, else at `path`, else None."""
    return shutil.which(command) or (path if Path(path).exists() else None)


def apt_install(package: str, path: str) -> str | None:
    """Install Debian's `package` when we are root with apt-get; `path` once it exists, else None."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    for before in ([], [["apt-get", "update"]]):
        for command in (*before, install):
            subprocess.run(command, check=False, stdout=subprocess.DEVNULL, env=apt_env)
        if Path(path).exists():
            return path
    return None


# Debian's Chromium, which the browser test drives through Playwright (Playwright's own browser builds are
# never downloaded). `./kyoso test` and CI install it before the suite; elsewhere the test skips, saying so.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_INSTALL_COMMAND = "apt-get install -y chromium"


def chromium(*, install: bool) -> str | None:
    """Chromium's path, installing Debian's package first when asked and possible; None when there is none."""
    return installed("chromium", CHROMIUM) or (apt_install("chromium", CHROMIUM) if install else None)
