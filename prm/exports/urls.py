from django.urls import path

from prm.exports import views

urlpatterns = [
    path("<int:pk>/", views.export_job, name="export_job"),
    path("<int:pk>/file/", views.export_job_file, name="export_job_file"),
]
