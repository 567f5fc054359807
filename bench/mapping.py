"""Benchmark of account mapping."""

from __future__ import annotations

import statistics
import time

from bench.common import _tenant, size


def bench_mapping(runs: int) -> None:
    """Account mapping: a 100,000-record partner list against 1,000,000 vendor records
    (600,000 direct accounts, 300,000 registrations, 100,000 target accounts), end to end:
    read and check the file, store it with its keys, recompute the overlap. Then a changed
    re-upload, which recomputes that partner only."""
    import gc
    import resource
    import tracemalloc

    from django.db import connection
    from django_tenants.utils import tenant_context

    from mapping import services
    from mapping.models import CustomerList, ListUpload, OverlapSnapshot
    from partners.models import Partner
    from prm.accounts.models import User

    vendor = _tenant("benchmapping", "ベンチマッピング株式会社")
    direct, registrations, targets, listed = size(600_000), size(300_000), size(100_000), size(100_000)
    with tenant_context(vendor):
        actor = User.objects.filter(role="vendor_admin").first()
        partners = list(Partner.objects.order_by("pk")[:2])
        if len(partners) < 2:
            Partner.objects.bulk_create(Partner(name=f"ベンチ販売店{n}", partner_type="resale", stage="activation")
                                        for n in range(2))
            partners = list(Partner.objects.order_by("pk")[:2])
        # Prospects: lists the vendor was handed, which the vendor's staff may upload (the service's rule).
        Partner.objects.filter(pk__in=[partner.pk for partner in partners]).update(stage="prospect")
        partners = list(Partner.objects.order_by("pk")[:2])
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM deals_directaccount WHERE domain_key LIKE 'v%%.co.jp'")
            if cursor.fetchone()[0] < direct:
                # Set-based seeding; the keys are what deals.matching gives for these names and domains.
                cursor.execute("TRUNCATE deals_directaccount CASCADE")
                cursor.execute(
                    """INSERT INTO deals_directaccount (customer_name, corporate_number, web_domain, name_key,
                                                        corporate_key, domain_key, created_at)
                       SELECT 'ベンチ顧客' || n || '株式会社', '', 'v' || n || '.co.jp', 'ベンチ顧客' || n, '',
                              'v' || n || '.co.jp', now()
                         FROM generate_series(0, %s) AS n""", [direct - 1])
                cursor.execute(
                    """INSERT INTO deals_dealregistration
                           (customer_name, corporate_number, web_domain, name_key, corporate_key, domain_key,
                            partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                            role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority,
                            registered_at, decision_reason)
                       SELECT 'ベンチ顧客' || n || '株式会社', '', '', 'ベンチ顧客' || n, '', '', %s, '', '', 1000000,
                              CURRENT_DATE + 60, '', 'partner', 'partner', 'partner', 'partner', 'partner',
                              (ARRAY['approved', 'won', 'lost'])[1 + n %% 3], 'holder', now(), ''
                         FROM generate_series(%s::int, %s::int) AS n""", [partners[1].pk, direct, direct + registrations - 1])
                for table in ("deals_directaccount", "deals_dealregistration", "mapping_customerrecord"):
                    cursor.execute(f"ANALYZE {table}")
                print(f"mapping: seeded {direct + registrations:,} direct accounts and registrations "
                      f"in {time.perf_counter() - started:.1f} s")
            cursor.execute("SELECT coalesce(sum(row_count), 0) FROM mapping_customerlist WHERE partner_id IS NULL")
            if cursor.fetchone()[0] < targets:
                cursor.execute("DELETE FROM mapping_customerrecord WHERE customer_list_id IN "
                               "(SELECT id FROM mapping_customerlist WHERE partner_id IS NULL)")
                cursor.execute("DELETE FROM mapping_customerlist WHERE partner_id IS NULL")
                cursor.execute("INSERT INTO mapping_customerlist (population, filename, row_count, uploaded_at) "
                               "VALUES ('targets', 'bench-targets.csv', %s, now()) RETURNING id", [targets])
                list_id = cursor.fetchone()[0]
                cursor.execute(
                    """INSERT INTO mapping_customerrecord (customer_list_id, line, customer_name, corporate_number,
                           web_domain, name_key, corporate_key, domain_key, industry, employee_band, prefecture)
                       SELECT %s, n + 2, 'ターゲット' || n, '', '', 'ターゲット' || n, '', '', '', '', ''
                         FROM generate_series(0, %s) AS n""", [list_id, targets - 1])
                cursor.execute("ANALYZE mapping_customerrecord")
                print(f"mapping: seeded {targets:,} target accounts")

        def partner_file(shift: int) -> bytes:
            # Every third record is a vendor customer (by name, by domain, or by a (株) variant), the rest are not.
            lines = ["会社名,法人番号,メールアドレス,業種,従業員数,都道府県"]
            for n in range(listed):
                k = n + shift
                if n % 3 == 0:
                    lines.append(f"(株)ベンチ顧客{k * 7 % (direct + registrations)},,,E,120,東京都")
                elif n % 3 == 1:
                    lines.append(f"販売先{k},,taro@mail.v{k * 5 % direct}.co.jp,G,35,大阪府")
                else:
                    lines.append(f"独自の顧客{k}株式会社,,info@own{k}.jp,,,")
            return ("\n".join(lines) + "\n").encode("utf-8")

        def upload(partner, raw: bytes) -> tuple[float, float, float]:
            """(seconds to accept the upload, seconds end to end, MB the process grew by)."""
            gc.collect()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            pending = services.list_upload_create(actor=actor, partner=partner, population="customers",
                                                  filename="bench.csv", raw=raw)
            accepted = time.perf_counter()
            services.list_apply(upload=ListUpload.objects.get(pk=pending.pk), actor=actor)
            total = time.perf_counter() - started
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
            return accepted - started, total, grown

        for partner in partners:
            for customer_list in CustomerList.objects.filter(partner=partner):
                services.list_delete(customer_list=customer_list, actor=actor)
        upload(partners[1], partner_file(1))  # the other partner, so that the re-upload shows it untouched
        raw = partner_file(0)
        timings = []
        for _ in range(max(1, min(runs, 3))):
            accepted, total, grown = upload(partners[0], raw)
            snapshot = OverlapSnapshot.objects.filter(partner=partners[0]).first()
            timings.append(total)
            print(f"mapping: 100,000-record list vs 1,000,000 vendor records: {total:.2f} s end to end "
                  f"(upload accepted {accepted:.2f} s, overlap SQL {snapshot.seconds:.2f} s), "
                  f"peak RSS grew {grown:.0f} MB; overlap {snapshot.cells}")
        other_before = OverlapSnapshot.objects.filter(partner=partners[1]).count()
        accepted, total, grown = upload(partners[0], partner_file(3))
        other_after = OverlapSnapshot.objects.filter(partner=partners[1]).count()
        print(f"mapping: changed re-upload {total:.2f} s, peak RSS grew {grown:.0f} MB; other partner's snapshots "
              f"{other_before} → {other_after} (not recomputed)")
        tracemalloc.start()
        started = time.perf_counter()
        services.overlap_recompute(partner=partners[0])
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"mapping: recompute alone {seconds:.2f} s with {peak / 1e3:.0f} kB of Python memory at peak; "
              f"median end to end {statistics.median(timings):.2f} s (budget 10 s)")
