from django.urls import path

from mapping import views

urlpatterns = [
    path("", views.overview, name="mapping_overview"),
    path("conditions/", views.conditions, name="mapping_conditions"),
    path("sharing/", views.sharing, name="mapping_sharing"),
    path("upload/", views.list_upload, name="mapping_upload"),
    path("uploads/<int:pk>/", views.list_preview, name="mapping_preview"),
    path("uploads/<int:pk>/apply/", views.list_apply, name="mapping_apply"),
    path("uploads/<int:pk>/discard/", views.list_discard, name="mapping_discard"),
    path("lists/<int:pk>/delete/", views.list_delete, name="mapping_list_delete"),
    path("partners/<int:partner_pk>/", views.partner_matrix, name="mapping_partner"),
    path("partners/<int:partner_pk>/recompute/", views.partner_recompute, name="mapping_recompute"),
    path("partners/<int:partner_pk>/overlap/<str:vendor>/<str:own>/", views.overlap_cell, name="mapping_cell"),
]
