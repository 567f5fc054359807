"""Every message the code marks for translation ships in Japanese and in English.

The README's command (`makemessages -l ja -l en --ignore=.venv --ignore=tests`) is run on a copy of the project, so
the checkout is left as it is; a message it adds to a catalogue comes back untranslated, or with a translation gettext
guessed from a similar message and marked fuzzy, which Django never shows. Either is a message the reader sees in
English whatever their language. Two did: the verbose names of partners.StageCount.

Extracting needs GNU gettext (xgettext), as the README says; the compiled catalogues are committed, so the rest of the
suite runs without it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT = Path(settings.BASE_DIR).resolve()
LANGUAGES = ("ja", "en")
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".kyoso", "node_modules", "__pycache__", "staticfiles", "tests")


def _msgids(po: Path, which: str) -> list[str]:
    """The msgids msgattrib selects (`--untranslated` or `--only-fuzzy`), the catalogue's header left out."""
    shown = subprocess.run(["msgattrib", which, "--no-wrap", str(po)], capture_output=True, text=True, check=True).stdout
    return [found for found in re.findall(r'^msgid "(.*)"$', shown, flags=re.MULTILINE) if found]


def test_the_check_sees_an_untranslated_and_a_fuzzy_message(tmp_path):
    if not shutil.which("msgattrib"):
        pytest.skip("GNU gettext (msgattrib) is not installed")
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Partners"\nmsgstr "パートナー"\n\nmsgid "New"\nmsgstr ""\n\n'
                  '#, fuzzy\nmsgid "partner count"\nmsgstr "パートナーのコンタクト"\n', encoding="utf-8")
    assert _msgids(po, "--untranslated") == ["New"]
    assert _msgids(po, "--only-fuzzy") == ["partner count"]


def test_every_message_of_the_code_has_a_japanese_and_an_english_translation(tmp_path):
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext (xgettext) is not installed; the README's translation commands need it too")
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy, ignore=NOT_COPIED)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE, "PYTHONPATH": str(copy)}
    subprocess.run([sys.executable, "manage.py", "makemessages", *[f"-l{language}" for language in LANGUAGES],
                    "--ignore=.venv", "--ignore=tests"], cwd=copy, env=env, check=True, capture_output=True)
    missing = {}
    for language in LANGUAGES:
        po = copy / "locale" / language / "LC_MESSAGES" / "django.po"
        # the copy's catalogue is the checkout's with the code's messages merged in: a message it lacked comes back
        assert po.read_text(encoding="utf-8").count("msgid ") >= 3000
        for which in ("--untranslated", "--only-fuzzy"):
            for msgid in _msgids(po, which):
                missing.setdefault(msgid, []).append(f"{language} {which.strip('-')}")
    assert missing == {}
