from celery import shared_task

from incentives import runs
from prm.tasks import require_schema


@shared_task(name="incentives.tasks.commission_run", time_limit=3600, acks_late=True)
def commission_run(schema_name: str, run_id: int) -> dict:
    """Idempotent: a second delivery, or a retry after a killed worker, adds nothing twice."""
    require_schema(schema_name)
    run = runs.run_execute(run_id)
    return {"status": run.status, "lines": run.lines_added}


@shared_task(name="incentives.tasks.commission_runs_fail_stale", time_limit=120)
def commission_runs_fail_stale(schema_name: str) -> int:
    """Every few minutes: runs whose worker died are marked failed (interrupted), ready to resume."""
    require_schema(schema_name)
    return runs.runs_fail_stale()
