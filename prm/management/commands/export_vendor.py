from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prm.tenancy.archive import ArchiveError, export_vendor


class Command(BaseCommand):
    help = "Write one vendor to one archive (.tar.gz): every table of its schema, its files, its vendor and domain rows."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--out", required=True, help="the archive to write, e.g. acme.tar.gz")

    def handle(self, *args, slug: str, out: str, **options):
        started = time.perf_counter()
        path = Path(out)
        try:
            manifest = export_vendor(slug, path)
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        rows = sum(spec["rows"] for spec in manifest["tables"].values())
        self.stdout.write(f"{slug}: {len(manifest['tables'])} tables, {rows:,} rows, {len(manifest['media'])} files "
                          f"→ {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
