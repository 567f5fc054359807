from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = _("Deal registration")

    def ready(self):
        from deals import exports, hooks, selectors  # noqa: F401  (exports: registers the pipeline's with prm.exports)
        from deals.forms import pipeline_query
        from partners.selectors import register_figure_source
        from prm import savedviews

        # partners (below deals) shows these figures on business plans: the owner's functions, registered
        register_figure_source("won_totals", selectors.won_totals)
        register_figure_source("registered_deals", selectors.registered_deal_count)
        # …and derives its partners' lifecycle stages from their first and latest deals
        register_figure_source("deal_lifecycle_dates", selectors.lifecycle_dates)
        hooks.register()
        # the pipeline keeps its managers' saved views, checked by its own filter form
        savedviews.register("deals.pipeline", url_name="deal_pipeline", clean=pipeline_query)
