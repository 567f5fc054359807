from django.urls import path

from partners.views import dashboards

urlpatterns = [
    path("", dashboards.insights_overview, name="insights_overview"),
]
