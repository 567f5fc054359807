from django.urls import path

from api import views

urlpatterns = [
    path("", views.portal_keys, name="portal_api_keys"),
    path("<int:pk>/revoke/", views.portal_key_revoke, name="portal_api_key_revoke"),
]
