from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from prm.invitations.models import Invitation
from prm.tenancy.services import vendor_create
from prm.tenancy.urls import origin


class Command(BaseCommand):
    help = "Create a vendor: its schema, console and portal domains, and its first admin."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="short name, e.g. acme → acme.localhost / partners.acme.localhost")
        parser.add_argument("--name", required=True, help="the vendor's company name")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", default="")
        parser.add_argument(
            "--admin-password",
            help="set a password now; without it an invitation link is printed instead",
        )
        parser.add_argument("--console-domain")
        parser.add_argument("--portal-domain")
        parser.add_argument("--brand-colour", default="#1f6feb")

    def handle(self, *args, **options):
        try:
            created = vendor_create(
                slug=options["slug"],
                name=options["name"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
                admin_password=options["admin_password"],
                console_domain=options["console_domain"],
                portal_domain=options["portal_domain"],
                brand_colour=options["brand_colour"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.stderr.write(f"{field}: {message}")
            sys.exit(2)
        console = origin(created.console_domain)
        self.stdout.write(self.style.SUCCESS(_("Vendor %(name)s created.") % {"name": created.vendor.name}))
        self.stdout.write(f"  {_('Vendor console')}: {console}/")
        self.stdout.write(f"  {_('Partner portal')}: {origin(created.portal_domain)}/")
        self.stdout.write(f"  {_('Django admin')}: {console}/admin/")
        if created.invitation_token:
            from django_tenants.utils import tenant_context

            from prm.invitations.services import invitation_url

            with tenant_context(created.vendor):
                invitation = Invitation.objects.get(status=Invitation.Status.PENDING)
                link = invitation_url(invitation, created.invitation_token)
            self.stdout.write(f"  {_('Admin invitation link')}: {link}")
        else:
            self.stdout.write(f"  {_('Admin')}: {options['admin_email']}")
