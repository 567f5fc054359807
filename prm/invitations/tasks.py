from celery import shared_task

from prm.invitations import services


@shared_task(name="prm.invitations.tasks.invitations_expire", time_limit=300)
def invitations_expire() -> int:
    return services.invitations_expire()
