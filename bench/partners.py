"""Benchmark of the partner list pages."""

from __future__ import annotations

from bench.common import _tenant, _timed_get, channel_manager, seed_partners, size


def bench_partners(runs: int) -> None:
    """List and detail pages of a vendor with 10,000 partners (30,000 contacts, 100,000 events)."""
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from partners.models import Partner

    vendor = _tenant("benchpartners", "ベンチパートナーズ株式会社")
    with tenant_context(vendor):
        staff = channel_manager("admin@benchpartners.example")
        seed_partners(staff)
        busiest = Partner.objects.order_by("pk").first()
    host = vendor.domain_for("console").domain
    client = Client(HTTP_HOST=host)
    with tenant_context(vendor):
        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    for label, url in (("partner list", "/partners/"),
                       ("partner list, filtered and searched", "/partners/?stage=activation&q=ベンチ01&sort=-created"),
                       ("partner list, page 150", f"/partners/?page={size(150, 1)}"),
                       ("partner list, by tier (highest first)", "/partners/?sort=-tier"),
                       ("partner list, by health (lowest first), one band", "/partners/?sort=health&health=at_risk"),
                       ("partner detail", f"/partners/{busiest.pk}/")):
        median_ms, queries = _timed_get(client, url, runs)
        print(f"{label}: median {median_ms:.0f} ms over {runs} requests, {queries} SQL queries")
