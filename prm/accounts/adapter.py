from __future__ import annotations

from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from prm.tenancy.models import Domain


def user_may_use_site(user, site_kind: str | None) -> bool:
    if not user.is_active:
        return False
    if site_kind == Domain.Kind.CONSOLE:
        return user.is_vendor_staff
    if site_kind == Domain.Kind.PORTAL:
        return user.is_partner_user
    if site_kind == Domain.Kind.PLATFORM:
        return user.is_superuser and not user.role
    return False


class AccountAdapter(DefaultAccountAdapter):
    """Kyoso is invitation-only, and each account signs in on its own site."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_login(self, request, user, **kwargs):
        site_kind = getattr(request, "site_kind", None)
        if not user_may_use_site(user, site_kind):
            if site_kind == Domain.Kind.CONSOLE and user.is_partner_user:
                message = _("This account belongs to a partner. Please sign in at the partner portal.")
            elif site_kind == Domain.Kind.PORTAL and user.is_vendor_staff:
                message = _("This is a vendor staff account. Please sign in at the vendor console.")
            else:
                message = _("This account cannot sign in here.")
            messages.error(request, message)
            return redirect(settings.LOGIN_URL)
        return super().pre_login(request, user, **kwargs)

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if getattr(request, "site_kind", None) == Domain.Kind.PORTAL:
            from partners.services import record_portal_login

            record_portal_login(user)
        return response

    def get_client_ip(self, request) -> str:
        """allauth's rate limits key on the same client address as Kyoso's own limits."""
        from prm.ratelimits import client_ip

        return client_ip(request)

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def send_mail(self, template_prefix, email, context):
        """allauth's e-mails greet with the vendor's name, not the bare host name."""
        request = context.get("request") or getattr(self, "request", None)
        vendor = getattr(request, "tenant", None)
        if request is not None and vendor is not None and vendor.schema_name != "public":
            context = {**context, "current_site": VendorSite(name=vendor.name, domain=request.get_host())}
        return super().send_mail(template_prefix, email, context)


@dataclass(frozen=True)
class VendorSite:
    name: str
    domain: str
