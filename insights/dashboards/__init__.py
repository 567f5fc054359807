"""Console dashboards (insights): selectors, caching, presentation, and the partner health card.

`overview(filters)` is what the insights page renders (cached, never stale after a health
recalculation); `overview(filters, use_cache=False)` computes every section afresh.
"""

from insights.dashboards.cached import overview
from insights.dashboards.filters import DashboardForm, Filters, Preset
from insights.dashboards.partner_health import HealthCard, health_card
from insights.dashboards.selectors import Overview

__all__ = ["DashboardForm", "Filters", "HealthCard", "Overview", "Preset", "health_card", "overview"]
