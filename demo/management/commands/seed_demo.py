from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import tenant_context

from demo import data as demo
from demo import deals as deal_demo
from demo import enablement as enablement_demo
from demo import health as health_demo
from demo import incentives as incentive_demo
from demo import mapping as mapping_demo
from demo import partners as partner_demo
from demo import programs as program_demo
from partners import services as partner_services
from partners.lifecycle import services as partner_lifecycle
from partners.models import Partner, PartnerMembership, PartnerSettings
from prm.accounts.models import Role, User
from prm.notifications.services import email_paused
from prm.tenancy.models import Vendor
from prm.tenancy.services import vendor_create
from prm.tenancy.urls import site_url


class Command(BaseCommand):
    help = "Create or complete the demo vendor with realistic Japanese data. Running it twice changes nothing."

    def handle(self, *args, **options):
        call_command("setup_platform", verbosity=0)
        vendor = Vendor.objects.filter(slug=demo.DEMO_SLUG).first()
        if vendor is None:
            admin_email, admin_name, *_ = demo.STAFF[0]
            vendor = vendor_create(
                slug=demo.DEMO_SLUG, name=demo.DEMO_VENDOR_NAME, admin_email=admin_email,
                admin_name=admin_name, admin_password=demo.DEMO_PASSWORD, brand_colour=demo.DEMO_BRAND_COLOUR,
            ).vendor
        # The demo's people are made up: the notifications its story creates stay in the app,
        # nothing is e-mailed (the development console would print every one).
        with tenant_context(vendor), transaction.atomic(), email_paused():
            seed_tenant()
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"Demo vendor ready: {vendor.name}"))
            for line in demo_summary(vendor):
                self.stdout.write(line)


def _user(email: str, full_name: str, kana: str, role: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"full_name": full_name, "full_name_kana": kana, "role": role,
                  "is_staff": role == Role.VENDOR_ADMIN, "is_superuser": role == Role.VENDOR_ADMIN},
    )
    if created:
        user.set_password(demo.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    elif not user.full_name_kana:
        user.full_name_kana = kana
        user.save(update_fields=["full_name_kana"])
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def seed_tenant() -> None:
    for email, name, kana, role in demo.STAFF:
        user = _user(email, name, kana, role)
        if role == Role.VENDOR_ADMIN and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, demo.DEMO_ADMIN_TOTP_SECRET)
    partners = {}
    for name, kana, partner_type in demo.PARTNERS:
        partners[name], _ = Partner.objects.get_or_create(
            name=name, defaults={"name_kana": kana, "partner_type": partner_type}
        )
    for email, name, kana, role, partner_name in demo.PARTNER_USERS:
        user = _user(email, name, kana, role)
        PartnerMembership.objects.get_or_create(user=user, defaults={"partner": partners[partner_name]})
        partner_services.contact_link_user(user=user)
    staff = list(User.objects.filter(role=Role.CHANNEL_MANAGER).order_by("email"))
    admin = User.objects.get(email=demo.STAFF[0][0])
    # The demo writes a year of history in seconds, each partner's agreements before the activity that follows
    # them: while it is written, the lifecycle rules would find every signed partner silent since its
    # agreements. Dormancy waits until the history is complete.
    rules = PartnerSettings.current()
    dormant_days = rules.lifecycle_dormant_days
    PartnerSettings.objects.filter(pk=rules.pk).update(lifecycle_dormant_days=730)
    partner_demo.seed(admin=admin, managers=staff)
    deal_demo.seed(admin=admin, managers=staff)
    program_demo.seed()
    incentive_demo.seed(admin=admin, managers=staff)
    enablement_demo.seed(admin=admin, managers=staff)
    mapping_demo.seed(admin=admin, managers=staff)
    health_demo.seed()  # it replays what the others made
    # Last of all, as the nightly run would: the lifecycle rules decide every stage from what the demo made.
    PartnerSettings.objects.filter(pk=rules.pk).update(lifecycle_dormant_days=dormant_days)
    partner_lifecycle.stages_recompute()


def demo_summary(vendor: Vendor) -> list[str]:
    console = site_url(vendor, "console")
    portal = site_url(vendor, "portal")
    staff_admin, staff_cm = demo.STAFF[0][0], demo.STAFF[1][0]
    partner_admin, partner_rep = demo.PARTNER_USERS[0][0], demo.PARTNER_USERS[1][0]
    return [
        f"  Vendor console : {console}",
        f"  Partner portal : {portal}",
        f"  Password for every demo login: {demo.DEMO_PASSWORD}",
        f"    channel manager : {staff_cm}",
        f"    vendor admin    : {staff_admin}  (TOTP required: ./kyoso manage demo_totp prints the current code)",
        f"    partner admin   : {partner_admin}",
        f"    partner rep     : {partner_rep}",
    ]
