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
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from incentives import engine
from partners.csv_io import decode


class _Unreadable(Exception):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _value in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise _Unreadable(_('the key "%(key)s" appears twice in one object') % {"key": key})
    return dict(pairs)


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

        def report(source: str | None, error: engine.InputError | _Unreadable | engine.PlanError) -> None:
            if isinstance(error, engine.InputError):
                for line, message in error.problems:
                    problems.append(self._where(paths.get(error.source or ""), line, message))
            else:
                problems.append(self._where(paths.get(source or ""), None, str(error)))

        plan = partners = events = None
        try:
            plan = engine.parse_plan(read_plan(paths["plan"]))
        except (_Unreadable, engine.PlanError) as error:
            report("plan", error)
        if "partners" in paths:
            try:
                partners = engine.read_partners_csv(read_csv_text(paths["partners"]))
            except (_Unreadable, engine.InputError) as error:
                report("partners", error)
        try:
            events = engine.read_events_csv(read_csv_text(paths["events"]))
        except (_Unreadable, engine.InputError) as error:
            report("events", error)
        result = None
        if not problems:
            assert plan is not None and events is not None
            try:
                result = engine.compute(plan, events, partners)
            except engine.InputError as error:
                report(None, error)
        if problems or result is None:
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
