"""Benchmark of enablement: courses, quizzes and certifications."""

from __future__ import annotations

import time

from bench.common import _percentiles, _tenant, channel_manager, size, timed_gets


def bench_enablement(runs: int) -> None:
    """Portal home and library, console library and access log, with 5,000 items and 50,000 downloads."""
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django_tenants.utils import tenant_context

    from enablement.models import ContentAccess, ContentItem
    from partners.models import Partner, PartnerMembership
    from partners.services import contact_link_user
    from prm.accounts.models import User
    from prm.tenancy.middleware import URLCONFS
    from programs.models import PartnerTier, Tier

    call_command("setup_platform", verbosity=0)
    vendor = _tenant("benchenablement", "ベンチ研修株式会社")
    tags = ["勤怠", "経費精算", "ワークフロー", "人事労務", "提案書", "導入事例", "競合比較", "価格", "製造業", "小売",
            "建設", "物流", "医療・介護", "士業", "飲食", "中小企業", "大企業", "テレアポ", "初回訪問", "役員向け",
            "電子帳簿保存法", "インボイス制度", "セキュリティ", "パンフレット", "デモ", "年末調整", "SSO", "API", "乗り換え",
            "ROI", "ヒアリング", "切り返し", "事例集", "キャンペーン", "展示会", "ウェビナー", "グループ会社", "テレワーク",
            "シフト", "働き方改革"]
    with tenant_context(vendor):
        staff = channel_manager("admin@benchenablement.example")
        if ContentItem.objects.count() < size(5_000):
            started = time.perf_counter()
            Partner.objects.bulk_create(Partner(name=f"株式会社ベンチ販売{n:03d}", partner_type="resale", stage="activation")
                                        for n in range(100))
            partners = list(Partner.objects.order_by("pk")[:100])
            users = User.objects.bulk_create(
                User(email=f"rep{n:03d}@benchenablement.example", full_name=f"営業 {n:03d}", role="partner_rep",
                     password="!") for n in range(100))
            PartnerMembership.objects.bulk_create(PartnerMembership(user=user, partner=partner)
                                                  for user, partner in zip(users, partners, strict=False))
            PartnerTier.objects.bulk_create(PartnerTier(partner=partner, tier=Tier.objects.get(code="gold"))
                                            for partner in partners)
            with connection.cursor() as cursor:
                cursor.execute("""
                    INSERT INTO enablement_contentitem (partner_types, min_tier_rank, title, kind, description, tags, gated,
                        is_published, created_at, updated_at, current_version, view_count, download_count)
                    SELECT '{}', CASE WHEN n %% 50 = 0 THEN 4 ELSE 0 END,
                           (ARRAY['提案書テンプレート','トークスクリプト','導入事例','比較表','パンフレット'])[1 + n %% 5]
                               || ' ' || n || '：' || (%s::text[])[1 + n %% 40],
                           (ARRAY['proposal','talk_script','case_study','comparison','brochure'])[1 + n %% 5],
                           '業種別の提案に使える資料です（' || (%s::text[])[1 + (n * 7) %% 40] || '）。',
                           ARRAY[(%s::text[])[1 + n %% 40], (%s::text[])[1 + (n * 7) %% 40]], n %% 10 = 0, n %% 97 <> 0,
                           now() - ((n %% 700) || ' days')::interval, now() - ((n %% 700) || ' days')::interval + interval '2 hours',
                           1 + n %% 3, 0, 0
                    FROM generate_series(1, 5000) n""", [tags] * 4)
                cursor.execute("""
                    INSERT INTO enablement_contentversion (item_id, number, file, notes, uploaded_by_id, uploaded_at)
                    SELECT i.id, v, 'enablement/library/bench-' || i.id || '-v' || v || '.pdf', '', NULL,
                           i.created_at + (v - 1) * interval '1 hour'
                    FROM enablement_contentitem i CROSS JOIN LATERAL generate_series(1, i.current_version) v""")
                cursor.execute("""
                    SELECT array_agg(item_id ORDER BY item_id), array_agg(id ORDER BY item_id) FROM (
                        SELECT DISTINCT ON (item_id) item_id, id FROM enablement_contentversion
                        ORDER BY item_id, number DESC) latest""")
                item_ids, version_ids = cursor.fetchone()
                cursor.execute("""
                    INSERT INTO enablement_contentaccess (item_id, version_id, user_id, contact_id, partner_id, action, at)
                    SELECT (%s::bigint[])[k], (%s::bigint[])[k], (%s::bigint[])[1 + n %% 100], NULL,
                           (%s::bigint[])[1 + n %% 100], 'download',
                           now() - ((n %% 90) || ' days')::interval - ((n * 37 %% 86400) || ' seconds')::interval
                    FROM generate_series(1, 50000) n,
                         LATERAL (SELECT 1 + (n::bigint * 7919) %% array_length(%s::bigint[], 1) AS k) pick""",
                               [item_ids, version_ids, [u.pk for u in users], [p.pk for p in partners], item_ids])
                cursor.execute("""
                    UPDATE enablement_contentitem i SET download_count = c.n
                    FROM (SELECT item_id, count(*) AS n FROM enablement_contentaccess WHERE action = 'download'
                          GROUP BY item_id) c WHERE c.item_id = i.id""")
                cursor.execute("ANALYZE")
            print(f"enablement: seeded {ContentItem.objects.count():,} content items with versions and "
                  f"{ContentAccess.objects.count():,} downloads by 100 partners in {time.perf_counter() - started:.1f} s")
        rep = User.objects.get(email="rep000@benchenablement.example")
        contact_link_user(user=rep)
        counts = ContentItem.objects.count(), ContentAccess.objects.count()
        portal_urls = {name: reverse(name, urlconf=URLCONFS["portal"]) for name in ("home", "portal_library")}
        console_urls = {name: reverse(name, urlconf=URLCONFS["console"])
                        for name in ("enablement_library", "enablement_accesses")}
    portal = Client(HTTP_HOST=vendor.domain_for("portal").domain)
    console = Client(HTTP_HOST=vendor.domain_for("console").domain)
    with tenant_context(vendor):
        portal.force_login(rep, backend="django.contrib.auth.backends.ModelBackend")
        console.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    connection.set_schema_to_public()
    print(f"enablement: {counts[0]:,} content items, {counts[1]:,} download records")
    samples = size(max(runs * 2, 20), 1)
    pages = [
        ("portal home", portal, portal_urls["home"]),
        ("portal library, first page", portal, portal_urls["portal_library"]),
        ("portal library, search", portal, portal_urls["portal_library"] + "?q=製造業"),
        ("portal library, tag filter", portal, portal_urls["portal_library"] + f"?tag={tags[6]}"),
        ("portal library, page 180", portal, portal_urls["portal_library"] + "?page=180"),
        ("console library", console, console_urls["enablement_library"]),
        ("console access log", console, console_urls["enablement_accesses"]),
    ]
    for label, client, url in pages:
        client.get(url)  # warm up: templates compiled, connection open
        timings, counts = timed_gets(client, url, samples)
        queries = set(counts)
        print(f"enablement: {label}: {_percentiles(timings)} over {samples} requests, "
              f"{'/'.join(str(q) for q in sorted(queries))} SQL queries")
