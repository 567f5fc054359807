"""The nightly retention job removes what is past each horizon and keeps the rest (and whatever money reads)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tenants.utils import tenant_context

from enablement.models import ContentAccess
from insights.models import HealthSnapshot
from partners.models import ContactSignal, SignalKind
from prm import retention
from prm.exports.models import ExportJob
from prm.notifications.models import Notification
from prm.outbox.models import OutboxEvent
from tests.enablement.factories import ContentItemFactory

NOW = timezone.make_aware(datetime(2026, 12, 5, 3, 0))


def test_months_before_keeps_the_day_or_the_months_last_day():
    assert retention.months_before(date(2026, 12, 5), 24) == date(2024, 12, 5)
    assert retention.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert retention.months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


@pytest.mark.parametrize("horizon", [{"KYOSO_RETENTION_NOTIFICATION_DAYS": 30, "KYOSO_RETENTION_SIGNAL_MONTHS": 13,
                                      "KYOSO_RETENTION_DOWNLOAD_MONTHS": 6, "KYOSO_RETENTION_HEALTH_MONTHS": 13,
                                      "KYOSO_RETENTION_EXPORT_DAYS": 7, "KYOSO_RETENTION_EVENT_DAYS": 30}])
def test_it_purges_each_kind_past_its_horizon_only(people_a, settings, horizon):
    for name, value in horizon.items():
        setattr(settings, name, value)
    user, partner = people_a.partner_rep, people_a.partner
    day = timedelta(days=1)
    with tenant_context(people_a.tenant):
        expired = Session.objects.create(session_key="e" * 32, session_data="", expire_date=NOW - day)
        live = Session.objects.create(session_key="l" * 32, session_data="", expire_date=NOW + day)

        def note(read_at):
            return Notification.objects.create(user=user, kind="test", title="通知", created_at=NOW - 400 * day,
                                               read_at=read_at)

        old_read, recent_read, old_unread = note(NOW - 31 * day), note(NOW - 29 * day), note(None)

        signal_horizon = timezone.make_aware(datetime(2025, 11, 5))
        def signal(kind, at):
            return ContactSignal.objects.create(partner=partner, kind=kind, occurred_at=at)

        old_login = signal(SignalKind.PORTAL_LOGIN, signal_horizon - timedelta(minutes=1))
        kept_login = signal(SignalKind.PORTAL_LOGIN, signal_horizon + timedelta(minutes=1))
        old_certified = signal(SignalKind.CERTIFIED, signal_horizon - 300 * day)  # commissions read it

        item = ContentItemFactory()
        download_horizon = timezone.make_aware(datetime(2026, 6, 5))
        old_download = ContentAccess.objects.create(item=item, user=user, partner=partner, action="download",
                                                    at=download_horizon - timedelta(minutes=1))
        kept_download = ContentAccess.objects.create(item=item, user=user, partner=partner, action="download",
                                                     at=download_horizon + timedelta(minutes=1))

        old_snapshot = HealthSnapshot.objects.create(partner=partner, day=date(2025, 11, 4), score=50, band="healthy")
        kept_snapshot = HealthSnapshot.objects.create(partner=partner, day=date(2025, 11, 5), score=60, band="healthy")

        old_export = ExportJob.objects.create(kind="partners.partners", requested_by=people_a.channel_manager,
                                              created_at=NOW - 8 * day)
        kept_export = ExportJob.objects.create(kind="partners.partners", requested_by=people_a.channel_manager,
                                               created_at=NOW - 6 * day)

        old_event = OutboxEvent.objects.create(type="deal.won", object_type="deal", object_id="1",
                                               occurred_at=NOW - 31 * day, dispatched_at=NOW - 31 * day)
        kept_event = OutboxEvent.objects.create(type="deal.won", object_type="deal", object_id="1",
                                                occurred_at=NOW - 29 * day, dispatched_at=NOW - 29 * day)
        undispatched = OutboxEvent.objects.create(type="deal.won", object_type="deal", object_id="1",
                                                  occurred_at=NOW - 31 * day)

        removed = retention.purge(NOW)
        assert removed == {"sessions": 1, "notifications": 1, "signals": 1, "downloads": 1, "health_history": 1,
                           "exports": 1, "events": 1}

        def exists(obj):
            return type(obj).objects.filter(pk=obj.pk).exists()

        assert [exists(o) for o in (expired, old_read, old_login, old_download, old_snapshot, old_export,
                                    old_event)] == [False] * 7
        assert all(exists(o) for o in (live, recent_read, old_unread, kept_login, old_certified, kept_download,
                                       kept_snapshot, kept_export, kept_event, undispatched))
        assert retention.purge(NOW) == dict.fromkeys(removed, 0)  # nothing more the second night


def test_the_retention_job_is_a_nightly_tenant_job():
    from prm.periodic import TENANT_JOBS

    assert TENANT_JOBS["retention-purge"].task == "prm.tasks.retention_purge"
