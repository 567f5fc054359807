from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MappingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mapping"
    verbose_name = _("Account mapping")

    def ready(self) -> None:
        # deals and partners sit below mapping and never import it: they expose a hook, and
        # mapping hands them its own selectors (which alone query mapping's tables).
        from deals import leads
        from mapping import selectors
        from partners import planning

        leads.register_serving_lookup(selectors.partners_serving)
        planning.register_customer_affinity(expression=selectors.customer_affinity_expression,
                                            scores=selectors.customer_affinity_scores)
