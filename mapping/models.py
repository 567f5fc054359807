"""Account mapping: customer lists (the partners' and the vendor's target accounts), the matches
with the vendor's populations, and one snapshot of the overlap counts per recompute.

Records store the one customer matcher's keys (deals.matching) in indexed columns, exactly as
deal registrations do, so the overlap is a set of equality joins in SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from deals.models import CustomerKeyFields, CustomerSegmentFields, customer_key_indexes


class VendorPopulation(models.TextChoices):
    DIRECT = "direct", _("Direct-sales accounts")
    OPEN = "open", _("Open opportunities")
    WON = "won", _("Won customers")
    TARGETS = "targets", _("Target accounts")


class PartnerPopulation(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    PROSPECTS = "prospects", pgettext_lazy("customer list", "Prospects")


class Sharing(models.TextChoices):
    COUNTS = "counts", _("Counts only")
    NAMES = "names", _("Overlapping company names")


class CustomerList(models.Model):
    """One uploaded list: a partner's customers or prospects, or (partner empty) the vendor's
    target accounts. Uploading again replaces the list; deleting it deletes every record."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="customer_lists", verbose_name=_("partner"), db_index=False)
    population = models.CharField(_("list"), max_length=10)
    filename = models.CharField(_("file"), max_length=255)
    row_count = models.PositiveIntegerField(_("records"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["partner_id", "population"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "population"], name="one_list_per_partner_population"),
            models.UniqueConstraint(fields=["population"], condition=models.Q(partner__isnull=True),
                                    name="one_vendor_list_per_population"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def population_label(self) -> str:
        if self.partner_id is None:
            return str(VendorPopulation(self.population).label)
        return str(PartnerPopulation(self.population).label)


class CustomerRecord(CustomerKeyFields, CustomerSegmentFields):
    # No database foreign-key checks on the bulk tables: 100,000 records are written by one COPY
    # and deleted by set-based DELETEs in the same service, and a per-row constraint trigger
    # cost more than the overlap itself (bench mapping). The ORM still cascades.
    customer_list = models.ForeignKey(CustomerList, on_delete=models.CASCADE, related_name="records",
                                      db_constraint=False)
    line = models.PositiveIntegerField()

    class Meta:
        ordering = ["customer_list", "line"]
        indexes = customer_key_indexes("record")


class ListUpload(models.Model):
    """An uploaded file waiting for its preview to be confirmed (all or nothing)."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    population = models.CharField(max_length=10)
    filename = models.CharField(max_length=255)
    encoding = models.CharField(max_length=10)
    content = models.TextField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]


class OverlapMatch(models.Model):
    """One partner record found in one vendor population, as of the partner's last recompute."""

    # Indexed by the (partner, population) index and the unique (record, population) constraint.
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    record = models.ForeignKey(CustomerRecord, on_delete=models.CASCADE, related_name="matches", db_constraint=False,
                               db_index=False)
    vendor_population = models.CharField(max_length=10, choices=VendorPopulation.choices)

    class Meta:
        indexes = [models.Index(fields=["partner", "vendor_population"], name="overlap_partner_population")]
        constraints = [models.UniqueConstraint(fields=["record", "vendor_population"], name="one_match_per_population")]


class OverlapSnapshot(models.Model):
    """The matrix of one recompute: {"<vendor>:<partner>": count}, and the list sizes."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="overlap_snapshots")
    computed_at = models.DateTimeField(default=timezone.now, db_index=True)
    cells = models.JSONField(default=dict)
    sizes = models.JSONField(default=dict)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-computed_at", "-id"]


class SharingSetting(models.Model):
    """What one side lets the other see of the overlap with one of its populations.
    partner empty: the vendor's choice for a vendor population."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    population = models.CharField(max_length=10)
    level = models.CharField(_("sharing"), max_length=10, choices=Sharing.choices, default=Sharing.COUNTS)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "population"], name="one_sharing_per_partner_population"),
            models.UniqueConstraint(fields=["population"], condition=models.Q(partner__isnull=True),
                                    name="one_vendor_sharing_per_population"),
        ]
