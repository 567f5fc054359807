from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnablementConfig(AppConfig):
    name = "enablement"
    verbose_name = _("Enablement")

    def ready(self):
        from enablement import exports  # noqa: F401  (registers the access log with prm.exports)
