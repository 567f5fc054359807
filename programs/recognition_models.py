"""Recognition awards the vendor published: MVP of the month and rookie of the year.

Leaderboards and badges are computed from data every time (programs.recognition); only awards
are stored, because publishing one is a decision: who published it and when, and the portal
shows published awards only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm import messages


class AwardKind(models.TextChoices):
    MVP = "mvp", _("MVP of the month")
    ROOKIE = "rookie", _("Rookie of the year")


messages.register_labels("award_kind", AwardKind.choices)


class Award(models.Model):
    kind = models.CharField(_("award"), max_length=10, choices=AwardKind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="awards",
                                verbose_name=_("partner"), db_index=False)
    # The figures that decided it, as they were when it was published.
    revenue = models.BigIntegerField(_("won revenue (¥)"), default=0)
    won_deals = models.PositiveIntegerField(_("won deals"), default=0)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+", verbose_name=_("published by"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("withdrawn by"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start"], condition=Q(withdrawn_at__isnull=True),
                                    name="award_published_once_per_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="award_period_positive"),
        ]
        indexes = [models.Index(fields=["partner", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m} · {self.partner}"

    @property
    def is_published(self) -> bool:
        return self.withdrawn_at is None
