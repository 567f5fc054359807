"""Partner health: per-vendor weights and bands, each partner's current score and its history."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PERCENT = [MaxValueValidator(100)]


class HealthBand(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    AT_RISK = "at_risk", _("At risk")
    DORMANT = "dormant", _("Dormant")


class HealthSettings(models.Model):
    """One row per vendor. Weights are percentages that add up to 100; bands are score thresholds."""

    weight_logins = models.PositiveSmallIntegerField(_("weight: portal sign-ins"), default=15, validators=PERCENT)
    weight_deals = models.PositiveSmallIntegerField(_("weight: registered deals"), default=20, validators=PERCENT)
    weight_certified = models.PositiveSmallIntegerField(_("weight: certified reps"), default=10, validators=PERCENT)
    weight_pass_rate = models.PositiveSmallIntegerField(_("weight: training pass rate"), default=5, validators=PERCENT)
    weight_active_contacts = models.PositiveSmallIntegerField(_("weight: active-contact rate"), default=15,
                                                              validators=PERCENT)
    weight_conversion = models.PositiveSmallIntegerField(_("weight: lead-to-deal conversion"), default=10,
                                                         validators=PERCENT)
    weight_recency = models.PositiveSmallIntegerField(_("weight: days since the last deal"), default=15,
                                                      validators=PERCENT)
    weight_first_deal = models.PositiveSmallIntegerField(_("weight: time to first deal (new partners)"), default=10,
                                                         validators=PERCENT)
    healthy_from = models.PositiveSmallIntegerField(_("healthy from (score)"), default=70, validators=PERCENT)
    at_risk_from = models.PositiveSmallIntegerField(_("at risk from (score)"), default=40, validators=PERCENT,
                                                    help_text=_("Below this the partner is dormant."))
    login_window_days = models.PositiveSmallIntegerField(_("sign-ins counted over (days)"), default=30)
    deal_window_days = models.PositiveSmallIntegerField(_("deals counted over (days)"), default=90)
    deal_target = models.PositiveSmallIntegerField(_("deals in that window for full marks"), default=5)
    conversion_window_days = models.PositiveSmallIntegerField(_("conversion measured over (days)"), default=365)
    recency_full_days = models.PositiveSmallIntegerField(_("full marks while the last deal is at most (days) old"),
                                                         default=14)
    recency_zero_days = models.PositiveSmallIntegerField(_("no marks once the last deal is (days) old"), default=180)
    new_partner_days = models.PositiveSmallIntegerField(_("a partner counts as new for (days)"), default=180)
    first_deal_full_days = models.PositiveSmallIntegerField(_("first deal within (days) for full marks"), default=30)
    first_deal_zero_days = models.PositiveSmallIntegerField(_("no marks without a first deal after (days)"), default=120)

    class Meta:
        db_table = "partners_healthsettings"  # the name it had under partners: no data moved
        verbose_name = _("health settings")
        verbose_name_plural = _("health settings")

    def __str__(self) -> str:
        return str(_("Health settings"))

    @classmethod
    def current(cls) -> HealthSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class HealthRun(models.Model):
    """One recalculation; dashboards cache by the latest run so they are never stale after one."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    partners = models.PositiveIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        db_table = "partners_healthrun"  # the name it had under partners: no data moved
        ordering = ["-started_at"]


class HealthScore(models.Model):
    """A partner's current score with every component's value and contribution (the explanation)."""

    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE, related_name="health",
                                   verbose_name=_("partner"))
    score = models.PositiveSmallIntegerField(_("health score"), validators=PERCENT)
    band = models.CharField(_("band"), max_length=10, choices=HealthBand.choices)
    components = models.JSONField(default=dict)
    previous_score = models.PositiveSmallIntegerField(null=True, blank=True)
    previous_band = models.CharField(max_length=10, choices=HealthBand.choices, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    run = models.ForeignKey(HealthRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    # Kept by a database trigger on every UPDATE too: the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        db_table = "partners_healthscore"  # the name it had under partners: no data moved
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        indexes = [models.Index(fields=["updated_at", "id"], name="healthscore_changed"), models.Index(fields=["band", "score"])]


class HealthSnapshot(models.Model):
    """The score of each partner on each day it was computed: trends and biggest movers read these."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="health_history", db_index=False)
    day = models.DateField()
    score = models.PositiveSmallIntegerField(validators=PERCENT)
    band = models.CharField(max_length=10, choices=HealthBand.choices)
    components = models.JSONField(default=dict)

    class Meta:
        db_table = "partners_healthsnapshot"  # the name it had under partners: no data moved
        ordering = ["partner", "day"]
        constraints = [models.UniqueConstraint(fields=["partner", "day"], name="health_snapshot_once_a_day")]
        indexes = [models.Index(fields=["day", "partner"])]


class HealthAlert(models.Model):
    """A partner fell into a worse band; its owner was notified with the components that fell."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="health_alerts")
    from_band = models.CharField(max_length=10, choices=HealthBand.choices, blank=True)
    to_band = models.CharField(max_length=10, choices=HealthBand.choices)
    score = models.PositiveSmallIntegerField()
    fallen = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    notified = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        db_table = "partners_healthalert"  # the name it had under partners: no data moved
        ordering = ["-created_at"]
