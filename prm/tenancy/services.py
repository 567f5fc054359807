"""Creating vendors (tenants). Used by `manage.py create_vendor` and the platform admin."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists, tenant_context

from prm.accounts.models import Role, User
from prm.tenancy.models import SLUG_PATTERN, Domain, Vendor, VendorCreation

logger = logging.getLogger(__name__)

RESERVED_SLUGS = frozenset(
    {"public", "platform", "www", "admin", "api", "app", "static", "media", "partners", "portal", "console", "mail",
     "localhost", "kyoso", "pg_catalog", "information_schema", "test"}
)


@dataclass(frozen=True)
class VendorCreated:
    vendor: Vendor
    console_domain: str
    portal_domain: str
    admin: User | None
    invitation_token: str | None


def default_domains(slug: str) -> tuple[str, str]:
    base = settings.KYOSO_BASE_DOMAIN
    return f"{slug}.{base}", f"partners.{slug}.{base}"


def schema_name_for(slug: str) -> str:
    return "v_" + slug.replace("-", "_")


def _validate(*, slug: str, name: str, admin_email: str, console_domain: str, portal_domain: str,
              admin_password: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if not re.match(SLUG_PATTERN, slug):
        errors["slug"] = [_("Use 2–30 lower-case letters, digits or hyphens, starting with a letter.")]
    elif slug in RESERVED_SLUGS:
        errors["slug"] = [_("“%(slug)s” is reserved. Choose another slug.") % {"slug": slug}]
    elif Vendor.objects.filter(slug=slug).exists() or schema_exists(schema_name_for(slug)):
        errors["slug"] = [_("A vendor with the slug “%(slug)s” already exists.") % {"slug": slug}]
    if not name.strip():
        errors["name"] = [_("Enter the vendor's company name.")]
    try:
        validate_email(admin_email)
    except ValidationError:
        errors["admin_email"] = [_("Enter a valid e-mail address.")]
    if "slug" not in errors:  # the default domains derive from the slug: one message is enough
        for field, domain in (("console_domain", console_domain), ("portal_domain", portal_domain)):
            if Domain.objects.filter(domain=domain).exists():
                errors[field] = [_("The domain %(domain)s is already in use.") % {"domain": domain}]
    if console_domain == portal_domain:
        errors["portal_domain"] = [_("The portal domain must differ from the console domain.")]
    if admin_password is not None:
        try:
            validate_password(admin_password, User(email=admin_email))
        except ValidationError as error:
            errors["admin_password"] = error.messages
    if errors:
        raise ValidationError(errors)


def vendor_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_name: str = "",
    admin_password: str | None = None,
    console_domain: str | None = None,
    portal_domain: str | None = None,
    brand_colour: str = "#1f6feb",
    progress: Callable[[int], None] | None = None,
) -> VendorCreated:
    """Create the schema, both domains and the first vendor admin, or nothing at all.

    With a password the admin can sign in at once (and must set up MFA); without one, an
    invitation link is issued. If any step fails, the schema and every row are removed.
    The schema is a copy of the template schema when that is current (prm.tenancy.template).
    `progress` hears the number of steps done (of VendorCreation.STEPS).
    """
    report = progress or (lambda step: None)
    slug = (slug or "").strip().lower()
    admin_email = (admin_email or "").strip().lower()
    default_console, default_portal = default_domains(slug)
    console_domain = (console_domain or default_console).lower()
    portal_domain = (portal_domain or default_portal).lower()
    with schema_context("public"):
        _validate(slug=slug, name=name or "", admin_email=admin_email, console_domain=console_domain,
                  portal_domain=portal_domain, admin_password=admin_password)
        report(1)
        vendor = Vendor(schema_name=schema_name_for(slug), slug=slug, name=name.strip(), brand_colour=brand_colour)
        try:
            vendor.save(verbosity=0)  # creates the schema: a copy of the template, or migrated
            report(2)
            with transaction.atomic():
                Domain.objects.create(domain=console_domain, tenant=vendor, kind=Domain.Kind.CONSOLE, is_primary=True)
                Domain.objects.create(domain=portal_domain, tenant=vendor, kind=Domain.Kind.PORTAL, is_primary=False)
            report(3)
            admin, token = _create_first_admin(vendor, admin_email, admin_name, admin_password)
            report(4)
        except BaseException:
            _remove_vendor(vendor)
            raise
    logger.info("vendor %s created (schema %s)", slug, vendor.schema_name)
    return VendorCreated(vendor, console_domain, portal_domain, admin, token)


def _create_first_admin(vendor: Vendor, email: str, full_name: str, password: str | None):
    from prm.invitations.services import invitation_issue

    with tenant_context(vendor), transaction.atomic():
        if password is None:
            _invitation, token = invitation_issue(email=email, role=Role.VENDOR_ADMIN, partner=None, invited_by=None)
            return None, token
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, role=Role.VENDOR_ADMIN,
            is_staff=True, is_superuser=True,
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user, None


def _remove_vendor(vendor: Vendor) -> None:
    """Undo a half-created vendor: drop its schema and delete its rows."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
    with connection.cursor() as cursor:
        # Inside an outer transaction, deferred foreign-key checks of the half-made schema
        # would block the drop; fire them first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'DROP SCHEMA IF EXISTS "{vendor.schema_name}" CASCADE')
    if vendor.pk:
        Domain.objects.filter(tenant_id=vendor.pk).delete()
        Vendor.objects.filter(pk=vendor.pk).delete()
    logger.warning("vendor %s removed with its schema and rows", vendor.slug)


