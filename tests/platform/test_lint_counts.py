"""`./kyoso lint` counts what ruff reports, a file it cannot parse included: the summary line it prints must not
say 0 findings while ruff fails."""

from __future__ import annotations

import subprocess
import sys

from prm.cli import lint_counts


def _ruff(folder, source: str) -> str:
    path = folder / "sample.py"
    path.write_text(source)
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "F",
                             "--output-format", "concise", str(path)], capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


def test_a_rule_finding_and_a_syntax_error_are_each_counted(tmp_path):
    assert lint_counts(_ruff(tmp_path, "import os\n"), "") == (1, 0)
    assert lint_counts(_ruff(tmp_path, "x = (\n"), "") == (1, 0)
    assert lint_counts(_ruff(tmp_path, "import os\nimport sys\n"), "") == (2, 0)


def test_mypy_errors_are_counted_and_its_notes_are_not():
    output = "a.py:3: error: Incompatible types  [assignment]\na.py:3: note: see here\nFound 1 error in 1 file\n"
    assert lint_counts("", output) == (0, 1)
