from celery import shared_task

from prm.tasks import require_schema
from programs import services


@shared_task(name="programs.tasks.tiers_evaluate", time_limit=3600)
def tiers_evaluate(schema_name: str) -> dict:
    require_schema(schema_name)
    run = services.evaluate().run
    return run.result if run else {}