def vendor_delete(vendor: Vendor) -> None:
    """Remove a vendor for good: its stored files, its schema, its domains and its row."""
    from django.core.files.storage import default_storage

    from prm.tenancy.archive import _media_names

    with tenant_context(vendor):
        for name in _media_names():
            default_storage.delete(name)
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
    if vendor.logo:
        vendor.logo.delete(save=False)
    _remove_vendor(vendor)
    logger.info("vendor %s deleted (schema %s)", vendor.slug, vendor.schema_name)


# ----------------------------------------------------------------------------- from the platform admin

def vendor_creation_request(*, slug: str, name: str, admin_email: str, admin_name: str = "",
                            requested_by: User | None = None) -> VendorCreation:
    """Check the request now (the form shows what is wrong) and leave the work to a worker.

    Creating a schema takes longer than a web request should; the admin's page follows the steps.
    """
    from prm.tenancy.tasks import vendor_creation_run

    slug = (slug or "").strip().lower()
    admin_email = (admin_email or "").strip().lower()
    console_domain, portal_domain = default_domains(slug)
    with schema_context("public"):
        _validate(slug=slug, name=name or "", admin_email=admin_email, console_domain=console_domain,
                  portal_domain=portal_domain, admin_password=None)
        if VendorCreation.objects.filter(slug=slug, status__in=[VendorCreation.Status.QUEUED,
                                                                VendorCreation.Status.RUNNING]).exists():
            raise ValidationError({"slug": [_("The vendor “%(slug)s” is already being created.") % {"slug": slug}]})
        creation = VendorCreation.objects.create(slug=slug, name=name.strip(), admin_email=admin_email,
                                                 admin_name=(admin_name or "").strip(), requested_by=requested_by)
    queue = settings.KYOSO_VENDOR_QUEUE or None
    transaction.on_commit(lambda: vendor_creation_run.apply_async(
        args=(creation.pk,), queue=queue, headers={"_schema_name": "public"}))  # type: ignore[arg-type]  # None: the task's routed queue; celery-types wants a name
    return creation


def vendor_creation_run(creation_id: int) -> VendorCreation | None:
    """Make the requested vendor, recording each step; a second delivery of a finished one does nothing."""
    from django.utils import timezone

    with schema_context("public"):
        with transaction.atomic():
            creation = VendorCreation.objects.select_for_update().filter(pk=creation_id).first()
            if creation is None or not creation.in_progress:
                return creation
            existing = Vendor.objects.filter(slug=creation.slug).first()
            if creation.status == VendorCreation.Status.RUNNING and existing is not None:
                # Delivered again after a worker died between the vendor and this row: it is there.
                creation.status, creation.step, creation.vendor = VendorCreation.Status.DONE, creation.STEPS, existing
                creation.finished_at = timezone.now()
                creation.save()
                return creation
            creation.status = VendorCreation.Status.RUNNING
            creation.save(update_fields=["status"])

        def progress(step: int) -> None:
            VendorCreation.objects.filter(pk=creation.pk).update(step=step)

        try:
            created = vendor_create(slug=creation.slug, name=creation.name, admin_email=creation.admin_email,
                                    admin_name=creation.admin_name, progress=progress)
        except ValidationError as error:
            messages = [message for field_messages in error.message_dict.values() for message in field_messages]
            creation.status, creation.error = VendorCreation.Status.FAILED, " ".join(messages)
        except Exception:
            logger.exception("vendor %s could not be created", creation.slug)
            creation.status = VendorCreation.Status.FAILED
            creation.error = _("The vendor could not be created; nothing was kept. The error is in the worker's log.")
        else:
            creation.status, creation.vendor = VendorCreation.Status.DONE, created.vendor
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
        creation.step = VendorCreation.objects.values_list("step", flat=True).get(pk=creation.pk)
        creation.finished_at = timezone.now()
        creation.save()
    return creation
