from django.urls import path

from programs import views

urlpatterns = [
    path("", views.overview, name="program_overview"),
    path("preview/", views.preview, name="program_preview"),
    path("run/", views.run, name="program_run"),
    path("changes/", views.changes, name="program_changes"),
    path("changes/<int:pk>/decide/", views.decide, name="program_decide"),
    path("tiers/<int:pk>/", views.tier_edit, name="program_tier_edit"),
    path("settings/", views.settings_edit, name="program_settings"),
]
