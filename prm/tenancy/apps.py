from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "prm.tenancy"
    label = "tenancy"
    verbose_name = _("Vendors")

    def ready(self) -> None:
        from prm.tenancy import lookups

        lookups.connect()
