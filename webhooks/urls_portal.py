from django.urls import path

from webhooks import views

urlpatterns = [
    path("", views.portal_webhook_list, name="portal_webhook_list"),
    path("new/", views.portal_webhook_create, name="portal_webhook_create"),
    path("<int:pk>/", views.portal_webhook_detail, name="portal_webhook_detail"),
    path("<int:pk>/edit/", views.portal_webhook_edit, name="portal_webhook_edit"),
    path("<int:pk>/<slug:action>/", views.portal_webhook_action, name="portal_webhook_action"),
    path("<int:pk>/deliveries/<int:delivery_pk>/", views.portal_webhook_delivery, name="portal_webhook_delivery"),
    path("<int:pk>/deliveries/<int:delivery_pk>/resend/", views.portal_webhook_resend, name="portal_webhook_resend"),
]
