from django.urls import path

from prm.savedviews import views

urlpatterns = [
    path("", views.saved_view_create, name="saved_view_create"),
    path("<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
]
