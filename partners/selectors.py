from __future__ import annotations

from django.db.models import Count, QuerySet

from partners.models import Partner


def partner_list() -> QuerySet[Partner]:
    return Partner.objects.annotate(user_count=Count("memberships")).order_by("name_kana", "name")


def partner_for_user(user) -> Partner | None:
    membership = getattr(user, "partner_membership", None)
    return membership.partner if membership else None
