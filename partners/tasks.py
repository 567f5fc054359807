from celery import shared_task

from partners import services
from prm.tasks import require_schema


@shared_task(name="partners.tasks.contact_stages_recompute", time_limit=1800)
def contact_stages_recompute(schema_name: str) -> int:
    """Nightly: activity and training windows run out with time, so stages move without new data."""
    require_schema(schema_name)
    return services.contact_stages_recompute()


@shared_task(name="partners.tasks.partner_stages_recompute", time_limit=1800)
def partner_stages_recompute(schema_name: str, partner_ids: list[int] | None = None) -> int:
    """Nightly for every partner (time passes: deals age into retention, silence into dormant, a stage set by
    hand runs out), and after a deal is registered or won for its partner. Idempotent: a second run moves
    nothing."""
    from partners.lifecycle.services import stages_recompute

    require_schema(schema_name)
    return stages_recompute(partner_ids=partner_ids)


@shared_task(name="partners.tasks.import_apply", time_limit=1800, acks_late=True)
def import_apply(schema_name: str, batch_id: int) -> dict:
    """Apply a previewed CSV import, all or nothing; a second delivery changes nothing twice."""
    from partners import csv_io

    require_schema(schema_name)
    batch = csv_io.import_run(batch_id)
    return {"status": batch.status, "result": batch.result}
