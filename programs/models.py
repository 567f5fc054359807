from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from prm import messages
from prm.bounds import yen_validators


class Metric(models.TextChoices):
    WON_REVENUE = "won_revenue", _("Won revenue (¥)")
    WON_DEALS = "won_deals", _("Won deals")
    REGISTERED_DEALS = "registered_deals", _("Registered deals")
    CERTIFIED_REPS = "certified_reps", _("Certified reps")
    ACTIVE_CONTACTS = "active_contacts", _("Active contacts")
    SALES_POINTS = "sales_points", _("Sales points")
    MANAGEMENT_POINTS = "management_points", _("Management points")
    TOTAL_POINTS = "total_points", _("Total points")


MONEY_METRICS = {Metric.WON_REVENUE}


class Window(models.TextChoices):
    TRAILING_12_MONTHS = "trailing_12m", _("Trailing 12 months")
    FISCAL_YEAR = "fiscal_year", _("Current fiscal year")


class ProgramSettings(models.Model):
    """One row per vendor: how tier changes are applied."""

    upgrades_need_approval = models.BooleanField(_("upgrades need approval"), default=False)
    downgrade_grace_days = models.PositiveIntegerField(
        _("downgrade grace period (days)"), default=91, validators=[MaxValueValidator(730)],
        help_text=_("A partner that stops qualifying keeps its tier this long before a downgrade is proposed."),
    )

    class Meta:
        verbose_name = _("programme settings")
        verbose_name_plural = _("programme settings")

    @classmethod
    def current(cls) -> ProgramSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class Program(models.Model):
    name = models.CharField(_("name"), max_length=100)
    partner_types = ArrayField(models.CharField(max_length=20), verbose_name=_("partner types"))
    description = models.TextField(_("description"), blank=True)
    # HubSpot-style points: sales points per ¥1,000,000 won, management points per activity.
    points_per_million_sourced = models.PositiveIntegerField(_("sales points per ¥1M, partner-sourced"), default=100)
    points_per_million_assisted = models.PositiveIntegerField(_("sales points per ¥1M, vendor-assisted"), default=50)
    points_per_activity = models.PositiveIntegerField(_("management points per meeting or QBR"), default=10)
    points_per_certification = models.PositiveIntegerField(_("management points per certification"), default=20)
    points_per_retained_customer = models.PositiveIntegerField(
        _("management points per repeat customer"), default=30,
        help_text=_("A customer the partner won again within the window counts as retained."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class Tier(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("programme"), db_index=False)
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the entry tier; higher is better."))
    description = models.TextField(_("description"), blank=True)
    # No margin here: what a tier earns on a won deal is the published plans' percent rules for it
    # (incentives.selectors.tier_plan_rates), so it is typed once, in the plan.
    deal_capacity = models.PositiveIntegerField(_("open deal registrations"), null=True, blank=True,
                                                help_text=_("Empty: no limit."))
    lead_priority = models.PositiveSmallIntegerField(_("lead priority"), default=0, validators=[MaxValueValidator(100)])
    mdf_allocation = models.BigIntegerField(_("MDF per fiscal year (¥)"), default=0, validators=yen_validators)
    gated_content = models.BooleanField(_("access to gated content"), default=False)
    early_roadmap = models.BooleanField(_("early roadmap access"), default=False)

    class Meta:
        ordering = ["program", "rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [
            models.UniqueConstraint(fields=["program", "rank"], name="tier_rank_unique"),
            models.UniqueConstraint(fields=["program", "code"], name="tier_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    """One threshold. Requirements in the same option all apply (AND); a tier is reached
    through any one of its options (OR)."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="requirements", db_index=False)
    option = models.PositiveSmallIntegerField(_("option"), default=1)
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    threshold = models.BigIntegerField(_("threshold"), validators=yen_validators)
    window = models.CharField(_("window"), max_length=20, choices=Window.choices, default=Window.TRAILING_12_MONTHS)
    annual_step = models.BigIntegerField(_("rises each fiscal year by"), default=0, validators=yen_validators)
    base_fiscal_year = models.PositiveSmallIntegerField(_("from fiscal year"), default=2026)

    class Meta:
        ordering = ["tier", "option", "id"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.UniqueConstraint(fields=["tier", "option", "metric", "window"], name="requirement_once_per_option"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} ≥ {self.threshold}"

    def threshold_for(self, fiscal_year: int) -> int:
        return self.threshold + self.annual_step * max(0, fiscal_year - self.base_fiscal_year)


class PartnerTier(models.Model):
    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE, related_name="tier_status")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    since = models.DateTimeField(default=timezone.now)
    metrics = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    # Kept by a database trigger on every UPDATE too: the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="partnertier_changed")]
        verbose_name = _("partner tier")
        verbose_name_plural = _("partner tiers")


class TierChange(models.Model):
    class Direction(models.TextChoices):
        UP = "up", _("Upgrade")
        DOWN = "down", _("Downgrade")

    class Status(models.TextChoices):
        GRACE = "grace", _("In grace period")
        PENDING = "pending", _("Waiting for approval")
        APPLIED = "applied", pgettext_lazy("tier change", "Applied")  # put into effect, not 応募
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled: qualifies again")

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    detected_at = models.DateTimeField(default=timezone.now)
    eligible_at = models.DateTimeField(_("can be applied from"), default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # As written when it was detected (and decided): the API's text, and what is shown without `reason_message`.
    reason = models.TextField(_("reason"), blank=True)
    # Why, as a message (prm.messages) shown in the reader's language, and the note of whoever decided.
    reason_message = models.JSONField(default=dict, blank=True)
    decision_note = models.TextField(blank=True, default="")
    metrics = models.JSONField(default=dict)

    # Kept by a database trigger on every UPDATE too: the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="tierchange_changed")]
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partner"], condition=Q(status__in=["grace", "pending"]),
                                    name="one_open_tier_change_per_partner"),
        ]

    @property
    def shown_reason(self) -> str:
        written = messages.render(self.reason_message, "")
        if not written:
            return self.reason
        return f"{written} / {self.decision_note}" if self.decision_note else written


class EvaluationRun(models.Model):
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    partners = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]


from programs.recognition_models import Award, AwardKind  # noqa: E402,F401  (recognition awards, registered with this app)
