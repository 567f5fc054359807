"""Django admin sites: one per tenant on its console domain, one for platform operators."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from prm.params import next_url


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
        default = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(next_url(request, request.GET.get("next", ""), default))


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


class ServiceOwnedAdmin(admin.ModelAdmin):
    """Records that only the services write, because the services enforce the rules, audit and notify
    (a deal's stage, ledger lines, payouts, plan versions): the tenant admin shows them and does not
    add, change or delete them. `editable_fields` opens descriptive fields of rows `may_change` allows;
    `deletable` opens deletion of the rows `may_delete` allows."""

    editable_fields: tuple[str, ...] = ()
    deletable = False

    def may_change(self, obj) -> bool:
        return True

    def may_delete(self, obj) -> bool:
        return True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return (bool(self.editable_fields) and super().has_change_permission(request, obj)
                and (obj is None or self.may_change(obj)))

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj) and (obj is None or self.may_delete(obj))

    def get_readonly_fields(self, request, obj=None):
        """Every field but the editable ones, so that a field added to the model later is read-only too."""
        fields = [*self.opts.concrete_fields, *self.opts.many_to_many]
        return [field.name for field in fields if not field.auto_created and field.name not in self.editable_fields]

    def get_urls(self):
        """No add page (and no delete page when nothing may be deleted) rather than pages that answer 403."""
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        dropped = {f"{info}_add"} | (set() if self.deletable else {f"{info}_delete"})
        return [url for url in super().get_urls() if getattr(url, "name", None) not in dropped]
