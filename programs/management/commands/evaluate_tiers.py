from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django_tenants.utils import get_tenant_model, tenant_context

from programs import services


class Command(BaseCommand):
    help = "Evaluate every partner's tier, for one vendor or all. --dry-run shows the changes without making them."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--schema", help="the vendor's schema, e.g. v_demo")
        scope.add_argument("--slug", help="the vendor's slug, e.g. demo")
        scope.add_argument("--all", action="store_true", help="every vendor")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        vendors = get_tenant_model().objects.exclude(schema_name="public")
        if options["schema"]:
            vendors = vendors.filter(schema_name=options["schema"])
        elif options["slug"]:
            vendors = vendors.filter(slug=options["slug"])
        vendors = list(vendors)
        if not vendors:
            self.stderr.write(_("No such vendor."))
            sys.exit(2)
        for vendor in vendors:
            started = time.perf_counter()
            with tenant_context(vendor):
                result = services.evaluate(dry_run=options["dry_run"])
            label = _("dry run") if options["dry_run"] else _("applied")
            self.stdout.write(f"{vendor.slug}: {result.partners} partners, {time.perf_counter() - started:.1f} s ({label})")
            for proposal in result.proposals:
                self.stdout.write(
                    f"  {proposal.partner_name}: {getattr(proposal.from_tier, 'name', '—')} → "
                    f"{getattr(proposal.to_tier, 'name', '—')} [{proposal.action}]"
                )
