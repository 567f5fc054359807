"""Who may open a portal page. Every portal view goes through portal_view."""

from __future__ import annotations

from functools import wraps
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from partners.selectors import partner_for_user
from prm.postgres import prepared_statements

T = TypeVar("T")


def portal_view(view=None, *, admin_only: bool = False):
    """Partner users of an active partner only; sets request.partner for the view.

    Anonymous users go to the login page; vendor staff and users without an active
    company get 403; admin_only pages also refuse partner reps.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_partner_user or (admin_only and not user.is_partner_admin):
                raise PermissionDenied
            with prepared_statements():  # every portal page reads one partner's rows by key
                with prepared_statements(generic=None):  # a look-up by the user's key: planned alike either way
                    partner = partner_for_user(user)
                if partner is None or not partner.is_active:
                    raise PermissionDenied
                request.partner = partner
                return func(request, *args, **kwargs)

        wrapper.kyoso_access = "portal_admin" if admin_only else "portal"
        return wrapper

    return decorator(view) if view is not None else decorator


def or_404(found: T | None) -> T:
    """What a selector's look-up found, or 404: a record of another partner reads as one that does not exist."""
    if found is None:
        raise Http404
    return found
