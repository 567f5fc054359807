from django.urls import path

from mapping import portal_views as views

urlpatterns = [
    path("", views.mapping_home, name="portal_mapping"),
    path("upload/", views.list_upload, name="portal_mapping_upload"),
    path("uploads/<int:pk>/", views.list_preview, name="portal_mapping_preview"),
    path("uploads/<int:pk>/apply/", views.list_apply, name="portal_mapping_apply"),
    path("uploads/<int:pk>/discard/", views.list_discard, name="portal_mapping_discard"),
    path("lists/<int:pk>/delete/", views.list_delete, name="portal_mapping_list_delete"),
    path("sharing/", views.sharing, name="portal_mapping_sharing"),
    path("overlap/<str:vendor>/<str:own>/", views.overlap_cell, name="portal_mapping_cell"),
    path("targets/", views.targets, name="portal_targets"),
]
