"""Who may open a console page. Every console view goes through one of these decorators."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


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


def require_vendor_staff(actor) -> None:
    """For services: only the vendor's staff may do this (the console_view of a write)."""
    if not actor.is_vendor_staff:
        raise PermissionDenied
