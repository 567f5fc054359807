from django.urls import include, path

urlpatterns = [
    path("", include("enablement.urls_learning")),
    path("", include("enablement.urls_resources")),
]
