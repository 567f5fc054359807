"""Django admin sites: one per tenant on its console domain, one for platform operators."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class AllauthSignInMixin:
    """The admin's own password form is never used: signing in goes through allauth.

    So the second factor, allauth's rate limits and the site rules of the account adapter
    hold for the admin as for every other page. Someone not signed in is sent to allauth's
    sign-in page (and back); someone signed in goes on to the admin if it is theirs, and is
    refused otherwise — the admin's form would let a signed-in user sign in as another
    account with a password alone.
    """

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return secure_admin_login(self._after_sign_in)(request)

    def _after_sign_in(self, request: HttpRequest) -> HttpResponse:
        if not self.has_permission(request):
            raise PermissionDenied
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(target)


class KyosoAdminSite(AllauthSignInMixin, admin.AdminSite):
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


class PlatformAdminSite(AllauthSignInMixin, admin.AdminSite):
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
