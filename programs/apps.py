from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Partner programs")

    def ready(self):
        from programs import hooks
        from programs.recognition import exports  # noqa: F401  (registers the leaderboard with prm.exports)

        hooks.register()
