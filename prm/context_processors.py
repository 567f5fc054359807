from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from prm.tenancy.models import Domain

LAYOUTS = {
    Domain.Kind.CONSOLE: "console/base.html",
    Domain.Kind.PORTAL: "portal/base.html",
    Domain.Kind.PLATFORM: "public/base.html",
}


def site(request) -> dict:
    kind = getattr(request, "site_kind", None)
    tenant = getattr(request, "tenant", None)
    vendor = tenant if tenant is not None and tenant.schema_name != settings.PUBLIC_SCHEMA_NAME else None
    user = getattr(request, "user", None)
    unread: str | SimpleLazyObject = ""
    if vendor is not None and user is not None and user.is_authenticated:
        from prm.notifications.services import bell_label

        # Counted when the page draws the bell: an htmx fragment (a search while typing, a table page) never does.
        unread = SimpleLazyObject(lambda: bell_label(user))
    return {
        "unread_notifications": unread,
        "site_kind": kind,
        "site_layout": LAYOUTS.get(kind, "public/base.html"),
        "vendor": vendor,
        "languages": settings.LANGUAGES,
    }
