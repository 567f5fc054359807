from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prm.tenancy.archive import ArchiveError, import_vendor


class Command(BaseCommand):
    help = "Restore a vendor archive (from export_vendor) under its own slug or a new one."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--slug", help="the slug to restore under; the archived one by default")
        parser.add_argument("--console-domain")
        parser.add_argument("--portal-domain")
        parser.add_argument("--replace", action="store_true",
                            help="delete the existing vendor with this slug first (its data is lost)")

    def handle(self, *args, archive: str, slug: str | None, console_domain: str | None, portal_domain: str | None,
               replace: bool, **options):
        try:
            restored = import_vendor(Path(archive), slug=slug, console_domain=console_domain,
                                     portal_domain=portal_domain, replace=replace)
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        rows = sum(restored.counts.values())
        self.stdout.write(f"{restored.vendor.slug}: {len(restored.counts)} tables, {rows:,} rows, "
                          f"{restored.media_files} files restored in {restored.seconds:.1f} s")
        if restored.mismatched:
            raise CommandError("Row counts differ from the archive in: " + ", ".join(
                f"{t} ({restored.counts.get(t)} ≠ {restored.expected.get(t)})" for t in restored.mismatched))
        self.stdout.write("Every table's row count matches the archive.")
