from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from prm.tenancy.models import Domain, Vendor


class Command(BaseCommand):
    help = ("The release step: migrate the public schema, the template schema and every vendor schema "
            "(in parallel), and make sure the platform domain exists. Vendors are skipped when the "
            "code's migrations are the ones they were last migrated to.")

    def add_arguments(self, parser):
        parser.add_argument("--platform-domain", default=settings.KYOSO_BASE_DOMAIN)
        parser.add_argument("--processes", type=int, default=settings.KYOSO_MIGRATE_PROCESSES,
                            help="vendor schemas migrated at once (default KYOSO_MIGRATE_PROCESSES)")
        parser.add_argument("--force", action="store_true",
                            help="migrate every vendor schema even when the fingerprint says nothing changed")

    def handle(self, *args, **options):
        from django.core.management import call_command

        from prm.tenancy import release

        verbosity = options["verbosity"]
        processes = options["processes"]
        if not 1 <= processes <= 32:
            raise CommandError("--processes must be between 1 and 32.")
        started = time.monotonic()
        if options["force"] or not release.public_current():
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=max(verbosity - 1, 0))
            release.public_migrated()
        elif verbosity > 1:
            self.stdout.write("Public schema is current: skipped.")
        with transaction.atomic():
            public, _ = Vendor.objects.get_or_create(
                schema_name=settings.PUBLIC_SCHEMA_NAME,
                defaults={"slug": "platform", "name": "Kyoso"},
            )
            Domain.objects.get_or_create(
                domain=options["platform_domain"],
                defaults={"tenant": public, "kind": Domain.Kind.PLATFORM, "is_primary": True},
            )

        def progress(done: int, total: int, schema: str, error: str | None) -> None:
            if verbosity and (error or verbosity > 1 or done == total or done % max(1, total // 20) == 0):
                state = f"FAILED: {error}" if error else "ok"
                self.stdout.write(f"  vendors migrated {done}/{total} ({schema}: {state})")

        result = release.vendors_migrate(processes=processes, force=options["force"], progress=progress,
                                         verbosity=max(verbosity - 1, 0))
        if verbosity:
            if result.skipped:
                self.stdout.write(f"Vendor schemas are current (migrations {result.fingerprint[:12]}): "
                                  f"skipped {result.total} vendors in {time.monotonic() - started:.2f} s.")
            else:
                self.stdout.write(f"Template and {result.total} vendor schemas migrated in "
                                  f"{time.monotonic() - started:.1f} s ({processes} processes).")
        if result.failed:
            names = ", ".join(f"{schema} ({error})" for schema, error in result.failed)
            raise CommandError(f"{len(result.failed)} of {result.total} vendor schemas failed to migrate: {names}. "
                               "The others are migrated; the next start tries the failed ones again.")
        if verbosity:
            self.stdout.write(self.style.SUCCESS("Platform ready."))
