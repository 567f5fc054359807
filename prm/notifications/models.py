from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm import messages


class Notification(models.Model):
    """An in-app notification; also e-mailed, on its own or in a digest, as its recipient chose."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    kind = models.CharField(max_length=50)
    # As written in the recipient's language when it was made: the e-mail's text, and what is shown when
    # `message` is empty (free text such as an announcement) or names a message that no longer exists.
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    # {"title": {"code", "params"}, "body": {…}} (prm.messages): shown in the reader's language of the moment.
    message = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When it went out by e-mail, on its own or in a daily digest; a digest takes each one once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        return messages.render(self.message.get("title"), self.title)

    @property
    def shown_body(self) -> str:
        return messages.render(self.message.get("body"), self.body)


class NotificationPreference(models.Model):
    """How one person wants one kind of notification: in the app only, by e-mail, or in a daily digest.

    No row means the kind's default (prm.notifications.kinds).
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app only")
        EMAIL = "email", _("E-mail, each time")
        DIGEST = "digest", _("One e-mail a day (summary)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences", db_index=False)
    kind = models.CharField(max_length=50)
    channel = models.CharField(_("delivery"), max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
