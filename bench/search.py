"""./kyoso bench search — the console's one search box in a vendor with 10,000 partners and 1,000,000 registrations.

The vendor "benchsearch" gets the partners, contacts and registrations every large benchmark seeds
(bench.common.seed_partners and seed_registrations), plus the demo's thirty partners, their people and 1,200
customers with real-looking names, so that the queries find kana, kanji and Latin names among the numbered
ones. It is seeded once and kept between runs.

Prints p50/p95 of a mix of queries (hiragana, katakana, half-width, with legal forms, parts of names, one
matching every registration) as the box asks them while typing (the htmx fragment, 5 of each kind) and as the
results page (20 of each kind), and the SQL statements of each.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from bench.common import _percentiles, _tenant, channel_manager, seed_partners, seed_registrations, size, time_today, timed_gets

QUERIES = [
    "さくら", "サクラ", "ｻｸﾗ", "株式会社さくらシステムズ", "(株)ﾎｸﾄ", "ほくと", "システム", "情報サービス",
    "ﾍﾞﾝﾁ01234", "べんち0999", "ベンチ顧客123456", "ベンチ顧客12345株式会社", "顧客98765", "浜松", "フーズ", "ﾌｰｽﾞ",
    "横須賀ホテルズ", "やまだ", "担当 512", "顧客", "ﾀﾅｶ ﾖｳｺ", "Sakura",
]


def bench_search(runs: int) -> None:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from partners.models import Partner

    vendor = _tenant("benchsearch", "ベンチ検索株式会社")
    with tenant_context(vendor):
        staff = channel_manager("admin@benchsearch.example")
        seed_partners(staff)
        _seed_named(staff)
        seed_registrations(list(Partner.objects.order_by("pk").values_list("pk", flat=True)), size(1_000_000))
        counts = (Partner.objects.count(), _registrations())
    host = vendor.domain_for("console").domain
    page, live = Client(HTTP_HOST=host), Client(HTTP_HOST=host, HTTP_HX_REQUEST="true")
    with tenant_context(vendor):
        for client in (page, live):
            client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    print(f"search: {counts[0]:,} partners, {counts[1]:,} registrations, {len(QUERIES)} queries")
    samples = max(1, runs)
    for label, client in (("while typing (fragment, 5 of each kind)", live), ("results page (20 of each kind)", page)):
        timings, statements, slowest = [], set(), (0.0, "")
        for query in QUERIES:
            url = f"/search/?q={quote(query)}"
            client.get(url)  # the first request of a query warms nothing but the process
            seconds, queries = timed_gets(client, url, samples)
            timings += seconds
            statements.update(queries)
            slowest = max(slowest, (max(seconds), query))
        print(f"search, {label}: {_percentiles(timings)} over {len(timings)} requests, "
              f"{'/'.join(map(str, sorted(statements)))} SQL statements; slowest {slowest[0] * 1000:.0f} ms "
              f"({slowest[1]})")


def _registrations() -> int:
    from deals.models import DealRegistration

    return DealRegistration.objects.count()


def _seed_named(staff) -> None:
    """The demo's partners and people, and registrations of 1,200 real-looking customers, unless there."""
    import random

    from deals import services
    from deals.models import DealRegistration
    from demo.data import HEALTH_USERS, PARTNER_USERS, PARTNERS
    from demo.health import PLACES, TRADES
    from partners.models import Contact, Partner
    from partners.search import search_key

    # The numbered registrations' keys are written in SQL (seed_registrations): they must be the search's.
    assert search_key("株式会社ベンチ顧客7") == "ベンチ顧客7", "the seeded search keys follow partners.search"
    if Partner.objects.filter(name=PARTNERS[0][0]).exists():
        return
    started = time.perf_counter()
    partners = Partner.objects.bulk_create(Partner(name=name, name_kana=kana, partner_type=kind, stage="activation",
                                                   owner=staff) for name, kana, kind in PARTNERS)
    by_name = {partner.name: partner for partner in partners}
    Contact.objects.bulk_create(Contact(partner=by_name[company], full_name=name, full_name_kana=kana, email=email)
                                for email, name, kana, _role, company in PARTNER_USERS + HEALTH_USERS)
    rng = random.Random(15)
    deals = []
    for place in PLACES:
        for trade in TRADES:
            name = f"株式会社{place}{trade}" if rng.random() < 0.6 else f"{place}{trade}株式会社"
            deal = DealRegistration(partner=rng.choice(partners), customer_name=name, amount=1_000_000,
                                    expected_close=time_today(), stage="registered", priority="holder")
            services.apply_keys(deal, services.customer_keys_for(name, "", ""))
            deals.append(deal)
    DealRegistration.objects.bulk_create(deals, batch_size=1000)
    print(f"search: seeded {len(partners)} named partners and {len(deals):,} named registrations "
          f"in {time.perf_counter() - started:.1f} s")

