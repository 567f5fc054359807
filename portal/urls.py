from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("team/", views.team, name="portal_team"),
    path("team/invite/", views.invite, name="portal_team_invite"),
]
