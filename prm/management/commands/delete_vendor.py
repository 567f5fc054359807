from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from prm.tenancy.models import Vendor
from prm.tenancy.services import vendor_delete


class Command(BaseCommand):
    help = "Delete a vendor for good: its schema with every row, its files, its domains. Asks to type the slug."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--yes", action="store_true", help="do not ask (for scripts)")

    def handle(self, *args, slug: str, yes: bool, **options):
        with schema_context("public"):
            vendor = Vendor.objects.filter(slug=slug).exclude(schema_name="public").first()
        if vendor is None:
            raise CommandError(f"No vendor has the slug {slug!r}.")
        if not yes:
            self.stdout.write(f"This deletes {vendor.name} ({slug}, schema {vendor.schema_name}) with all its data "
                              "and files. Export it first if it may be needed (export_vendor).")
            try:
                typed = input("Type the slug to confirm: ").strip()
            except EOFError:
                typed = ""
            if typed != slug:
                raise CommandError("Not confirmed; nothing was deleted.")
        vendor_delete(vendor)
        self.stdout.write(f"{slug} deleted.")
