from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from prm.tenancy.models import Domain, Vendor


class Command(BaseCommand):
    help = "Migrate the public schema and every vendor schema, and make sure the platform domain exists."

    def add_arguments(self, parser):
        parser.add_argument("--platform-domain", default=settings.KYOSO_BASE_DOMAIN)

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=max(verbosity - 1, 0))
        with transaction.atomic():
            public, _ = Vendor.objects.get_or_create(
                schema_name=settings.PUBLIC_SCHEMA_NAME,
                defaults={"slug": "platform", "name": "Kyoso"},
            )
            Domain.objects.get_or_create(
                domain=options["platform_domain"],
                defaults={"tenant": public, "kind": Domain.Kind.PLATFORM, "is_primary": True},
            )
        if Vendor.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).exists():
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=max(verbosity - 1, 0))
        if verbosity:
            self.stdout.write(self.style.SUCCESS("Platform ready."))
