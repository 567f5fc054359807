"""A deal event carries its deal's partner, so that the partner's timeline reads its newest events from one index:
every way events are written sets it, the migration fills it for the events written before, and the timeline
shows the same events as when it went through the deals."""

from __future__ import annotations

import importlib
from datetime import timedelta

from django.apps import apps as django_apps
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import services
from deals.models import DealEvent, Stage
from deals.selectors.partner360 import partner_deal_events


def _register(partner, user, name: str):
    return services.deal_register(partner=partner, user=user, customer_name=name, corporate_number="", web_domain="",
                                  amount=1_000_000, expected_close=timezone.localdate() + timedelta(days=30))


def _history(people) -> list:
    """Deals of both partners, each with a few events written by the services."""
    deals = []
    for n, (partner, user) in enumerate([(people.partner, people.partner_rep),
                                         (people.other_partner, people.other_partner_admin)] * 3):
        deal = _register(partner, user, f"株式会社イベント検証{n}")
        services.deal_approve(deal=deal, actor=people.channel_manager)
        if n % 2 == 0:
            services.deal_move(deal=deal, actor=people.channel_manager, stage=Stage.PROPOSAL)
        deals.append(deal)
    return deals


def test_every_event_the_services_write_carries_its_deals_partner(people_a):
    with tenant_context(people_a.tenant):
        deals = _history(people_a)
        events = DealEvent.objects.filter(deal__in=deals)
        assert set(events.values_list("kind", flat=True)) == {"registered", "approved", "stage"}
        for deal in deals:
            assert set(DealEvent.objects.filter(deal=deal).values_list("partner_id", flat=True)) == {deal.partner_id}
        assert events.filter(partner=people_a.partner).count() == events.filter(deal__partner=people_a.partner).count()


def test_the_migration_fills_each_events_partner_from_its_deal(people_a):
    migration = importlib.import_module("deals.migrations.0013_dealevent_partner")
    with tenant_context(people_a.tenant):
        deals = _history(people_a)
        first, second = (DealEvent.objects.filter(deal=deal).order_by("id")[0].pk for deal in deals[:2])
        with connection.cursor() as cursor:
            # As before the column was filled (undone with the test's transaction); one event set wrong besides.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE deals_dealevent ALTER COLUMN partner_id DROP NOT NULL")
            cursor.execute("UPDATE deals_dealevent SET partner_id = NULL WHERE id <> %s", [second])
            cursor.execute("UPDATE deals_dealevent SET partner_id = %s WHERE id = %s", [deals[0].partner_id, second])
        assert DealEvent.objects.get(pk=first).partner_id is None

        migration.fill_partners(django_apps, connection.schema_editor())

        assert not DealEvent.objects.filter(partner__isnull=True).exists()
        assert not DealEvent.objects.exclude(partner=F("deal__partner")).exists()
        assert DealEvent.objects.get(pk=second).partner_id == deals[1].partner_id == people_a.other_partner.pk
        assert DealEvent.objects.filter(deal__in=deals).count() == 15


def test_the_partners_timeline_reads_the_same_events_as_through_its_deals(people_a):
    with tenant_context(people_a.tenant):
        _history(people_a)
        # Out of the order they were written in, and two at the same moment: the id breaks the tie.
        moment = timezone.now() - timedelta(days=1)
        for n, event in enumerate(DealEvent.objects.order_by("id")):
            DealEvent.objects.filter(pk=event.pk).update(occurred_at=moment - timedelta(minutes=(n * 7) % 5))
        for partner, total in ((people_a.partner, 9), (people_a.other_partner, 6)):
            for limit in (1, 4, 100):
                through_deals = DealEvent.objects.filter(deal__partner=partner).order_by("-occurred_at", "-id")
                expected = [(event.deal_id, event.deal.customer_name, event.kind, event.occurred_at)
                            for event in through_deals.select_related("deal")[:limit]]
                lines = partner_deal_events(partner.pk, limit=limit)
                assert [(line.deal_id, line.customer_name, line.kind, line.occurred_at) for line in lines] == expected
                assert len(expected) == min(limit, total)


def test_the_timeline_reads_the_newest_events_from_the_partners_index(people_a):
    """Not every event of every deal of the partner, sorted: the first entries of its index, however long the
    history (here 20,000 events over both partners' deals)."""
    with tenant_context(people_a.tenant):
        _history(people_a)
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO deals_dealevent (deal_id, partner_id, kind, occurred_at, actor_id, data)
                SELECT d.id, d.partner_id, 'stage', now() - n * interval '1 minute', NULL, '{}'
                  FROM generate_series(1, 20000) n
                  JOIN (SELECT id, partner_id, row_number() OVER (ORDER BY id) - 1 AS k
                          FROM deals_dealregistration) d ON d.k = n % 6""")
            cursor.execute("ANALYZE deals_dealevent")
            with CaptureQueriesContext(connection) as statements:
                lines = partner_deal_events(people_a.partner.pk, limit=15)
            (statement,) = statements.captured_queries
            cursor.execute(f"EXPLAIN {statement['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert len(lines) == 15
        assert "Index Scan using deal_event_partner_latest" in plan and "Sort" not in plan, plan
