from celery import shared_task

from enablement import services
from prm.tasks import require_schema


@shared_task(name="enablement.tasks.certifications_remind", time_limit=900)
def certifications_remind(schema_name: str) -> int:
    """Daily: holders and their partner admins hear once that a certification runs out soon."""
    require_schema(schema_name)
    return services.certifications_remind()
