import contextlib

from celery import shared_task
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from prm.notifications import services
from prm.tasks import require_schema
from prm.tenancy.middleware import vendor_zone


@shared_task(name="prm.notifications.tasks.notifications_digest", time_limit=1800)
def notifications_digest(schema_name: str) -> int:
    require_schema(schema_name)
    return services.digest_send()


@shared_task(name="prm.notifications.tasks.notification_emails_send", acks_late=False, time_limit=300)
def notification_emails_send(schema_name: str, notification_ids: list[int]) -> int:
    """Render the e-mails of notifications made by a committed transaction and queue each one's delivery
    (prm.tasks.deliver_email, which retries), in the vendor's time zone as its pages show times. Acknowledged
    on receipt, not late: a second delivery of the message would e-mail everyone twice."""
    require_schema(schema_name)
    with timezone.override(vendor_zone(getattr(connection, "tenant", None))):
        return services.emails_send(notification_ids=notification_ids)


def notification_emails_inline(vendor, kwargs: dict) -> None:
    """Run notification_emails_send here and now with these kwargs (KYOSO_EMAIL_DELIVERY=inline: no worker)."""
    # After commit the caller may have left its tenant (a tenant_context inside the atomic block).
    with contextlib.nullcontext() if connection.schema_name == kwargs["schema_name"] else tenant_context(vendor):
        notification_emails_send.apply(kwargs=kwargs)
