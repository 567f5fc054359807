from __future__ import annotations

import logging

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,29}$"
slug_validator = RegexValidator(
    SLUG_PATTERN,
    _("Use 2–30 lower-case letters, digits or hyphens, starting with a letter."),
)
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


def branding_storage():
    from django.conf import settings
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.MEDIA_ROOT, base_url=None)


class Vendor(TenantMixin):
    """One vendor = one tenant = one PostgreSQL schema."""

    slug = models.SlugField(_("slug"), max_length=30, unique=True, validators=[slug_validator])
    name = models.CharField(_("company name"), max_length=200)
    brand_colour = models.CharField(_("brand colour"), max_length=7, default="#1f6feb", validators=[colour_validator])
    # Shared by every schema, so not the tenant-aware default storage.
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True, storage=branding_storage)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"), default=4, choices=[(m, str(m)) for m in range(1, 13)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def initial(self) -> str:
        """The first character of the name without its legal form, for the portal's mark."""
        bare = self.name
        for legal_form in ("株式会社", "有限会社", "合同会社", "（株）", "(株)", "㈱"):
            bare = bare.replace(legal_form, "")
        return (bare.strip() or self.name)[:1]

    def domain_for(self, kind: str) -> Domain | None:
        return self.domains.filter(kind=kind).order_by("-is_primary", "id").first()

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """A copy of the template schema when it is current; otherwise django-tenants' migrate."""
        from django.db import connection
        from django_tenants.postgresql_backend.base import _check_schema_name
        from django_tenants.utils import schema_exists

        from prm.tenancy.template import schema_clone, template_script

        if sync_schema and self.schema_name != "public":
            _check_schema_name(self.schema_name)
            if check_if_exists and schema_exists(self.schema_name):
                return False
            connection.set_schema_to_public()
            script = template_script()
            if script is not None:
                schema_clone(self.schema_name, script)
                return True
            logging.getLogger(__name__).warning(
                "template schema missing or behind the code's migrations: migrating %s in full "
                "(run setup_platform to rebuild the template)", self.schema_name)
        return super().create_schema(check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity)


class Domain(DomainMixin):
    class Kind(models.TextChoices):
        CONSOLE = "console", _("Vendor console")
        PORTAL = "portal", _("Partner portal")
        PLATFORM = "platform", _("Platform")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CONSOLE)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


class SchemaRelease(models.Model):
    """What the release step last brought a set of schemas to, by migration fingerprint.

    "vendors": every vendor schema was migrated to this fingerprint, so a start with the same
    code skips the walk over them. "public": the same for the public schema. "template": the template schema's fingerprint and the
    statements that copy it (prm.tenancy.template).
    """

    key = models.CharField(max_length=30, primary_key=True)
    fingerprint = models.CharField(max_length=64)
    script = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.fingerprint[:12]}"


class VendorCreation(models.Model):
    """A vendor the platform admin asked for, made by a worker: its page follows the steps."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Creating")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    STEPS = 4  # checked, schema, domains, first admin

    slug = models.CharField(_("slug"), max_length=30)
    name = models.CharField(_("company name"), max_length=200)
    admin_email = models.CharField(_("first admin's e-mail address"), max_length=254)
    admin_name = models.CharField(_("first admin's name"), max_length=150, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.PositiveSmallIntegerField(_("steps done"), default=0)
    error = models.TextField(_("error"), blank=True)
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("vendor creation")
        verbose_name_plural = _("vendor creations")

    def __str__(self) -> str:
        return self.slug

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else min(100, self.step * 100 // self.STEPS)
