from django.urls import path

from prm.notifications import views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("preferences/", views.notification_preferences, name="notification_preferences"),
    path("read/", views.notification_read, name="notification_read_all"),
    path("<int:pk>/read/", views.notification_read, name="notification_read"),
]
