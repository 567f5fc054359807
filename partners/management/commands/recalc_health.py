from __future__ import annotations

import resource
import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django_tenants.utils import get_tenant_model, tenant_context

from partners.health.services import recalculate


class Command(BaseCommand):
    help = "Recalculate every signed partner's health score, for one vendor or all, keeping today's snapshot."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--schema", help="the vendor's schema, e.g. v_demo")
        scope.add_argument("--slug", help="the vendor's slug, e.g. demo")
        scope.add_argument("--all", action="store_true", help="every vendor")

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
            with tenant_context(vendor):
                run = recalculate()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            self.stdout.write(_("%(vendor)s: %(partners)s partners scored, %(alerts)s alerts, %(seconds).1f s, "
                                "peak memory %(mb)s MB") % {"vendor": vendor.slug, "partners": run.partners,
                                                            "alerts": run.alerts, "seconds": run.seconds, "mb": peak_mb})
