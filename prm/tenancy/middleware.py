from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware

from prm.tenancy.models import Domain

URLCONFS = {
    Domain.Kind.CONSOLE: "prm.urls_console",
    Domain.Kind.PORTAL: "prm.urls_portal",
    Domain.Kind.PLATFORM: "prm.urls_public",
}


class VendorMiddleware(TenantMainMiddleware):
    """django-tenants' tenant middleware, with a proper page for an unknown host.

    The one domain look-up also tells which site (console, portal, platform) was asked for; it is
    cached (prm.tenancy.lookups), since every request makes it.
    """

    def get_tenant(self, domain_model, hostname):
        from prm.tenancy.lookups import vendor_for_host

        return vendor_for_host(hostname)

    def no_tenant_found(self, request, hostname):
        request.site_kind = None
        request.urlconf = "prm.urls_unknown"
        set_urlconf(request.urlconf)
        return render(request, "errors/unknown_host.html", {"hostname": hostname}, status=404)


class SiteKindMiddleware:
    """Serve the console or the portal URL set according to the request's domain row."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return self.get_response(request)
        if tenant.schema_name == settings.PUBLIC_SCHEMA_NAME:
            request.site_kind = Domain.Kind.PLATFORM
        else:
            # A tenant domain row marked "platform" would be a data error: serve the console.
            kind = getattr(tenant, "site_kind", Domain.Kind.CONSOLE)
            request.site_kind = Domain.Kind.CONSOLE if kind == Domain.Kind.PLATFORM else kind
        request.urlconf = URLCONFS[request.site_kind]
        # Django switches the URL conf only when it resolves the view; the middleware below
        # (access checks rendering error pages) must already reverse in the right one.
        set_urlconf(request.urlconf)
        return self.get_response(request)


def vendor_zone(tenant) -> zoneinfo.ZoneInfo:
    """The zone a vendor's times are shown in (Asia/Tokyo by default, and for a zone that no longer exists)."""
    try:
        return zoneinfo.ZoneInfo(getattr(tenant, "time_zone", None) or settings.TIME_ZONE)
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class TimezoneMiddleware:
    """Show times in the vendor's zone (Asia/Tokyo by default); the database keeps UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(vendor_zone(getattr(request, "tenant", None)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

