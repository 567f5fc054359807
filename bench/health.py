"""Benchmark of health scoring and the dashboard on top of it."""

from __future__ import annotations

import logging
import time

from bench.common import _peak_rss_reset, _percentiles, _rss_kb, _tenant, channel_manager, size, timed_gets


def _health_seed(staff) -> None:
    """10,000 signed partners, 100,000 contacts (60,000 with portal accounts), 5,000,000 signals over 12 months,
    200,000 deals, certifications and quiz attempts, all set-based. A tenth of the partners have gone quiet
    (nothing in the last five months) and a fifth are slowing down (nothing in the last 40 days), so every band
    has partners."""
    from django.db import connection, transaction

    from enablement.models import Certification, Course, Quiz
    from prm.accounts.models import User

    started = time.perf_counter()
    managers = [staff] + [User.objects.get_or_create(email=f"cm{n}@benchhealth.example", defaults={
        "full_name": f"担当 {n}", "role": "channel_manager"})[0] for n in range(1, 4)]
    quiz = Quiz.objects.create(course=Course.objects.create(title="製品基礎"), pass_mark=70)
    certification, _ = Certification.objects.get_or_create(code="bench-basic", defaults={"name": "認定セールス"})
    quiet = "CASE WHEN {i} %% 10 = 0 THEN 150 WHEN {i} %% 10 IN (1, 2) THEN 40 ELSE 0 END"  # days without activity
    statements = [
        # Partner i = 1…10,000; i % 10 = 0 are dormant (and quiet).
        ("""INSERT INTO partners_partner (name, name_kana, partner_type, stage, stage_changed_at, prefectures,
                industries, corporate_number, invoice_number, website, phone, postal_code, address, bank_code,
                bank_name, branch_code, branch_name, account_type, account_number, account_holder,
                co_creation_benefit, co_selling_model, score_customer_overlap, score_core_business,
                score_characteristics, score_sales_capacity, notes, created_at, updated_at, is_individual, parent_id,
                owner_id)
            SELECT '株式会社ヘルス' || i, 'ヘルス' || i,
                   (ARRAY['referral','agency','resale','resale','distributor','solution','oem','alliance'])[1 + i %% 8],
                   CASE WHEN i %% 10 = 0 THEN 'dormant' WHEN i %% 7 = 0 THEN 'onboarding'
                        WHEN i %% 3 = 0 THEN 'activation' ELSE 'retention' END,
                   now() - ((i %% 300) || ' days')::interval, '{13}', '{it}', '', '', '', '', '', '', '', '', '', '',
                   '', '', '', '', '', 3, 3, 3, 3, '', now() - ((30 + i %% 1000) || ' days')::interval, now(), false,
                   NULL, (%s::bigint[])[1 + i %% 4]
            FROM generate_series(1, 10000) i""", [[manager.pk for manager in managers]]),
        ("""CREATE TEMP TABLE bench_partner AS
            SELECT row_number() OVER (ORDER BY id) AS i, id, created_at FROM partners_partner
            WHERE name LIKE '株式会社ヘルス%%'""", []),
        ("""INSERT INTO partners_agreement (kind, agreed_on, recorded_at, summary, details, partner_id)
            SELECT kind, p.created_at::date + 20, p.created_at + interval '20 days', '', '{}', p.id
            FROM bench_partner p
            CROSS JOIN unnest(ARRAY['co_creation', 'business_goal', 'program', 'contract']) kind""", []),
        # Contact k = 1…100,000 works at partner 1 + (k - 1) % 10,000; k ≤ 60,000 have a portal account.
        ("""INSERT INTO partners_contact (full_name, full_name_kana, email, phone, department, title, role,
                is_key_person, stage, notes, created_at, partner_id)
            SELECT '担当 ' || k, '', 'c' || k || '@health.bench.example', '', '', '', 'rep', false, 'potential', '',
                   p.created_at, p.id
            FROM generate_series(1, 100000) k JOIN bench_partner p ON p.i = 1 + (k - 1) %% 10000""", []),
        ("""CREATE TEMP TABLE bench_contact AS
            SELECT row_number() OVER (ORDER BY c.id) AS k, c.id, c.partner_id, p.i AS partner_i
            FROM partners_contact c JOIN bench_partner p ON p.id = c.partner_id""", []),
        ("CREATE UNIQUE INDEX ON bench_contact (k)", []),
        ("""INSERT INTO accounts_user (password, last_login, is_superuser, email, full_name, full_name_kana, role,
                language, is_active, is_staff, date_joined)
            SELECT '!', NULL, false, 'c' || k || '@health.bench.example', '担当 ' || k, '',
                   CASE WHEN k <= 10000 THEN 'partner_admin' ELSE 'partner_rep' END, 'ja', k %% 50 <> 0, false, now()
            FROM bench_contact WHERE k <= 60000""", []),
        ("""UPDATE partners_contact c SET user_id = u.id FROM accounts_user u
            WHERE u.email = c.email AND c.email LIKE '%%@health.bench.example'""", []),
        ("""INSERT INTO partners_partnermembership (created_at, partner_id, user_id)
            SELECT now(), partner_id, user_id FROM partners_contact
            WHERE user_id IS NOT NULL AND email LIKE '%%@health.bench.example'""", []),
        # 5,000,000 signals over the year: three in five are portal sign-ins (by account holders), the rest
        # downloads, registrations, training, study sessions and certifications.
        (f"""INSERT INTO partners_contactsignal (partner_id, contact_id, kind, occurred_at, amount, source)
            SELECT c.partner_id, c.id, s.kind,
                   now() - make_interval(secs => (q.days + ((n::bigint * 48271) %% 31536000) / 31536000.0
                                                  * (365 - q.days)) * 86400),
                   NULL, ''
            FROM generate_series(1, 5000000) n
            CROSS JOIN LATERAL (SELECT CASE WHEN n %% 20 < 12 THEN 'portal_login'
                                            WHEN n %% 20 < 14 THEN 'content_downloaded'
                                            WHEN n %% 20 < 16 THEN 'lead_registered'
                                            WHEN n %% 20 = 16 THEN 'deal_registered'
                                            WHEN n %% 20 = 17 THEN 'training_completed'
                                            WHEN n %% 20 = 18 THEN 'session_attended'
                                            ELSE 'certified' END AS kind,
                                       1 + (n::bigint * 7919) %% 100000 AS k) s
            JOIN bench_contact c ON c.k = CASE WHEN s.kind = 'portal_login' THEN 1 + (s.k - 1) %% 60000 ELSE s.k END
            CROSS JOIN LATERAL (SELECT {quiet.format(i="c.partner_i")} AS days) q""", []),
        # 200,000 deal registrations: a third won, a tenth lost, the rest in progress or closed otherwise.
        (f"""INSERT INTO deals_dealregistration (customer_name, corporate_number, web_domain, name_key, corporate_key,
                domain_key, partner_id, customer_contact_name, customer_contact_email, amount, expected_close, notes,
                role_lead, role_proposal, role_contract, role_billing, role_support, stage, priority, registered_at,
                decision_reason, won_amount, won_on)
            SELECT '顧客' || n, '', '', 'h' || n, '', '', p.id, '', '', 500000 + (n %% 20) * 100000,
                   (d.registered + interval '60 days')::date, '', 'partner', 'partner', 'partner', 'partner', 'partner',
                   d.stage, 'holder', d.registered, '',
                   CASE WHEN d.stage = 'won' THEN 500000 + (n %% 20) * 100000 END,
                   CASE WHEN d.stage = 'won' THEN (d.registered + interval '45 days')::date END
            FROM generate_series(1, 200000) n
            JOIN bench_partner p ON p.i = 1 + (n::bigint * 7919) %% 10000
            CROSS JOIN LATERAL (SELECT {quiet.format(i="p.i")} AS days) q
            CROSS JOIN LATERAL (SELECT
                (ARRAY['won','won','won','won','won','lost','lost','registered','approved','approved','proposal',
                       'negotiation','approved','won','approved','rejected','expired','approved','proposal','won'])
                    [1 + n %% 20] AS stage,
                now() - make_interval(days => (q.days + (n * 31) %% 365 * (365 - q.days) / 365)::int)
                    AS registered) d""",
         []),
        # Certifications for a third of the account holders, issued over 18 months, valid for 12.
        ("""INSERT INTO enablement_certificationaward (holder_name, issued_at, expires_at, verification_code,
                certification_id, partner_id, user_id)
            SELECT c.full_name, i.issued, i.issued + interval '12 months', left(md5('bench-health-' || c.id), 12), %s,
                   c.partner_id, c.user_id
            FROM partners_contact c
            CROSS JOIN LATERAL (SELECT now() - ((c.id * 17) %% 540 || ' days')::interval AS issued) i
            WHERE c.user_id IS NOT NULL AND c.id %% 3 = 0""", [certification.pk]),
        # 150,000 quiz attempts by account holders over the year; about half pass.
        ("""INSERT INTO enablement_quizattempt (started_at, deadline, question_ids, choice_order, answers,
                submitted_at, score, passed, timed_out, quiz_id, user_id)
            SELECT a.at, a.at + interval '30 minutes', '[]', '{}', '{}', a.at + interval '20 minutes', a.score,
                   a.score >= 70, false, %s, u.user_id
            FROM generate_series(1, 150000) n
            JOIN (SELECT row_number() OVER (ORDER BY user_id) AS r, user_id FROM partners_contact
                  WHERE user_id IS NOT NULL AND email LIKE '%%@health.bench.example') u
              ON u.r = 1 + (n::bigint * 7919) %% 60000
            CROSS JOIN LATERAL (SELECT now() - ((n %% 365) || ' days')::interval AS at,
                                       40 + (n * 13) %% 61 AS score) a""", [quiz.pk]),
        ("""INSERT INTO programs_partnertier (partner_id, tier_id, since, metrics, evaluated_at)
            SELECT p.id, (SELECT id FROM programs_tier ORDER BY rank OFFSET p.i %% 4 LIMIT 1), p.created_at, '{}', now()
            FROM bench_partner p""", []),
        ("DROP TABLE bench_contact; DROP TABLE bench_partner", []),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
    print(f"health: seeded 10,000 partners, 100,000 contacts (60,000 with portal accounts), 5,000,000 signals, "
          f"200,000 deals, 20,000 certifications and 150,000 quiz attempts in {time.perf_counter() - started:.1f} s",
          flush=True)


def bench_health(runs: int) -> None:
    """Health recalculation for 10,000 partners, 100,000 contacts and 5,000,000 events; the dashboard on top."""
    import resource
    import tracemalloc

    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from insights.health.models import HealthAlert, HealthRun, HealthScore, HealthSnapshot
    from insights.health.services import recalculate
    from partners.models import ContactSignal, Partner
    from partners.services import contact_stages_recompute
    from prm.accounts.models import User

    # Alert e-mails go out when the recalculation commits; keep them in memory rather than on the console.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # They are sent as tasks run eagerly here: a log line per alert would bury the figures.
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    settings.KYOSO_EMAIL_DELIVERY = "inline"
    vendor = _tenant("benchhealth", "ベンチヘルス株式会社")
    with tenant_context(vendor):
        staff = channel_manager("admin@benchhealth.example")
        if ContactSignal.objects.count() < size(5_000_000):
            _health_seed(staff)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            started = time.perf_counter()
            changed = contact_stages_recompute()
            print(f"health: contact stages recomputed for 100,000 contacts ({changed:,} changed) in "
                  f"{time.perf_counter() - started:.1f} s")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        counts = {label: model.objects.count() for label, model in
                  (("partners", Partner), ("portal users", User), ("events", ContactSignal))}
        print("health: tenant holds " + ", ".join(f"{n:,} {label}" for label, n in counts.items())
              + " (events = contact signals: sign-ins, registrations, training …)")
        with connection.cursor() as cursor:  # raw: Django's delete() would load every row first
            cursor.execute("DELETE FROM partners_healthalert; DELETE FROM partners_healthsnapshot; "
                           "DELETE FROM partners_healthscore; DELETE FROM partners_healthrun")

        def measured(label: str, *, python_peak: bool = False) -> HealthRun:
            rss_before = _peak_rss_reset()
            maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if python_peak:
                tracemalloc.start()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                run = recalculate()
                elapsed = time.perf_counter() - started
            line = (f"health: recalculate ({label}): {run.partners:,} partners, {run.alerts:,} alerts in "
                    f"{elapsed:.1f} s wall, {len(captured)} SQL queries; ")
            if python_peak:
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                line += f"Python peak {peak / 1e6:.0f} MB (tracemalloc slows Python down; wall time not comparable)"
            else:
                peak_rss = _rss_kb("VmHWM")
                maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                line += (f"process RSS {rss_before / 1024:.0f} MB before, peak {peak_rss / 1024:.0f} MB during "
                         f"(+{(peak_rss - rss_before) / 1024:.0f} MB); max RSS of the process "
                         f"{maxrss_before / 1024:.0f} → {maxrss / 1024:.0f} MB")
            print(line)
            slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
            print("  slowest queries: " + "; ".join(f"{float(q['time']):.2f} s {' '.join(q['sql'].split())[:90]}…"
                                                   for q in slowest))
            return run

        measured("first run: inserts every score and snapshot")
        measured("second run, same day: updates every score and snapshot")
        fallen_ids = list(HealthScore.objects.exclude(band="healthy").order_by("partner_id")
                          .values_list("partner_id", flat=True)[:size(1_000, 10)])
        HealthScore.objects.filter(partner_id__in=fallen_ids).update(band="healthy")
        measured(f"third run, {len(fallen_ids):,} partners had been healthy: alerts and notifications")
        measured("under tracemalloc", python_peak=True)
        bands = dict(HealthScore.objects.values_list("band").annotate(n=Count("*")).order_by())
        print(f"health: bands {bands}; {HealthSnapshot.objects.count():,} snapshots, "
              f"{HealthAlert.objects.count():,} alerts")

    client = Client(HTTP_HOST=vendor.domain_for("console").domain)
    with tenant_context(vendor):
        from programs.models import Tier

        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
        filters = f"period=quarter&owner={staff.pk}&partner_type=resale&tier={Tier.objects.get(code='gold').pk}"
    connection.set_schema_to_public()
    client.get("/partners/")  # warm up: templates compiled, URLs resolved, connection open
    samples = size(max(runs * 2, 20), 1)
    for label, url in (("dashboard", "/insights/"),
                       ("dashboard, this quarter, one owner, type and tier", f"/insights/?{filters}")):
        with tenant_context(vendor):
            recalculate()  # a recalculation makes any cached figures stale
        connection.set_schema_to_public()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            first = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        print(f"health: {label}: first request after a recalculation {first * 1000:.0f} ms, "
              f"{len(captured)} SQL queries")
        for state in ("cold", "warm"):
            timings, counts = timed_gets(client, url, samples, before_each=cache.clear if state == "cold" else None)
            queries = set(counts)
            print(f"health: {label}, {state} ({'cache cleared before each request' if state == 'cold' else 'cached'}): "
                  f"{_percentiles(timings)} over {samples} requests, "
                  f"{'/'.join(str(q) for q in sorted(queries))} SQL queries")
