from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from prm.management.vendors import add_vendor_arguments, vendors_from_options
from programs import services


class Command(BaseCommand):
    help = "Evaluate every partner's tier, for one vendor or all. --dry-run shows the changes without making them."

    def add_arguments(self, parser):
        add_vendor_arguments(parser)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        for vendor in vendors_from_options(options, self.stderr):
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
