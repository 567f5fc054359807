from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from prm.tenancy.models import Domain

_ALWAYS_ALLOWED_PREFIXES = ("mfa_", "account_logout", "account_reauthenticate", "set_language")


class RequireMfaMiddleware:
    """Vendor admins must set up TOTP before they can use the console."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            messages.warning(request, _("Vendor admins must turn on two-factor authentication before continuing."))
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request) -> bool:
        if getattr(request, "site_kind", None) != Domain.Kind.CONSOLE:
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_vendor_admin:
            return False
        try:
            match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            return False
        if (match.url_name or "").startswith(_ALWAYS_ALLOWED_PREFIXES) or _is_api(match):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _is_api(match) -> bool:
    """The REST API authenticates keys, not sessions: a session's site and MFA do not concern it."""
    return getattr(match.func, "kyoso_access", None) in ("api", "api_public")


_ANY_SIGNED_IN_USER_MAY = ("account_logout", "set_language", "healthz", "brand_css", "brand_logo")


class SiteAccessMiddleware:
    """A signed-in account is only good on its own site.

    Partner users never get a console page (the admin included), vendor staff never get a
    portal page, and tenant accounts never reach the platform. Views add their own role
    checks on top; this is the floor under all of them, allauth's pages included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import PermissionDenied

        from prm.accounts.adapter import user_may_use_site

        user = getattr(request, "user", None)
        kind = getattr(request, "site_kind", None)
        if user is not None and user.is_authenticated and kind and not user_may_use_site(user, kind):
            try:
                match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
                name = match.url_name or ""
                api = _is_api(match)
            except Resolver404:
                name, api = "", False
            if name not in _ANY_SIGNED_IN_USER_MAY and not api:
                from prm.views import permission_denied

                return permission_denied(request, PermissionDenied())
        return self.get_response(request)
