from django.urls import path

from api import views

urlpatterns = [
    path("", views.console_keys, name="api_keys"),
    path("<int:pk>/revoke/", views.console_key_revoke, name="api_key_revoke"),
]
