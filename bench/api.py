"""./kyoso bench api: GET /api/v1/partners on a vendor with 10,000 partners (pages of 100), p50 and p95,
beside the console's partner list in the same run (the ratio says what the API costs against the page);
then a deal registration by API beside the same registration through the portal, with 1,000,000
registrations present.

Registered in bench/run.py (TARGETS["api"]); run.py hands in its size() and _tenant() so --smoke works.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench.common import percentile


def _timed(client, url: str, samples: int, **headers) -> list[float]:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return timings


def run(runs: int, *, size: Callable[..., int], tenant: Callable, seed_registrations: Callable) -> None:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from api.services import key_create
    from partners.models import Partner
    from prm.accounts.models import User

    vendor = tenant("benchpartners", "ベンチパートナーズ株式会社")
    with tenant_context(vendor):
        if Partner.objects.count() < size(10_000):
            Partner.objects.bulk_create(
                Partner(name=f"株式会社APIベンチ{n:05d}", name_kana=f"エーピーアイベンチ{n:05d}", partner_type="resale",
                        stage="activation", external_ids={"crm": f"B{n}"})
                for n in range(size(10_000) - Partner.objects.count())
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE partners_partner")  # as autovacuum would soon after a bulk load
        total = Partner.objects.count()
        admin, _created = User.objects.get_or_create(email="api-bench@benchpartners.example",
                                                     defaults={"role": "vendor_admin", "full_name": "API bench"})
        token = key_create(actor=admin, name="bench", scopes={"partners": "read"}).token
        staff, _created = User.objects.get_or_create(email="list-bench@benchpartners.example",
                                                     defaults={"role": "channel_manager", "full_name": "List bench"})
    host = vendor.domain_for("console").domain
    api = Client(HTTP_HOST=host)
    page = Client(HTTP_HOST=host)
    with tenant_context(vendor):
        page.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    samples = 2 if runs <= 1 else max(runs, 20)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    limit = min(100, size(10_000))
    first = api.get(f"/api/v1/partners?limit={limit}", **auth).json()
    cursor = first["next_cursor"]
    for _ in range(min(49, total // max(limit, 1) - 1)):  # walk to the 50th page for a deep cursor
        if not cursor:
            break
        cursor = api.get(f"/api/v1/partners?limit={limit}&cursor={cursor}", **auth).json()["next_cursor"]
    from django.conf import settings

    settings.KYOSO_API_RATE_PER_MINUTE = 1_000_000  # measure the endpoint, not the limiter's refusals
    figures = {
        "api, first page of 100": _timed(api, f"/api/v1/partners?limit={limit}", samples, **auth),
        "api, page 50 (cursor)": _timed(api, f"/api/v1/partners?limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
                                        samples, **auth),
        "console partner list": _timed(page, "/partners/", samples),
    }
    for label, timings in figures.items():
        print(f"api: {label}: p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms "
              f"over {samples} requests ({total:,} partners)")
    ratio = statistics.median(figures["api, first page of 100"]) / statistics.median(figures["console partner list"])
    print(f"api: first API page / console list, p50 ratio {ratio:.2f}")
    run_registrations(runs, size=size, tenant=tenant, seed_registrations=seed_registrations)


def run_registrations(runs: int, *, size: Callable[..., int], tenant: Callable, seed_registrations: Callable) -> None:
    """A deal registration by API (a partner key, POST /api/v1/deals) against the same registration through the
    portal's form, in the vendor with 1,000,000 registrations that `bench deals` uses: both go through
    deals.services.deal_register (conflict check, lock, notifications), so the ratio is what the API adds."""
    import uuid
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from api.services import key_create
    from partners.models import Partner, PartnerMembership, Stage
    from prm.accounts.models import User

    total = size(1_000_000)
    vendor = tenant("benchdeals", "ベンチ案件株式会社")
    with tenant_context(vendor):
        if Partner.objects.count() < size(200, 5):
            Partner.objects.bulk_create(Partner(name=f"ベンチ販売店{n:03d}", partner_type="resale", stage="activation")
                                        for n in range(size(200, 5)))
        seed_registrations(list(Partner.objects.values_list("pk", flat=True)), total)
        partner = Partner.objects.exclude(stage=Stage.TERMINATED).order_by("pk").first()
        admin, created = User.objects.get_or_create(email="api-bench-admin@benchdeals.example",
                                                    defaults={"role": "partner_admin", "full_name": "API ベンチ"})
        if created:
            PartnerMembership.objects.create(user=admin, partner=partner)
        partner = admin.partner_membership.partner
        token = key_create(actor=admin, name="bench registrations", scopes={"deals": "write"}, partner=partner).token
        from deals.models import DealRegistration

        vendor_registrations = DealRegistration.objects.count()
    portal_host = vendor.domain_for("portal").domain
    api, page = Client(HTTP_HOST=portal_host), Client(HTTP_HOST=portal_host)
    with tenant_context(vendor):
        page.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    settings.KYOSO_API_RATE_PER_MINUTE = 1_000_000
    close = (timezone.localdate() + timedelta(days=30)).isoformat()
    samples = 2 if runs <= 1 else max(runs * 3, 30)
    by_api, by_portal = [], []
    for _ in range(samples):
        key = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        response = api.post("/api/v1/deals", data={"customer_name": f"株式会社API新規{key}", "web_domain": f"api{key}.co.jp",
                                                   "amount": 500_000, "expected_close": close},
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                            HTTP_IDEMPOTENCY_KEY=key)
        by_api.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, (response.status_code, response.content[:300])
        key = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        response = page.post("/deals/new/", {
            "customer_name": f"株式会社画面新規{key}", "web_domain": f"page{key}.co.jp", "amount": "500000",
            "expected_close": close,
            **{role: "partner" for role in ("role_lead", "role_proposal", "role_contract", "role_billing", "role_support")}})
        by_portal.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, (response.status_code, response.content[:300])
    for label, timings in (("deal registration by API", by_api), ("deal registration through the portal", by_portal)):
        print(f"api: {label}: p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms "
              f"over {samples} requests ({vendor_registrations:,} registrations present)")
    print(f"api: registration by API / through the portal, p50 ratio "
          f"{statistics.median(by_api) / statistics.median(by_portal):.2f}")
