"""The platform domain: platform operators' admin."""

from django.urls import path

from prm import views
from prm.admin_site import platform_admin
from prm.urls_common import common_patterns

urlpatterns = [
    path("", views.platform_home, name="home"),
    path("admin/", platform_admin.urls),
    *common_patterns,
]

handler400 = "prm.views.bad_request"
handler403 = "prm.views.permission_denied"
handler404 = "prm.views.page_not_found"
handler500 = "prm.views.server_error"
