"""The sync recipe's receiving half (examples/crm_sync.py) against real deliveries: approved and won deals
mirrored once each, a wrong secret refused. Its push half needs the REST API and is not tested here."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from prm import events
from webhooks import services
from webhooks.models import Delivery


def _recipe():
    spec = importlib.util.spec_from_file_location("crm_sync", Path(settings.BASE_DIR) / "examples" / "crm_sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_crm_mirrors_approved_and_won_deals_once_and_refuses_a_wrong_signature(people_a, tmp_path):
    crm = _recipe()
    db = crm.connect(str(tmp_path / "crm.sqlite3"))
    with tenant_context(people_a.tenant):
        created = services.endpoint_create(actor=people_a.vendor_admin, partner=None, url="https://x.example/",
                                           event_types=["deal.registered", "deal.approved", "deal.won"])
        server = crm.make_server(db, created.secret, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            type(created.endpoint).objects.filter(pk=created.endpoint.pk).update(
                url=f"http://127.0.0.1:{server.server_address[1]}/webhooks")
            deal = {"id": 41, "partner_id": people_a.partner.pk, "customer_name": "株式会社ミラー",
                    "corporate_number": "", "amount": 2_000_000}
            for event_type, extra in (("deal.registered", {"stage": "registered"}), ("deal.approved", {"stage": "approved"}),
                                      ("deal.won", {"stage": "won", "won_amount": 2_500_000,
                                                    "won_on": timezone.localdate()})):
                events.publish(event_type, object_type="deal", object_id=41, partner_id=people_a.partner.pk,
                               data={**deal, **extra})
            services.events_fan_out()
            assert services.endpoint_drain(endpoint_id=created.endpoint.pk).sent == 3
            assert db.execute("SELECT kyoso_id, stage, won_amount FROM deals").fetchall() == [(41, "won", 2_500_000)]
            assert db.execute("SELECT count(*) FROM applied_messages").fetchone() == (3,)

            won = Delivery.objects.get(endpoint=created.endpoint, event__type="deal.won")
            services.delivery_resend(actor=people_a.vendor_admin, delivery=won)
            assert services.endpoint_drain(endpoint_id=created.endpoint.pk).sent == 1  # delivered again …
            assert db.execute("SELECT count(*) FROM applied_messages").fetchone() == (3,)  # … applied once

            services.endpoint_rotate_secret(actor=people_a.vendor_admin, endpoint=created.endpoint)
            type(created.endpoint).objects.filter(pk=created.endpoint.pk).update(previous_secret="")
            events.publish("deal.approved", object_type="deal", object_id=42, data={**deal, "id": 42, "stage": "approved"})
            services.events_fan_out()
            services.endpoint_drain(endpoint_id=created.endpoint.pk)
            refused = Delivery.objects.get(endpoint=created.endpoint, event__object_id="42")
            assert (refused.state, refused.last_status) == (Delivery.State.PENDING, 401)
            assert db.execute("SELECT count(*) FROM deals").fetchone() == (1,)
        finally:
            server.shutdown()
            server.server_close()
