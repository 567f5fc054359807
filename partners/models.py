from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerType(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    AGENCY = "agency", _("Agency")
    RESALE = "resale", _("Resale")
    DISTRIBUTOR = "distributor", _("Distributor")
    SOLUTION = "solution", _("Solution partner")
    OEM = "oem", _("OEM")
    ALLIANCE = "alliance", _("Alliance")


class Partner(models.Model):
    """A partner company of the vendor. The full domain (lifecycle, agreements …) comes later."""

    name = models.CharField(_("company name"), max_length=200)
    name_kana = models.CharField(_("company name (kana)"), max_length=200, blank=True)
    partner_type = models.CharField(_("partner type"), max_length=20, choices=PartnerType.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name_kana", "name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="partner_name_unique")]

    def __str__(self) -> str:
        return self.name


class PartnerMembership(models.Model):
    """A partner user belongs to exactly one partner company."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_membership", verbose_name=_("user")
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("partner"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner membership")
        verbose_name_plural = _("partner memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"
