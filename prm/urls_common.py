"""URL patterns every site serves: sign-in (allauth), language switch, health."""

from django.urls import include, path

from prm import views

common_patterns = [
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
]
