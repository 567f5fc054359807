"""Absolute URLs of a vendor's sites, for e-mails and for what commands print."""

from __future__ import annotations

from django.conf import settings


def origin(domain: str) -> str:
    port = settings.KYOSO_PUBLIC_PORT
    default_port = "443" if settings.KYOSO_URL_SCHEME == "https" else "80"
    suffix = f":{port}" if port and port != default_port else ""
    return f"{settings.KYOSO_URL_SCHEME}://{domain}{suffix}"


def reverse_path(name: str, kind: str, **kwargs) -> str:
    """A URL path on one site of the vendor ("console" or "portal"), whichever site the caller is on."""
    from django.urls import reverse

    from prm.tenancy.middleware import URLCONFS

    return reverse(name, urlconf=URLCONFS[kind], kwargs=kwargs)


def site_url(vendor, kind: str, path: str = "/") -> str:
    from prm.tenancy.lookups import domain_names

    domain = domain_names(vendor).get(kind)  # cached: every notification and e-mail link asks
    if domain is None:
        raise LookupError(f"vendor {vendor.slug} has no {kind} domain")
    return origin(domain) + path


def user_site_kind(user) -> str:
    """The site a person works on: the console for the vendor's staff, the portal for partner users."""
    return "console" if user.is_vendor_staff else "portal"


def user_url(vendor, user, path: str = "/") -> str:
    """An absolute link for an e-mail to `user`: the path on their own site of the vendor."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return site_url(vendor, user_site_kind(user), path)
