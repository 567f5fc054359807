from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self):
        from partners import (
            exports,  # noqa: F401  (registers the large exports with prm.exports)
            receivers,  # noqa: F401  (the portal sign-in signal, the invitation hooks)
        )
