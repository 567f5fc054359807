"""Who may open a console page. Every console view goes through one of these decorators."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def console_view(view=None, *, admin_only: bool = False):
    """Vendor staff only: anonymous users go to the login page, partner users get 403."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_vendor_staff or (admin_only and not user.is_vendor_admin):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        wrapper.kyoso_access = "console_admin" if admin_only else "console"
        return wrapper

    return decorator(view) if view is not None else decorator


def require_vendor_staff(actor, *, admin: bool = False) -> None:
    """For services: only the vendor's active staff may do this; with admin=True, only its vendor
    admins (the console_view of a write). Anonymous users and inactive accounts are refused.

    The one spelling of "is vendor staff" for services; who belongs to a partner is asked with
    partners.access.require_partner_member.
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_vendor_staff:
        raise PermissionDenied(_("Only the vendor's staff can do this."))
    if admin and not actor.is_vendor_admin:
        raise PermissionDenied(_("Only the vendor's administrators can do this."))
