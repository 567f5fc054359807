from __future__ import annotations

import resource

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from insights.health.services import recalculate
from prm.management.vendors import add_vendor_arguments, vendors_from_options


class Command(BaseCommand):
    help = "Recalculate every signed partner's health score, for one vendor or all, keeping today's snapshot."

    def add_arguments(self, parser):
        add_vendor_arguments(parser)

    def handle(self, *args, **options):
        for vendor in vendors_from_options(options, self.stderr):
            with tenant_context(vendor):
                run = recalculate()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            self.stdout.write(_("%(vendor)s: %(partners)s partners scored, %(alerts)s alerts, %(seconds).1f s, "
                                "peak memory %(mb)s MB") % {"vendor": vendor.slug, "partners": run.partners,
                                                            "alerts": run.alerts, "seconds": run.seconds, "mb": peak_mb})
