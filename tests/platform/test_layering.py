"""prm/ is the floor every app stands on: no module under it imports a domain app (nor the demo).

The apps above reach the platform through what it offers them instead: signals
(prm.accounts.signals), registries (prm.retention, prm.exports) and hooks (prm.invitations.hooks).
The demo's seeding is installed in development and tests only, so nothing production runs imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_APPS = frozenset({"partners", "deals", "programs", "enablement", "incentives", "mapping", "api",
                         "webhooks", "portal", "insights", "demo"})
# Modules still importing a domain app, with the change that removes the import.
KNOWN_EXCEPTIONS = {
}


def domain_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a domain app in `source`, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found += [(node.lineno, module) for module in modules if module.split(".")[0] in DOMAIN_APPS]
    return found


def _prm_modules() -> dict[str, list[tuple[int, str]]]:
    return {path.relative_to(ROOT).as_posix(): domain_imports(path.read_text(encoding="utf-8"))
            for path in sorted((ROOT / "prm").rglob("*.py"))}


def test_it_finds_a_domain_import_wherever_it_is_written():
    source = ("import os\nimport deals.models\nfrom partners import services\nfrom prm import events\n"
              "from . import partners\n"
              "def f():\n    from incentives.runs import PAID_SIGNAL_KINDS\n    import demo.data as d\n")
    assert domain_imports(source) == [(2, "deals.models"), (3, "partners"), (7, "incentives.runs"), (8, "demo.data")]


def test_no_module_under_prm_imports_a_domain_app():
    modules = _prm_modules()
    assert len(modules) > 50  # the scan sees the platform's modules
    offending = [f"{path}:{line} imports {module}" for path, imports in modules.items()
                 if path not in KNOWN_EXCEPTIONS for line, module in imports]
    assert offending == []


def test_nothing_production_runs_imports_the_demo():
    """Only the demo itself, the tests and the benchmarks (run under the development settings) may."""
    allowed = {"demo", "tests", "bench"}
    scanned, offending = 0, []
    for top in sorted(ROOT.iterdir()):
        if not top.is_dir() or top.is_symlink() or top.name in allowed or top.name.startswith("."):
            continue
        for path in sorted(top.rglob("*.py")):
            scanned += 1
            offending += [f"{path.relative_to(ROOT)}:{line} imports {module}" for line, module in
                          domain_imports(path.read_text(encoding="utf-8")) if module.split(".")[0] == "demo"]
    assert scanned > 300
    assert offending == []


def test_production_settings_leave_the_demo_out():
    from tests.platform.test_settings import PRODUCTION_ENV, _manage

    commands = _manage("help", "--commands", env=PRODUCTION_ENV).stdout.split()
    assert "setup_platform" in commands and "seed_demo" not in commands and "demo_totp" not in commands
    showcase = _manage("help", "--commands", env=PRODUCTION_ENV | {"KYOSO_SEED_DEMO": "1"}).stdout.split()
    assert "seed_demo" in showcase  # docker-compose's setup step seeds the showcase this way


def test_each_known_exception_is_still_needed():
    modules = _prm_modules()
    stale = [path for path in KNOWN_EXCEPTIONS if not modules.get(path)]
    assert stale == [], "no longer imports a domain app: remove it from KNOWN_EXCEPTIONS"
