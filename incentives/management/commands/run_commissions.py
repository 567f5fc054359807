from __future__ import annotations

import sys
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django_tenants.utils import get_tenant_model, tenant_context

from incentives import runs


class Command(BaseCommand):
    help = ("Run commissions for one vendor and one month (YYYY-MM), showing progress. Safe to run again. "
            "By default only the months whose inputs changed since they were run are recomputed; --full "
            "recomputes every event; --verify writes nothing and exits 1 when the ledger differs from what a "
            "full recomputation would write.")

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="the vendor's slug, e.g. demo")
        parser.add_argument("--period", required=True, help="the month, e.g. 2026-10")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--full", action="store_true", help="recompute every event up to the month's end")
        mode.add_argument("--verify", action="store_true",
                          help="write nothing; list the lines a full recomputation would add and exit 1 if any")

    def handle(self, *args, **options):
        try:
            year, month = (int(part) for part in options["period"].split("-"))
            period = date(year, month, 1)
        except ValueError:
            self.stderr.write(_("The period must be a month such as 2026-10."))
            sys.exit(2)
        vendor = get_tenant_model().objects.filter(slug=options["slug"]).exclude(schema_name="public").first()
        if vendor is None:
            self.stderr.write(_("No such vendor."))
            sys.exit(2)
        if options["verify"]:
            with tenant_context(vendor):
                self._verify(period, options["period"])
            return

        def show(run):
            self.stdout.write(f"\r{run.progress:,} / {run.total:,} ({run.percent}%)", ending="")
            self.stdout.flush()

        with tenant_context(vendor):
            try:
                started = runs.run_start(period=period, full=options["full"])
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                sys.exit(2)
            warning = runs.open_month_warning(period)
            if warning:
                self.stderr.write(self.style.WARNING(warning))
            run = runs.run_execute(started.pk, progress=show)
        self.stdout.write("")
        if run.status != "done":
            self.stderr.write(_("The run failed: %(error)s") % {"error": run.error})
            sys.exit(2)
        self.stdout.write(_("%(period)s: %(added)s new ledger lines.") % {"period": options["period"], "added": run.lines_added})

    def _verify(self, period: date, shown: str) -> None:
        from incentives import engine

        try:
            missing = runs.verify(period)
        except (engine.PlanError, engine.InputError) as error:
            self.stderr.write(_("The recomputation failed: %(error)s") % {"error": error})
            sys.exit(2)
        if not missing:
            self.stdout.write(_("%(period)s: the ledger is what a full recomputation writes.") % {"period": shown})
            return
        self.stderr.write(_("%(period)s: a full recomputation would add %(count)s ledger lines (%(total)s yen in "
                            "all); nothing was written:") % {"period": shown, "count": len(missing),
                                                               "total": f"{sum(row[runs.AMOUNT] for row in missing):,}"})
        for row in missing[:50]:
            self.stderr.write("  " + " ".join(f"{name}={value}" for name, value in zip(runs.COLUMNS, row, strict=True)))
        sys.exit(1)
