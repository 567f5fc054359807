from celery import shared_task

from prm.notifications import services
from prm.tasks import require_schema


@shared_task(name="prm.notifications.tasks.notifications_digest", time_limit=1800)
def notifications_digest(schema_name: str) -> int:
    require_schema(schema_name)
    return services.digest_send()
