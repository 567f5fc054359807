"""A deal's ids in other systems (`external_ids`): a CRM writes back the id of the opportunity it made for a
registration, so later events and `?external_id=` find it. One id names one deal per system."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from deals.models import DealRegistration
from prm import locks


@transaction.atomic
def deal_external_id_set(*, deal: DealRegistration, source: str, external_id: str) -> DealRegistration:
    """Set (or, with an empty id, remove) the deal's id in `source`. Serialised per source, so two deals
    never take one id at the same moment."""
    locks.hold("deals.external-id", int.from_bytes(hashlib.sha256(source.encode()).digest()[:4], "big"))
    deal = DealRegistration.objects.select_for_update().get(pk=deal.pk)
    ids = dict(deal.external_ids or {})
    if external_id:
        other = (DealRegistration.objects.filter(external_ids__contains={source: external_id})
                 .exclude(pk=deal.pk).values_list("pk", flat=True).first())
        if other is not None:
            raise ValidationError({"external_id": _("Deal %(number)s already has this id in %(source)s.")
                                   % {"number": other, "source": source}})
        ids[source] = external_id
    else:
        ids.pop(source, None)
    if ids != deal.external_ids:
        deal.external_ids = ids
        deal.save(update_fields=["external_ids", "updated_at"])
    return deal
