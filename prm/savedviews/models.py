from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A query string longer than this is no list's filters (the pipeline's longest is a few hundred characters).
MAX_QUERY_LENGTH = 2000
MAX_NAME_LENGTH = 80


class SavedView(models.Model):
    """A console list's filters kept under a name by one person (prm.savedviews); shared ones show to the team."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("owner"), db_index=False)
    list_key = models.CharField(max_length=60)
    name = models.CharField(_("name"), max_length=MAX_NAME_LENGTH)
    query = models.CharField(max_length=MAX_QUERY_LENGTH, blank=True)
    shared = models.BooleanField(_("share with the team"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key", "name"], name="saved_view_name_once_per_list"),
        ]
        indexes = [models.Index(fields=["list_key", "shared"], name="saved_view_shared")]

    def __str__(self) -> str:
        return self.name
