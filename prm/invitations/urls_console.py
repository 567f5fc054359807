from django.urls import path

from prm.invitations import views

urlpatterns = [
    path("", views.team, name="team"),
    path("invite/", views.invite, name="team_invite"),
    path("invitations/<int:pk>/revoke/", views.revoke, name="invitation_revoke"),
]
