from celery import shared_task

from mapping import services
from partners.models import Partner
from prm.tasks import require_schema


@shared_task(name="mapping.tasks.overlap_recompute", time_limit=600)
def overlap_recompute(schema_name: str, partner_id: int) -> int | None:
    require_schema(schema_name)
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        return None
    return services.overlap_recompute(partner=partner).pk
