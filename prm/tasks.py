from __future__ import annotations

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_tenant_model, schema_context

from prm.periodic import tenant_offset_seconds


@shared_task(name="prm.tasks.tenants_fan_out", time_limit=120)
def tenants_fan_out(task_name: str, spread_seconds: int) -> dict[str, int]:
    """Enqueue task_name once per tenant, each at its own offset within the spread."""
    from prm.celery import app

    offsets: dict[str, int] = {}
    with schema_context("public"):
        schemas = list(
            get_tenant_model().objects.exclude(schema_name="public").values_list("schema_name", flat=True)
        )
    for schema in schemas:
        offset = tenant_offset_seconds(schema, task_name, spread_seconds)
        app.send_task(task_name, countdown=offset, headers={"_schema_name": schema})
        offsets[schema] = offset
    return offsets


@shared_task(name="prm.tasks.tenant_probe", time_limit=30)
def tenant_probe(schema_name: str) -> dict[str, object]:
    """Report the schema a worker ran in; used by the operators' health check and the tests.

    Takes the schema explicitly as critical tasks do, and refuses to run in another one.
    """
    from prm.accounts.models import User

    if connection.schema_name != schema_name:
        raise RuntimeError(f"task for {schema_name} ran in {connection.schema_name}")
    return {"schema": connection.schema_name, "users": User.objects.count()}
