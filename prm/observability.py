"""Error reports (Sentry) and metrics (Prometheus), both off unless configured.

- init_sentry: called by the settings when SENTRY_DSN is set; Django and Celery errors are
  reported with the tenant's schema as a tag. No personal data is sent (send_default_pii off).
- MetricsEndpointMiddleware: with KYOSO_METRICS=1, /metrics (django-prometheus) is answered for
  any Host, before the tenant is looked up, to a request from this machine or one carrying
  KYOSO_METRICS_TOKEN as a bearer token; everyone else gets a 404 as if it were not there.
"""

from __future__ import annotations

import hmac
import ipaddress

METRICS_PATH = "/metrics"


def _tag_tenant(event, hint):
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    schema = getattr(tenant, "schema_name", None)
    if schema:
        event.setdefault("tags", {})["tenant"] = schema
    return event


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        before_send=_tag_tenant,
    )


def metrics_allowed(request, token: str) -> bool:
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    # A proxy on this machine makes every visitor look local: a forwarded request is not.
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


class MetricsEndpointMiddleware:
    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.token = settings.KYOSO_METRICS_TOKEN

    def __call__(self, request):
        if request.path_info != METRICS_PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        from django.http import HttpResponseNotFound
        from django_prometheus.exports import ExportToDjangoView

        if not metrics_allowed(request, self.token):
            return HttpResponseNotFound(b"Not Found", content_type="text/plain")
        return ExportToDjangoView(request)
