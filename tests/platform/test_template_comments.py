"""No template of the project prints its own syntax to the reader.

Django's `{# … #}` is a comment only when it opens and closes on one line; spread over two lines it is text, and the
page prints it. The portal's deal registration form did, to every partner rep: three lines of an English note to
developers above the customer's fields. A comment over several lines is `{% comment %} … {% endcomment %}`. A tag
`{% … %}` or a variable `{{ … }}` broken over two lines is printed the same way.

The check reads each template with Django's own lexer, so it finds exactly what Django would print."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType
from django.template.utils import get_app_template_dirs

PROJECT = Path(settings.BASE_DIR).resolve()


def _project_templates() -> list[Path]:
    """Every template under this project's template folders (the settings' DIRS and the apps'), none of a library's."""
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    folders += [Path(folder) for folder in get_app_template_dirs("templates")]
    templates = set()
    for folder in folders:
        folder = folder.resolve()
        if folder.is_relative_to(PROJECT) and ".venv" not in folder.relative_to(PROJECT).parts:
            templates.update(path for path in folder.rglob("*") if path.is_file() and path.suffix in {".html", ".txt"})
    return sorted(templates)


def shown_syntax(source: str) -> list[int]:
    """The lines where a `{#`, `{%` or `{{` starts that Django takes for text, not for a comment, tag or variable:
    text a page would print."""
    lines = []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            text = token.contents
            lines += [token.lineno + text.count("\n", 0, found.start()) for found in re.finditer(r"\{[#%{]", text)]
    return lines


def test_the_check_finds_syntax_spread_over_two_lines_and_passes_the_rest():
    assert shown_syntax("<p>\n{# a note\n   over two lines #}\n</p>\n{# and\n another #}") == [2, 5]
    assert shown_syntax("{% if a\n %}x{% endif %}<b>{{ name\n }}</b>") == [1, 2]
    assert shown_syntax("<p>{# one line #}</p>{% comment %}two\nlines{% endcomment %}{% if a %}{{ a }}{% endif %}") == []


def test_no_template_prints_its_syntax():
    templates = _project_templates()
    # the folders were found: the console's and the portal's bases, and an app's own template
    names = {path.relative_to(PROJECT).as_posix() for path in templates}
    assert {"templates/portal/deals/form.html", "templates/console/base.html"} <= names
    assert any(name.startswith("partners/templates/") for name in names)
    found = [f"{path.relative_to(PROJECT)}:{line}" for path in templates
             for line in shown_syntax(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_portal_registration_form_shows_no_note_to_developers(people_a):
    page = people_a.portal(people_a.partner_rep).get("/deals/new/")
    text = page.content.decode()
    assert page.status_code == 200 and 'name="customer_name"' in text
    assert "{#" not in text and "#}" not in text and "bubble up" not in text
