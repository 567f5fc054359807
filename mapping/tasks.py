from celery import shared_task

from mapping import services
from partners.selectors import partner_by_id
from prm.tasks import require_schema


@shared_task(name="mapping.tasks.overlap_recompute", time_limit=600)
def overlap_recompute(schema_name: str, partner_id: int) -> int | None:
    require_schema(schema_name)
    partner = partner_by_id(partner_id)
    if partner is None:
        return None
    return services.overlap_recompute(partner=partner).pk


@shared_task(name="mapping.tasks.overlaps_recompute", time_limit=300)
def overlaps_recompute(schema_name: str) -> int:
    """Nightly: one recompute task per partner with a list (spread by the queue, not one long job)."""
    require_schema(schema_name)
    return services.overlaps_recompute_later()
