"""The partner portal: partner users only (every view uses portal.access.portal_view)."""

from django.urls import include, path

from prm import views
from prm.urls_common import common_patterns

urlpatterns = [
    path("", include("portal.urls")),
    path("mapping/", include("mapping.urls_portal")),
    path("notifications/", include("prm.notifications.urls")),
    path("webhooks/", include("webhooks.urls_portal")),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("brand/logo", views.brand_logo, name="brand_logo"),
    path("api/v1/", include("api.urls_portal")),
    *common_patterns,
]

handler400 = "prm.views.bad_request"
handler403 = "prm.views.permission_denied"
handler404 = "prm.views.page_not_found"
handler500 = "prm.views.server_error"
