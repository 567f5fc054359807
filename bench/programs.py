"""Benchmark of tier evaluation."""

from __future__ import annotations

import time

from bench.common import _tenant, size


def bench_tiers(runs: int) -> None:
    """Tier evaluation of 10,000 partners with 1,000,000 deals and 100,000 contacts."""
    import resource
    import tracemalloc

    from django.db import connection
    from django_tenants.utils import tenant_context

    from partners.models import Partner
    from programs import services

    vendor = _tenant("benchtiers", "ベンチランク株式会社")
    with tenant_context(vendor):
        from deals.models import DealRegistration
        from partners.models import Contact

        if DealRegistration.objects.count() < size(1_000_000) or Contact.objects.count() < size(100_000):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("""
                    INSERT INTO partners_partner (name, name_kana, partner_type, stage, stage_changed_at, prefectures,
                        industries, corporate_number, invoice_number, website, phone, postal_code, address, bank_code,
                        bank_name, branch_code, branch_name, account_type, account_number, account_holder,
                        co_creation_benefit, co_selling_model, score_customer_overlap, score_core_business,
                        score_characteristics, score_sales_capacity, notes, created_at, updated_at, is_individual, parent_id)
                    SELECT '株式会社ランク' || n, 'ランク' || n, 'resale', 'activation', now(), '{}', '{}', '', '', '', '', '',
                           '', '', '', '', '', '', '', '', '', '', 0, 0, 0, 0, '', now(), now(), false, NULL
                    FROM generate_series(%s::int, 10000) n""", [Partner.objects.count() + 1])
                cursor.execute("SELECT array_agg(id ORDER BY id) FROM partners_partner")
                ids = cursor.fetchone()[0]
                cursor.execute("DELETE FROM deals_dealregistration")
                cursor.execute("DELETE FROM partners_contactsignal")
                cursor.execute("DELETE FROM partners_contact")
                cursor.execute("""
                    INSERT INTO deals_dealregistration (customer_name, corporate_number, web_domain, name_key, corporate_key,
                        domain_key, partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                        role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority, registered_at,
                        decision_reason, won_amount, won_on)
                    SELECT '顧客' || n, '', '', 'k' || (n %% 300000), '', '', (%s::bigint[])[1 + (n::bigint * 7919) %% 10000], '', '',
                           500000 + (n %% 20) * 100000, CURRENT_DATE, '',
                           CASE WHEN n %% 3 = 0 THEN 'vendor' ELSE 'partner' END, 'partner', 'partner', 'partner', 'partner',
                           CASE WHEN n %% 2 = 0 THEN 'won' ELSE 'approved' END, 'holder', now() - ((n %% 500) || ' days')::interval, '',
                           CASE WHEN n %% 2 = 0 THEN 500000 + (n %% 20) * 100000 END,
                           CASE WHEN n %% 2 = 0 THEN CURRENT_DATE - (n %% 500) END
                    FROM generate_series(1, 1000000) n""", [ids])
                cursor.execute("""
                    INSERT INTO partners_contact (partner_id, full_name, full_name_kana, email, phone, department, title, role,
                        is_key_person, stage, notes, created_at)
                    SELECT (%s::bigint[])[1 + n %% 10000], '担当' || n, '', '', '', '', '', 'rep', false,
                           (ARRAY['potential','valid','trained','active'])[1 + n %% 4], '', now()
                    FROM generate_series(1, 100000) n""", [ids])
                cursor.execute("""
                    INSERT INTO partners_contactsignal (partner_id, contact_id, kind, occurred_at, source)
                    SELECT partner_id, id, 'certified', now() - ((id % 400) || ' days')::interval, ''
                    FROM partners_contact WHERE id % 5 = 0""")
                cursor.execute("ANALYZE")
            print(f"tiers: seeded 10,000 partners, 1,000,000 deals, 100,000 contacts in {time.perf_counter() - started:.1f} s")
        for label, dry in (("dry run", True), ("applied", False)):
            tracemalloc.start()
            started = time.perf_counter()
            result = services.evaluate(dry_run=dry)
            elapsed = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"tiers ({label}): {result.partners:,} partners evaluated in {elapsed:.1f} s, "
                  f"{len(result.proposals):,} changes; Python peak {peak / 1e6:.0f} MB, process max RSS {rss:.0f} MB")
