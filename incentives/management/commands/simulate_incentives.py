"""python manage.py simulate_incentives --plan PLAN.json --events EVENTS.csv [--partners PARTNERS.csv]

Evaluates an incentive plan on events from a CSV and prints what each partner would be paid
as JSON (spec: INCENTIVE_PLANS.md), with `incentives.engine`, the code behind the commission
run and the console's simulation. No tenant, no database: the command never opens a
connection, so a channel manager can try a plan on any export on any machine.

The plan is JSON in UTF-8; the CSVs are UTF-8 (with or without BOM) or Shift_JIS/CP932. Bad
input — a plan the engine refuses (the message names the rule and the field), a malformed
CSV row (the message names the file and the line), an event of a partner that the partners
file does not list — prints every problem found on standard error, nothing on standard
output, and exits 2: nothing is partially computed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from incentives import engine
from partners.csv_io import decode

T = TypeVar("T")


class _Unreadable(Exception):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys; a plan with "rate" twice is refused instead."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Unreadable(_('the key "%(key)s" appears twice in one object') % {"key": key})
        seen[key] = value
    return seen


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _Unreadable(_("cannot be read: %(error)s") % {"error": error.strerror}) from None


def read_plan(path: Path) -> Any:
    """The decoded JSON document of a plan file."""
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Unreadable(_("a plan must be JSON in UTF-8")) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise _Unreadable(_("not JSON: %(error)s (line %(line)s, column %(column)s)")
                          % {"error": error.msg, "line": error.lineno, "column": error.colno}) from None


def read_csv_text(path: Path) -> str:
    try:
        text, _encoding = decode(_read_bytes(path))
    except ValidationError as error:
        raise _Unreadable(" ".join(error.messages)) from None
    return text


class Command(BaseCommand):
    help = "Print, as JSON, what an incentive plan pays for the events in a CSV (no database needed)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="the plan, JSON")
        parser.add_argument("--events", required=True,
                            help="CSV with the header " + ",".join(engine.EVENTS_HEADER))
        parser.add_argument("--partners", help="CSV with the header " + ",".join(engine.PARTNERS_HEADER))

    def handle(self, *args, **options):
        paths = {"plan": Path(options["plan"]), "events": Path(options["events"])}
        if options["partners"]:
            paths["partners"] = Path(options["partners"])
        problems: list[str] = []

        def attempt(source: str | None, work: Callable[[], T]) -> T | None:
            """What `work` returns, or None with its problems noted against the file they are in."""
            try:
                return work()
            except engine.InputError as error:
                problems.extend(self._where(paths.get(error.source or ""), line, message) for line, message in error.problems)
            except (engine.PlanError, _Unreadable) as error:
                problems.append(self._where(paths.get(source or ""), None, str(error)))
            return None

        plan = attempt("plan", lambda: engine.parse_plan(read_plan(paths["plan"])))
        partners = None
        if "partners" in paths:
            partners = attempt("partners", lambda: engine.read_partners_csv(read_csv_text(paths["partners"])))
        events = attempt("events", lambda: engine.read_events_csv(read_csv_text(paths["events"])))
        result = None
        if plan is not None and events is not None and not problems:
            result = attempt(None, lambda: engine.compute(plan, events, partners))
        if result is None:
            for problem in problems:
                self.stderr.write(problem)
            sys.exit(2)
        self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))

    @staticmethod
    def _where(path: Path | None, line: int | None, message: str) -> str:
        if path is None:
            return message
        if line is None:
            return _("%(file)s: %(problem)s") % {"file": path, "problem": message}
        return _("%(file)s, line %(line)s: %(problem)s") % {"file": path, "line": line, "problem": message}
