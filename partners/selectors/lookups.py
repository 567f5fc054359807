"""Partner rows as the other apps look them up: one partner by id, a set of them, the choices of a filter.

Every domain table points at Partner, so every app needs its partners' names and types; these readers are
how they get them without a query of their own on the partners tables. `partner_ids` may be a list of ids
or a queryset that selects them (`CustomerList.objects.values("partner_id")`): a subquery keeps the read one
statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Count, Q, QuerySet

from partners.models import Partner, PartnerQuerySet

PartnerIds = Iterable[int] | QuerySet


def _ids(partner_ids: PartnerIds) -> PartnerIds:
    return partner_ids if isinstance(partner_ids, QuerySet) else list(partner_ids)


def partner_by_id(partner_id: int) -> Partner | None:
    """The partner, or None when there is none with this id (a task's or an export's partner went away)."""
    return Partner.objects.filter(pk=partner_id).first()


def partners_by_ids(partner_ids: PartnerIds) -> dict[int, Partner]:
    """id → partner, for the partners among `partner_ids`."""
    return {partner.pk: partner for partner in Partner.objects.filter(pk__in=_ids(partner_ids))}


def partners_by_name(partner_ids: PartnerIds) -> QuerySet[Partner]:
    """The partners among `partner_ids`, by name."""
    return Partner.objects.filter(pk__in=_ids(partner_ids)).order_by("name")


def partner_choices(partner_ids: PartnerIds | None = None) -> QuerySet[Partner, tuple[int, str]]:
    """(id, name) of every partner (or of those among `partner_ids`) in the partner list's order: the options
    of a partner filter."""
    partners = Partner.objects.all() if partner_ids is None else Partner.objects.filter(pk__in=_ids(partner_ids))
    return partners.order_by("name_kana", "name", "pk").values_list("pk", "name")


def partner_types_and_names(*, stages: Iterable[str], partner_ids: Iterable[int] | None = None
                            ) -> list[tuple[int, str, str]]:
    """(id, name, partner type) of the partners at one of `stages` (only those among `partner_ids`, when
    given), in the partner list's order."""
    partners = Partner.objects.filter(stage__in=list(stages))
    if partner_ids is not None:
        partners = partners.filter(pk__in=list(partner_ids))
    return list(partners.values_list("pk", "name", "partner_type"))


def active_partners_with_user_counts(*, related: Sequence[str] = ()) -> PartnerQuerySet:
    """Every partner not terminated, each with `users`, its number of active users; `related` names what the
    caller reads of each partner's relations in the same query (select_related paths, such as the partner's
    tier)."""
    return (Partner.objects.active().select_related(*related)
            .annotate(users=Count("memberships", filter=Q(memberships__user__is_active=True))))
