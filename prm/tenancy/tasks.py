from celery import shared_task


@shared_task(name="prm.tenancy.tasks.vendor_creation_run", time_limit=600, acks_late=True)
def vendor_creation_run(creation_id: int) -> str:
    """Create a vendor the platform admin asked for (prm.tenancy.services.vendor_creation_run)."""
    from prm.tenancy import services

    creation = services.vendor_creation_run(creation_id)
    return creation.status if creation is not None else "missing"
