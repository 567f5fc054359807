"""The console's home page. Not namespaced: every site redirects to `home` after signing in."""

from django.urls import path

from insights.views import home

urlpatterns = [
    path("", home.console_home, name="home"),
]
