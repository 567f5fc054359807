from celery import shared_task

from prm.tasks import require_schema


@shared_task(name="prm.exports.tasks.export_run", time_limit=1800, acks_late=True)
def export_run(schema_name: str, job_id: int) -> str:
    """Write a queued export's file; a second delivery of a finished job does nothing."""
    from prm.exports import services

    require_schema(schema_name)
    return services.job_run(job_id).status
