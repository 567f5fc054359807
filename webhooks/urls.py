from django.urls import path

from webhooks import views

urlpatterns = [
    path("", views.webhook_list, name="webhook_list"),
    path("new/", views.webhook_create, name="webhook_create"),
    path("<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path("<int:pk>/<slug:action>/", views.webhook_action, name="webhook_action"),
    path("<int:pk>/deliveries/<int:delivery_pk>/", views.webhook_delivery, name="webhook_delivery"),
    path("<int:pk>/deliveries/<int:delivery_pk>/resend/", views.webhook_resend, name="webhook_resend"),
]
