from celery import shared_task

from prm.invitations import services
from prm.tasks import require_schema


@shared_task(name="prm.invitations.tasks.invitations_expire", time_limit=300)
def invitations_expire(schema_name: str) -> int:
    require_schema(schema_name)
    return services.invitations_expire()
