"""The vendor console: vendor staff only (every view uses prm.accounts.access.console_view)."""

from django.contrib import admin
from django.urls import include, path

from prm import views
from prm.urls_common import common_patterns

urlpatterns = [
    path("", include("insights.urls_home")),
    path("help/figures/", views.figures_help, name="figures_help"),
    path("team/", include("prm.invitations.urls_console")),
    path("partners/", include("partners.urls")),
    path("", include("insights.urls")),
    path("deals/", include("deals.urls")),
    path("mapping/", include("mapping.urls")),
    path("programs/", include("programs.urls")),
    path("incentives/", include("incentives.urls")),
    path("enablement/", include("enablement.urls")),
    path("notifications/", include("prm.notifications.urls")),
    path("exports/", include("prm.exports.urls")),
    path("views/", include("prm.savedviews.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls_console")),
    path("api-keys/", include("api.urls_keys_console")),
    *common_patterns,
]

handler400 = "prm.views.bad_request"
handler403 = "prm.views.permission_denied"
handler404 = "prm.views.page_not_found"
handler500 = "prm.views.server_error"
