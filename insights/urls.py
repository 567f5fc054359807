"""Insights' console pages, at the paths they had under partners (included at the console's root)."""

from django.urls import path

from insights.views import dashboards, health, qbr, search

app_name = "insights"

urlpatterns = [
    path("insights/", dashboards.insights_overview, name="overview"),
    path("search/", search.search, name="search"),
    path("partners/settings/health/", health.health_settings, name="health_settings"),
    path("partners/settings/health/recalculate/", health.health_recalculate, name="health_recalculate"),
    path("partners/<int:pk>/qbr.pdf", qbr.partner_qbr, name="partner_qbr"),
    path("partners/<int:pk>/qbr/", qbr.partner_qbr_start, name="partner_qbr_start"),
    path("partners/qbr/<int:pk>/", qbr.qbr_job, name="partner_qbr_job"),
    path("partners/qbr/<int:pk>/file/", qbr.qbr_job_file, name="partner_qbr_job_file"),
]
