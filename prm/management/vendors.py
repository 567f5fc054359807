"""The vendor scope of per-tenant operator commands: --schema, --slug or --all."""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _
from django_tenants.utils import get_tenant_model


def add_vendor_arguments(parser) -> None:
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--schema", help="the vendor's schema, e.g. v_demo")
    scope.add_argument("--slug", help="the vendor's slug, e.g. demo")
    scope.add_argument("--all", action="store_true", help="every vendor")


def vendors_from_options(options, stderr) -> list:
    """The chosen vendors; exits with status 2 and says so when there is none."""
    vendors = get_tenant_model().objects.exclude(schema_name="public")
    if options["schema"]:
        vendors = vendors.filter(schema_name=options["schema"])
    elif options["slug"]:
        vendors = vendors.filter(slug=options["slug"])
    vendors = list(vendors)
    if not vendors:
        stderr.write(_("No such vendor."))
        sys.exit(2)
    return vendors
