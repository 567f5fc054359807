"""No module queries another app's tables: an app reads another app's data through that app's selectors.py or
services.py, never through its models' managers or raw SQL on its tables.

The rule, checked on every module of the domain apps (tests, migrations, demo seeding and benchmarks aside):
- a model imported from another app's models (`from deals.models import DealRegistration`) may be used for
  its constants, choices and type hints, but not queried: `DealRegistration.objects` (or `_default_manager`)
  is a violation;
- so is reaching its table or another of its tables through the model: `DealRegistration._meta.db_table`
  (or `_meta` handed on whole), `DealRegistration.products.through` (the many-to-many table, itself a model
  with a manager and a table name), and `get_object_or_404(DealRegistration, ...)` / `get_list_or_404`, which
  query the model's default manager;
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


SHORTCUTS = {"get_object_or_404", "get_list_or_404"}  # they query the default manager of a model passed in
# What a model's `_meta` may be read for without reaching its table: names, labels, fields' limits.
META_READS = {"get_field", "verbose_name", "verbose_name_plural", "label", "label_lower", "model_name",
              "app_label", "object_name"}


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _reaches(tree: ast.AST, models: dict[str, str]) -> set[str]:
    """What the module reaches of the other apps' models (`models`: name → app) other than by a table name."""
    found = set()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(root := _root(node), ast.Name) and root.id in models:
            name = root.id
            if node.attr in MANAGERS and node.value is root:
                found.add(f"{name}.{node.attr}")
            elif node.attr == "through":
                found.add(f"{name}.<field>.through")
            elif node.attr == "_meta" and node.value is root:
                parent = parents.get(node)
                if not (isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in META_READS):
                    found.add(f"{name}._meta")
        elif isinstance(node, ast.Call) and node.args and isinstance(first := node.args[0], ast.Name) \
                and first.id in models:
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in SHORTCUTS:
                found.add(f"{function}({first.id})")
    return found


def violations() -> set[tuple[str, str]]:
    tables = _tables()
    table_pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, tables), key=len, reverse=True)) + r")\b")
    found = set()
    for module, app, path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        found |= {(module, what) for what in _reaches(tree, _imported_models(tree, app))}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
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
    assert _reaches(tree, models) == {"DealRegistration.objects"}


def _found_in(source: str, app: str = "incentives") -> set[str]:
    tree = ast.parse(source)
    return _reaches(tree, _imported_models(tree, app))


def test_the_check_finds_a_table_name_taken_from_another_apps_model():
    """Raw SQL built on `_meta.db_table` names no table in a string: the model it came from gives it away."""
    assert _found_in("from deals.models import DealRegistration\n"
                     "SQL = f'SELECT count(*) FROM {DealRegistration._meta.db_table}'\n") == {"DealRegistration._meta"}
    assert _found_in("from deals.models import DealRegistration\n"
                     "def f(meta=DealRegistration._meta):\n"
                     "    return meta.db_table\n") == {"DealRegistration._meta"}
    # Its own models, and the labels of another app's fields, are not a read of a table.
    assert _found_in("from incentives.models import InvoicePayment\n"
                     "SQL = f'SELECT 1 FROM {InvoicePayment._meta.db_table}'\n") == set()
    assert _found_in("from deals.models import DealRegistration\n"
                     "LABEL = DealRegistration._meta.get_field('won_amount').verbose_name\n"
                     "NAME = DealRegistration._meta.verbose_name\n") == set()


def test_the_check_finds_another_apps_many_to_many_table():
    assert _found_in("from deals.models import DealRegistration\n"
                     "def f():\n"
                     "    return DealRegistration.products.through._meta.db_table\n"
                     ) == {"DealRegistration.<field>.through"}
    assert _found_in("from deals.models import DealRegistration as Deal\n"
                     "def f():\n"
                     "    return Deal.products.through.objects.count()\n") == {"Deal.<field>.through"}


def test_the_check_finds_a_shortcut_that_queries_another_apps_model():
    """get_object_or_404 and get_list_or_404 query the manager of the model they are given."""
    assert _found_in("from django.shortcuts import get_object_or_404, get_list_or_404\n"
                     "from partners.models import Partner\n"
                     "def f(pk):\n"
                     "    return get_object_or_404(Partner, pk=pk), get_list_or_404(Partner, stage='active')\n",
                     app="deals") == {"get_object_or_404(Partner)", "get_list_or_404(Partner)"}
    assert _found_in("from django import shortcuts\n"
                     "from partners.models import Partner\n"
                     "def f(pk):\n"
                     "    return shortcuts.get_object_or_404(Partner, pk=pk)\n", app="mapping") == {
        "get_object_or_404(Partner)"}
    assert _found_in("from django.shortcuts import get_object_or_404\n"
                     "from partners.models import Partner\n"
                     "def f(pk):\n"
                     "    return get_object_or_404(Partner, pk=pk)\n", app="partners") == set()
