from celery import shared_task

from deals import leads, services
from prm.tasks import require_schema


@shared_task(name="deals.tasks.deals_expire", time_limit=1800)
def deals_expire(schema_name: str) -> dict[str, int]:
    require_schema(schema_name)
    return services.deals_expire()


@shared_task(name="deals.tasks.lead_offers_expire", time_limit=600)
def lead_offers_expire(schema_name: str) -> int:
    require_schema(schema_name)
    return leads.lead_offers_expire()
