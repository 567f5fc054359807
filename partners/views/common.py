"""One access helper per object: every console view of a partner gets it here."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404

from partners.models import Partner
from partners.selectors import partner_with_people


def get_partner(pk: int) -> Partner:
    partner = partner_with_people(pk)
    if partner is None:
        raise Http404("No Partner matches the given query.")
    return partner


def paginate(request, queryset, per_page: int = 50, *, count: int | None = None):
    """A page of `queryset`; `count`, when the caller already knows the total, saves the COUNT(*)."""
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
