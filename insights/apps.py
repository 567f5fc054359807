from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Figures across the apps for the vendor: the console home, dashboards, partner health and the QBR pack."""

    name = "insights"
    verbose_name = _("Insights")

    def ready(self):
        from insights import hooks
        from insights.dashboards import exports  # noqa: F401  (registers the dashboard's tables with prm.exports)
        from insights.health.services import COMPONENT_LABELS
        from prm import messages

        hooks.register()
        messages.register_labels("health_component", COMPONENT_LABELS)
