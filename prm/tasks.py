from __future__ import annotations

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_tenant_model, schema_context

from prm.periodic import tenant_offset_seconds


def require_schema(schema_name: str) -> None:
    """Critical tasks name their tenant explicitly and refuse to run anywhere else.

    tenant-schemas-celery switches the connection by the message header; a task whose
    argument disagrees with it is a bug in the sender, so it fails instead of guessing.
    """
    if connection.schema_name != schema_name:
        raise RuntimeError(f"task for schema {schema_name} ran in {connection.schema_name}")


@shared_task(name="prm.tasks.tenants_fan_out", time_limit=120)
def tenants_fan_out(task_name: str, spread_seconds: int, queue: str | None = None) -> dict[str, dict]:
    """Enqueue task_name once per tenant, each at its own offset within the spread."""
    from prm.celery import app

    sent: dict[str, dict] = {}
    with schema_context("public"):
        schemas = list(
            get_tenant_model().objects.exclude(schema_name="public").values_list("schema_name", flat=True)
        )
    for schema in schemas:
        offset = tenant_offset_seconds(schema, task_name, spread_seconds)
        result = app.send_task(
            task_name, kwargs={"schema_name": schema}, countdown=offset, queue=queue,
            headers={"_schema_name": schema},
        )
        sent[schema] = {"offset": offset, "task_id": result.id}
    return sent


@shared_task(name="prm.tasks.tenant_probe", time_limit=30)
def tenant_probe(schema_name: str) -> dict[str, object]:
    """Report where a worker ran a tenant's task; for operators' checks and the tests."""
    from prm.accounts.models import User

    require_schema(schema_name)
    return {"schema": connection.schema_name, "users": User.objects.count()}


@shared_task(name="prm.tasks.retention_purge", time_limit=1800)
def retention_purge(schema_name: str) -> dict[str, int]:
    """Nightly: expired sessions, old read notifications, signal and download logs, health history."""
    from prm import retention

    require_schema(schema_name)
    return retention.purge()
