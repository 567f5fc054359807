"""No module queries another app's tables: an app reads another app's data through that app's selectors.py or
services.py, never through its models' managers or raw SQL on its tables.

The rule, checked on every module of the domain apps (tests, migrations, demo seeding and benchmarks aside):
- a model imported from another app's models (`from deals.models import DealRegistration`) may be used for
  its constants, choices and type hints, but not queried: `DealRegistration.objects` (or `_default_manager`)
  is a violation;
- a string naming a table of another app (`deals_dealregistration`) is raw SQL on it: a violation.
Tables belong to the app whose package defines the model, whatever their name says (insights keeps the
`partners_health*` names of the tables it took over). The platform's own tables (prm: accounts, tenancy) are
the floor every app stands on and are not checked here.

What still breaks the rule is listed in ALLOWED with the reason; an entry that no longer breaks it fails the
test, so the list only shrinks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
APPS = ("partners", "deals", "programs", "enablement", "incentives", "mapping", "insights", "portal", "api",
        "webhooks")
SKIPPED_PARTS = {"migrations", "management", "tests"}  # commands are operators' tools, run on purpose
SKIPPED_FILES = {"demo.py", "health_demo.py"}
# A form's ModelChoiceField needs a queryset of its foreign-key target to offer and validate choices.
FORM_MODULE = re.compile(r"^forms(_\w+)?\.py$")
MANAGERS = {"objects", "_default_manager", "_base_manager"}

# (module, what it reaches) → why it still does. Keep the reasons honest; remove an entry with its cause.
ALLOWED: dict[tuple[str, str], str] = {
}


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if SKIPPED_PARTS & set(relative.parts) or path.name in SKIPPED_FILES or FORM_MODULE.match(path.name):
                continue
            yield ".".join(relative.with_suffix("").parts).removesuffix(".__init__"), app, path


def _owner(module: str) -> str:
    return module.split(".")[0]


def _tables() -> dict[str, str]:
    """Every table of a checked app → the app that owns it."""
    return {model._meta.db_table: _owner(model.__module__) for model in apps.get_models(include_auto_created=True)
            if _owner(model.__module__) in APPS}


def _imported_models(tree: ast.AST, app: str) -> dict[str, str]:
    """Names bound in the module to another app's models (name → that app), wherever the import is."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            other = parts[0]
            if other in APPS and other != app and (parts[-1] == "models" or parts[-1].endswith("_models")):
                for alias in node.names:
                    names[alias.asname or alias.name] = other
    return names


def violations() -> set[tuple[str, str]]:
    tables = _tables()
    table_pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, tables), key=len, reverse=True)) + r")\b")
    found = set()
    for module, app, path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        models = _imported_models(tree, app)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in MANAGERS and isinstance(node.value, ast.Name)
                    and node.value.id in models):
                found.add((module, f"{node.value.id}.{node.attr}"))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for table in table_pattern.findall(node.value):
                    if tables[table] != app:
                        found.add((module, table))
    return found


def test_no_module_queries_another_apps_tables():
    found = violations()
    unexpected = sorted(found - set(ALLOWED))
    assert not unexpected, "query another app's tables (use its selectors):\n" + "\n".join(
        f"  {module}: {what}" for module, what in unexpected)


def test_the_allow_list_only_shrinks():
    stale = sorted(set(ALLOWED) - violations())
    assert not stale, "no longer needed, remove from ALLOWED:\n" + "\n".join(f"  {m}: {w}" for m, w in stale)


def test_the_check_finds_a_query_on_another_apps_model(tmp_path):
    """The scanner itself: a manager use and a raw table name in a module of another app are both caught."""
    source = ("from deals.models import DealRegistration\n"
              "def f():\n"
              "    return DealRegistration.objects.count(), 'SELECT 1 FROM incentives_mdfclaim'\n")
    tree = ast.parse(source)
    models = _imported_models(tree, "insights")
    assert models == {"DealRegistration": "deals"}
    assert "incentives_mdfclaim" in _tables()
    assert _tables()["partners_healthscore"] == "insights"
