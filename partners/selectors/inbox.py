"""The partners a member of the vendor's staff looks after, as a subquery the other apps filter their rows by."""

from __future__ import annotations

from django.db.models import QuerySet

from partners.models import Partner


def partner_ids_owned_by(*, user_id: int) -> QuerySet[Partner, int]:
    """Ids of the partners whose owner is the user: unevaluated, so it runs inside the caller's query."""
    return Partner.objects.filter(owner_id=user_id).values_list("pk", flat=True)
