from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnablementConfig(AppConfig):
    name = "enablement"
    verbose_name = _("Enablement")

    def ready(self):
        from enablement import (
            exports,  # noqa: F401  (registers the access log with prm.exports)
            hooks,
            selectors,
        )
        from partners.selectors import register_figure_source

        # partners (below enablement) shows certified reps on business plans and ticks the onboarding item
        # 「認定資格の取得」 from the first certification: the owner's functions, registered
        register_figure_source("certified_reps", selectors.reps_with_valid_certification)
        register_figure_source("first_certifications", selectors.first_certifications)
        hooks.register()
