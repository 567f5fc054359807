"""./kyoso bench webhooks: deliveries per second to a local receiver, and a back-log after an outage.

Runs the delivery path a worker runs (outbox → fan-out → one endpoint's drain, signed, over HTTP with
keep-alive) in this process, against a receiver on 127.0.0.1 that checks every signature. Then the
receiver answers 503 for a while: the back-log waits, and once it is back everything drains with no
loss (received = sent, unique ids) and in order per object. The vendor is made for the run and dropped.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Receiver:
    def __init__(self, secret: str):
        from webhooks import signing

        self.ids: list[str] = []
        self.by_object: dict[str, list[int]] = defaultdict(list)
        self.bad_signatures = 0
        self.down = False
        lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 503 if owner.down else 200
                if status == 200:
                    try:
                        signing.verify(secret, dict(self.headers.items()), body)
                    except signing.InvalidSignature:
                        status = 401
                    payload = json.loads(body)
                    with lock:
                        if status == 401:
                            owner.bad_signatures += 1
                        else:
                            owner.ids.append(self.headers["webhook-id"])
                            owner.by_object[str(payload["data"]["object"])].append(payload["data"]["n"])
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bench"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _publish(count: int, objects: int, start: int = 0) -> None:
    from django.db import transaction

    from prm import events

    with transaction.atomic():
        events.publish_many([events.Event("deal.approved", "deal", n % objects, None,
                                          {"object": n % objects, "n": n}) for n in range(start, start + count)])


def _drain(endpoint_id: int) -> None:
    from webhooks import services

    while services.endpoint_drain(endpoint_id=endpoint_id).sent:
        pass


def bench_webhooks(runs: int, *, smoke: bool, size: Callable[..., int]) -> None:
    """`smoke` and `size` come from bench/run.py (run as a script, so its globals are not importable here)."""
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from prm.accounts.models import User
    from prm.tenancy.services import vendor_create
    from webhooks import services
    from webhooks.models import Delivery

    slug = f"{'smoke' if smoke else ''}benchhooks-{uuid.uuid4().hex[:6]}"
    vendor = vendor_create(slug=slug, name="ベンチWebhook株式会社", admin_email=f"admin@{slug}.example",
                           admin_password="bench-password-123").vendor
    total, outage_total = size(10_000, 20), size(2_000, 10)
    objects = max(1, total // 10)
    try:
        with override_settings(KYOSO_WEBHOOK_ALLOW_PRIVATE=True, KYOSO_WEBHOOK_RETRY_SECONDS=[60] * 20,
                               KYOSO_WEBHOOK_DISABLE_AFTER=10_000), tenant_context(vendor):
            admin = User.objects.get(email=f"admin@{slug}.example")
            receiver = None
            try:
                endpoint_id = 0
                created = services.endpoint_create(actor=admin, partner=None, url="https://placeholder.example/",
                                                   event_types=["deal.approved"])
                receiver = _Receiver(created.secret)
                type(created.endpoint).objects.filter(pk=created.endpoint.pk).update(url=receiver.url)
                endpoint_id = created.endpoint.pk

                started = time.perf_counter()
                _publish(total, objects)
                published = time.perf_counter() - started
                started = time.perf_counter()
                services.events_fan_out()
                fanned = time.perf_counter() - started
                started = time.perf_counter()
                _drain(endpoint_id)
                drained = time.perf_counter() - started
                assert len(receiver.ids) == total and len(set(receiver.ids)) == total, len(receiver.ids)
                print(f"webhooks: {total:,} events published in {published:.2f} s, fanned out in {fanned:.2f} s, "
                      f"delivered in {drained:.2f} s = {total / drained:,.0f} deliveries/s "
                      f"(signed, verified by the receiver, one endpoint, {objects:,} objects in order)", flush=True)

                receiver.down = True
                _publish(outage_total, objects, start=total)
                services.events_fan_out()
                services.endpoint_drain(endpoint_id=endpoint_id)  # every object's head fails, the rest waits
                waiting = Delivery.objects.filter(endpoint_id=endpoint_id, state=Delivery.State.PENDING).count()
                receiver.down = False
                # The receiver is back; the first retry (a minute here) is made due now rather than waited for.
                Delivery.objects.filter(endpoint_id=endpoint_id, state=Delivery.State.PENDING).update(
                    next_attempt_at=timezone.now())
                started = time.perf_counter()
                _drain(endpoint_id)
                recovered = time.perf_counter() - started
                sent = total + outage_total
                unique = len(set(receiver.ids))
                in_order = all(numbers == sorted(numbers) for numbers in receiver.by_object.values())
                disorder = {obj: numbers for obj, numbers in receiver.by_object.items() if numbers != sorted(numbers)}
                assert unique == sent == len(receiver.ids), (unique, sent, len(receiver.ids))
                assert in_order, list(disorder.items())[:3]
                assert receiver.bad_signatures == 0, receiver.bad_signatures
                assert not Delivery.objects.filter(endpoint_id=endpoint_id).exclude(
                    state=Delivery.State.SUCCEEDED).exists()
                print(f"webhooks: outage back-log of {waiting:,} deliveries drained in {recovered:.2f} s after the "
                      f"receiver came back; received {len(receiver.ids):,} = sent {sent:,}, unique ids {unique:,}, "
                      f"in order per object: {in_order}", flush=True)
            finally:
                if receiver is not None:
                    receiver.close()
    finally:
        connection.set_schema_to_public()
        vendor.delete(force_drop=True)
        connection.set_schema_to_public()
