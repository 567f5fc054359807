"""Console dashboards (insights): selectors, caching, presentation, and the partner health card.

`overview(filters)` is what the insights page renders (cached, never stale after a health
recalculation); `overview(filters, use_cache=False)` computes every section afresh.
"""

from partners.dashboards.cached import overview
from partners.dashboards.filters import DashboardForm, Filters, Preset
from partners.dashboards.partner_health import HealthCard, health_card
from partners.dashboards.selectors import Overview

__all__ = ["DashboardForm", "Filters", "HealthCard", "Overview", "Preset", "health_card", "overview"]
