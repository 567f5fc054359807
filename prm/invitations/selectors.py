from __future__ import annotations

from django.db.models import QuerySet

from prm.accounts.models import STAFF_ROLES, User
from prm.invitations.models import Invitation


def staff_list() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "full_name", "email")


def invitation_list(*, partner=None, staff_only: bool = False) -> QuerySet[Invitation]:
    qs = Invitation.objects.select_related("partner", "invited_by").order_by("-created_at")
    if partner is not None:
        qs = qs.filter(partner=partner)
    elif staff_only:
        qs = qs.filter(partner__isnull=True)
    return qs


def colleague_list(partner) -> QuerySet[User]:
    return User.objects.filter(partner_membership__partner=partner).order_by("-is_active", "full_name", "email")
