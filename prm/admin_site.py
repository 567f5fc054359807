"""Django admin sites: one per tenant on its console domain, one for platform operators."""

from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.utils.translation import gettext_lazy as _


class KyosoAdminSite(admin.AdminSite):
    """The tenant's admin at /admin/ on the console domain: vendor admins only."""

    site_header = _("Kyoso administration")
    site_title = _("Kyoso administration")
    index_title = _("Vendor data")

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            connection.schema_name != "public"
            and user.is_active
            and user.is_authenticated
            and user.is_vendor_admin
            and user.is_staff
        )


class PlatformAdminSite(admin.AdminSite):
    """The platform admin on the public domain: platform operators only."""

    site_header = _("Kyoso platform administration")
    site_title = _("Kyoso platform")
    index_title = _("Vendors and operators")

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            connection.schema_name == "public"
            and user.is_active
            and user.is_authenticated
            and user.is_superuser
            and not user.role
        )


platform_admin = PlatformAdminSite(name="platform_admin")
