from celery import shared_task

from api import services
from prm.tasks import require_schema


@shared_task(name="api.tasks.idempotency_prune", time_limit=600)
def idempotency_prune(schema_name: str) -> int:
    require_schema(schema_name)
    return services.idempotency_prune()
