from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("team/", views.team, name="portal_team"),
    path("team/invite/", views.invite, name="portal_team_invite"),
    path("team/<int:user_pk>/deactivate/", views.deactivate, name="portal_team_deactivate"),
    path("company/", views.company, name="portal_company"),
    path("onboarding/", views.onboarding, name="portal_onboarding"),
    path("plan/", views.plan, name="portal_plan"),
    path("network/", views.network, name="portal_network"),
    path("apply/", views.apply, name="portal_apply"),
    path("apply/thanks/", views.apply_thanks, name="portal_apply_thanks"),
]
