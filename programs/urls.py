from django.urls import path

from programs import views
from programs.recognition import views as recognition

urlpatterns = [
    path("", views.overview, name="program_overview"),
    path("preview/", views.preview, name="program_preview"),
    path("run/", views.run, name="program_run"),
    path("changes/", views.changes, name="program_changes"),
    path("changes/<int:pk>/decide/", views.decide, name="program_decide"),
    path("tiers/<int:pk>/", views.tier_edit, name="program_tier_edit"),
    path("settings/", views.settings_edit, name="program_settings"),
    path("recognition/", recognition.recognition, name="program_recognition"),
    path("recognition/export.csv", recognition.recognition_export, name="program_recognition_export"),
    path("recognition/publish/", recognition.award_publish, name="program_award_publish"),
    path("recognition/awards/<int:pk>/withdraw/", recognition.award_withdraw, name="program_award_withdraw"),
]
