"""Webhooks end to end on committed data: a real Celery worker (its own, with a one-second back-off), a real
HTTP receiver on 127.0.0.1, domain services publishing after commit; two drains racing on one endpoint."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import connection, connections, transaction
from django_tenants.utils import schema_context, tenant_context

from partners import services as partner_services
from partners.models import Partner, PartnerEvent
from prm import events
from prm.accounts.models import User
from prm.celery import app
from prm.outbox.models import OutboxEvent
from prm.tenancy.models import Vendor
from tests.conftest import worker_process
from tests.webhooks.receiver import Receiver
from webhooks import services, signing
from webhooks.models import Delivery, Endpoint
from webhooks.tasks import webhooks_sweep

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def hook_worker(django_db_setup, django_db_blocker):
    with worker_process(django_db_blocker, {"KYOSO_WEBHOOK_RETRY_SECONDS": "1,1,1,1,1"}) as queue:
        yield queue


@pytest.fixture
def bravo(django_db_blocker):
    """The second vendor, on committed data: whatever a test makes is removed afterwards."""
    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="bravo")
        with tenant_context(vendor):
            first_event = (OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
            partners_before = set(Partner.objects.values_list("pk", flat=True))
            try:
                yield vendor
            finally:
                Endpoint.objects.all().delete()
                OutboxEvent.objects.filter(id__gte=first_event).delete()
                made = Partner.objects.exclude(pk__in=partners_before)
                PartnerEvent.objects.filter(partner__in=made).delete()
                made.delete()
        connection.set_schema_to_public()


def _types(items, path):
    return [(r.payload["type"], r.payload["data"]["id"]) for r in items if r.path == path]


def test_domain_events_reach_a_real_receiver_signed_in_order_after_500s_and_only_a_partners_own(
        hook_worker, bravo, settings):
    settings.KYOSO_WEBHOOK_QUEUE = settings.KYOSO_AFTER_COMMIT_QUEUE = hook_worker  # and what carries several sends
    failures: Counter = Counter()

    def answer(received):
        key = (received.path, received.payload["data"]["id"])
        if received.payload["type"] == "partner.created" and failures[key] < 2:
            failures[key] += 1
            return 500
        return 200

    with Receiver(answer) as receiver:
        admin = User.objects.get(email="founder@bravo.example")
        vendor_hook = services.endpoint_create(actor=admin, partner=None, url=receiver.url + "/vendor",
                                               event_types=["partner.created", "partner.updated"])
        with transaction.atomic():
            partner = partner_services.partner_create(actor=None, name=f"送信テスト{uuid.uuid4().hex[:6]}",
                                                      partner_type="resale")
            partner_secret = signing.new_secret()
            Endpoint.objects.create(partner=partner, url=receiver.url + "/partner", secret=partner_secret,
                                    event_types=["partner.created", "partner.updated"])
        partner_services.partner_update(partner=partner, actor=None, name=partner.name + "（更新）")
        with transaction.atomic():
            events.publish("partner.created", object_type="partner", object_id=10**12, partner_id=10**12,
                           data={"id": 10**12})

        def done(items):
            return all(("partner.updated", partner.pk) in _types(items, path) for path in ("/hooks/vendor",
                                                                                           "/hooks/partner"))

        items = receiver.wait_for(done, timeout=90)
        time.sleep(1.5)  # anything still to come (a stray duplicate) arrives now
        items = receiver.snapshot()
        for path, secret in (("/hooks/vendor", vendor_hook.secret), ("/hooks/partner", partner_secret)):
            mine = [r for r in items if r.path == path]
            for item in mine:
                signing.verify(secret, item.headers, item.body)
            sequence = [(r.payload["type"], r.payload["data"]["id"]) for r in mine if r.payload["data"]["id"] == partner.pk]
            assert sequence == [("partner.created", partner.pk)] * 3 + [("partner.updated", partner.pk)], sequence
            created = [r for r in mine if r.payload["type"] == "partner.created" and r.payload["data"]["id"] == partner.pk]
            assert len({r.headers["webhook-id"] for r in created}) == 1  # the retries are the same message
            assert created[1].at - created[0].at >= 0.9  # waited for the back-off
        # Nothing but this test's objects: rows other tests left undispatched in the tenant predate the endpoints.
        assert {obj for _, obj in _types(items, "/hooks/vendor")} == {partner.pk, 10**12}
        assert {obj for _, obj in _types(items, "/hooks/partner")} == {partner.pk}
        assert _types(items, "/hooks/vendor").count(("partner.created", 10**12)) == 3
        assert ("partner.created", 10**12) not in _types(items, "/hooks/partner")
        updated = next(r for r in items if r.path == "/hooks/partner" and r.payload["type"] == "partner.updated")
        assert updated.payload["data"]["name"].endswith("（更新）") and updated.payload["data"]["changed"] == ["name"]
        logged = Delivery.objects.filter(endpoint=vendor_hook.endpoint, event__object_id=str(partner.pk))
        assert sorted(logged.values_list("event__type", "state", "attempts")) == [
            ("partner.created", "succeeded", 3), ("partner.updated", "succeeded", 1)]


def test_the_sweep_sends_events_whose_dispatch_was_lost(hook_worker, bravo, settings):
    lost_queue = f"kyoso-lost-{uuid.uuid4().hex[:8]}"
    settings.KYOSO_WEBHOOK_QUEUE = lost_queue  # nobody listens: the dispatch queued on commit never runs
    try:
        with Receiver() as receiver:
            admin = User.objects.get(email="founder@bravo.example")
            services.endpoint_create(actor=admin, partner=None, url=receiver.url, event_types=["deal.won"])
            with transaction.atomic():
                events.publish("deal.won", object_type="deal", object_id=5, partner_id=None,
                               data={"id": 5, "won_amount": 3_000_000})
            time.sleep(1)
            assert receiver.snapshot() == []
            result = webhooks_sweep.apply_async(kwargs={"schema_name": bravo.schema_name}, queue=hook_worker,
                                                headers={"_schema_name": bravo.schema_name})
            assert result.get(timeout=60) == {"endpoints": 1}
            got = receiver.wait_for(lambda items: len(items) == 1, timeout=30)
            assert got[0].payload["data"] == {"id": 5, "won_amount": 3_000_000}
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(lost_queue)


def test_a_new_endpoint_receives_only_events_published_after_it_was_made(bravo, settings):
    lost_queue = f"kyoso-lost-{uuid.uuid4().hex[:8]}"
    settings.KYOSO_WEBHOOK_QUEUE = lost_queue  # the dispatches queued on commit never run: rows wait undispatched
    try:
        with transaction.atomic():
            events.publish("deal.won", object_type="deal", object_id=1, data={"id": 1})
        admin = User.objects.get(email="founder@bravo.example")
        endpoint = services.endpoint_create(actor=admin, partner=None, url="https://example.com/hooks",
                                            event_types=["deal.won"]).endpoint
        with transaction.atomic():
            events.publish("deal.won", object_type="deal", object_id=2, data={"id": 2})
        assert OutboxEvent.objects.filter(dispatched_at__isnull=True, object_type="deal",
                                          object_id__in=["1", "2"]).count() == 2
        assert services.events_fan_out() == {endpoint.pk}
        assert list(Delivery.objects.filter(endpoint=endpoint).values_list("event__object_id", flat=True)) == ["2"]
        assert not OutboxEvent.objects.filter(dispatched_at__isnull=True, object_id__in=["1", "2"]).exists()
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(lost_queue)


def test_two_workers_draining_one_endpoint_send_each_event_once_and_never_at_the_same_time(bravo):
    in_flight, most = [0], [0]
    guard = threading.Lock()

    def answer(received):
        with guard:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01)
        with guard:
            in_flight[0] -= 1
        return 200

    with Receiver(answer) as receiver:
        admin = User.objects.get(email="founder@bravo.example")
        endpoint = services.endpoint_create(actor=admin, partner=None, url=receiver.url,
                                            event_types=["deal.approved"]).endpoint
        with transaction.atomic():
            for n in range(40):
                events.publish("deal.approved", object_type="deal", object_id=n % 7, data={"id": n})
        services.events_fan_out()
        results, errors = [], []

        def drain():
            try:
                connection.set_tenant(bravo)
                results.append(services.endpoint_drain(endpoint_id=endpoint.pk))
            except Exception as error:  # noqa: BLE001 — reported below
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=drain) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        got = receiver.snapshot()
        assert sorted(r.payload["data"]["id"] for r in got) == list(range(40))
        assert most[0] == 1
        assert sum(r.sent for r in results) == 40
        for obj in range(7):  # in event order within each object
            ids = [r.payload["data"]["id"] for r in got if r.payload["data"]["id"] % 7 == obj]
            assert ids == sorted(ids)
