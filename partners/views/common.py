"""One access helper per object: every console view of a partner gets it here."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404

from partners.models import Partner


def get_partner(pk: int) -> Partner:
    return get_object_or_404(Partner.objects.select_related("owner", "parent"), pk=pk)


def paginate(request, queryset, per_page: int = 50):
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
