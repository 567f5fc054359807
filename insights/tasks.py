from celery import shared_task

from prm.tasks import require_schema


@shared_task(name="insights.tasks.health_recalculate", time_limit=1800, acks_late=True)
def health_recalculate(schema_name: str) -> int:
    """Nightly health scores for every signed partner; idempotent (one snapshot per partner and day)."""
    from insights.dashboards import Filters, overview
    from insights.health.services import recalculate

    require_schema(schema_name)
    partners = recalculate().partners
    overview(Filters.preset())  # warm the default dashboard: the first visitor after the night run waits no second
    return partners


@shared_task(name="insights.tasks.qbr_render", time_limit=600, acks_late=True)
def qbr_render(schema_name: str, job_id: int) -> str:
    """Render a queued QBR pack; a second delivery of a finished job does nothing."""
    from insights import qbr

    require_schema(schema_name)
    return qbr.job_run(job_id).status
