"""Work a web worker does once when it starts rather than on its first requests.

Django loads a site's URL conf (and with it every view module, the API's schemas and their validators) when it
first resolves a request for that site, builds the reverse look-up tables once per language on the first reverse,
and compiles a template on its first use: half a second to three quarters of a second of the first page a worker
serves, paid again by every worker after each deploy or restart, while the people waiting on those pages see it.
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import translation

# Every URL conf a request can be served with (prm.tenancy.middleware picks one by the host).
URLCONFS = ("prm.urls_console", "prm.urls_portal", "prm.urls_public", "prm.urls_unknown")


def load_urlconfs() -> None:
    """Import every site's views and build their reverse tables in each language the sites are served in."""
    for urlconf in URLCONFS:
        resolver = get_resolver(urlconf)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                resolver.reverse_dict  # noqa: B018 (built per language on first access)


def _template_dirs() -> list[Path]:
    """The project's template folders: the shared one and each of its own apps' (not the installed packages')."""
    base = Path(settings.BASE_DIR).resolve()
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and "site-packages" not in path.parts:
            folders.append(path / "templates")
    return [folder for folder in folders if folder.is_dir()]


def compile_templates() -> int:
    """Put every project template in the template engine's cache, compiled; returns how many."""
    engine = engines["django"].engine
    count = 0
    for folder in _template_dirs():
        for path in sorted(folder.rglob("*.html")):
            engine.get_template(path.relative_to(folder).as_posix())
            count += 1
    return count


def warm_up() -> None:
    load_urlconfs()
    compile_templates()
