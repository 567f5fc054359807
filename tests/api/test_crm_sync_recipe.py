"""The CRM sync recipe (examples/crm_sync.py) run for real: its receiver on 127.0.0.1 registered as a webhook
endpoint of vendor A, a real Celery worker delivering, a deal registered, approved, won and confirmed
through the API → rows in the recipe's SQLite store; CRM accounts pushed through the API → in Kyoso."""

from __future__ import annotations

import importlib.util
import sqlite3
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.api.write_fixtures import customer, in_vendor, write_records  # noqa: F401  (fixture)
from tests.conftest import worker_process

pytestmark = pytest.mark.worker

RECIPE = Path(__file__).resolve().parents[2] / "examples" / "crm_sync.py"


def _recipe():
    spec = importlib.util.spec_from_file_location("crm_sync_recipe", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hook_worker(django_db_setup, django_db_blocker):
    with worker_process(django_db_blocker, {"KYOSO_WEBHOOK_RETRY_SECONDS": "1,1,1,1,1"}) as queue:
        yield queue


def _rows(path: Path, query: str) -> list:
    db = sqlite3.connect(path)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def _wait(path: Path, query: str, expected, timeout: float = 90):
    deadline = time.monotonic() + timeout
    rows = None
    while time.monotonic() < deadline:
        rows = _rows(path, query)
        if rows == expected:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"after {timeout} s the store has {rows}, expected {expected}")


def test_the_recipe_verifies_signatures_as_kyoso_signs_them():
    from webhooks import signing

    recipe = _recipe()
    secret, body, now = signing.new_secret(), b'{"type":"deal.won"}', int(time.time())
    recipe.verify(secret, signing.headers([signing.new_secret(), secret], "msg_1", now, body), body)
    for headers, sent in ((signing.headers([secret], "msg_1", now, body), body + b" "),
                          (signing.headers([signing.new_secret()], "msg_1", now, body), body),
                          (signing.headers([secret], "msg_1", now - 600, body), body),
                          ({"webhook-id": "msg_1"}, body)):
        with pytest.raises(recipe.InvalidSignature):
            recipe.verify(secret, headers, sent)


def test_deals_reach_the_crm_store_and_crm_accounts_reach_kyoso(world, unblocked, write_records, hook_worker,
                                                                 settings, tmp_path):
    from deals.models import DirectAccount
    from webhooks import services as hook_services
    from webhooks.models import Endpoint

    settings.KYOSO_WEBHOOK_QUEUE = settings.KYOSO_AFTER_COMMIT_QUEUE = hook_worker  # and what carries several sends
    recipe = _recipe()
    store = tmp_path / "crm.sqlite3"
    made = in_vendor(world, lambda: hook_services.endpoint_create(
        actor=world.people["vendor_admin"], partner=None, url="http://127.0.0.1:1/placeholder",
        event_types=["deal.approved", "deal.won"]))
    server = recipe.make_server(str(store), made.secret, port=0)
    url = f"http://127.0.0.1:{server.server_address[1]}/kyoso"
    in_vendor(world, lambda: Endpoint.objects.filter(pk=made.endpoint.pk).update(url=url))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    crm_source = f"crm{uuid.uuid4().hex[:6]}"
    try:
        name = customer()
        registered = world.post("/api/v1/deals", {
            "customer_name": name, "amount": 2_400_000,
            "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat()}, key="partner_a").json
        path = f"/api/v1/deals/{registered['id']}"
        assert world.post(f"{path}/approve", {}, key="vendor_write").json["stage"] == "approved"
        query = f"SELECT kyoso_id, customer_name, stage, won_amount, last_event FROM crm_deals WHERE kyoso_id = {registered['id']}"
        _wait(store, query, [(registered["id"], name, "approved", None, "deal.approved")])
        assert world.post(f"{path}/move", {"stage": "won", "won_amount": 2_300_000}, key="partner_a").status == 200
        assert world.post(f"{path}/win", {}, key="vendor_write").json["stage"] == "won"
        _wait(store, query, [(registered["id"], name, "won", 2_300_000, "deal.won")])
        assert len(_rows(store, "SELECT * FROM received_messages")) >= 2

        # the other way: the CRM's accounts, twice (the second changes nothing)
        db = recipe.connect(str(store))
        account_name = customer()
        with db:
            db.execute("INSERT INTO crm_accounts VALUES (?, ?, ?, ?, ?, ?)",
                       ["0015g00000XyZ", account_name, "", "direct-crm.example.co.jp", "年間契約", 9_000_000])
            db.execute("INSERT INTO crm_accounts VALUES (?, ?, ?, ?, ?, ?)", ["bad-1", "x", "1234567890123", "", "", 0])
        host = world.host("console")
        first = recipe.push_accounts(db, world.server.url, world.tokens["vendor_write"], source=crm_source, host=host)
        assert (first["created"], first["updated"]) == (1, 0)
        assert [(item["crm_id"], item["errors"][0]["field"]) for item in first["refused"]] == [("bad-1", "corporate_number")]
        again = recipe.push_accounts(db, world.server.url, world.tokens["vendor_write"], source=crm_source, host=host)
        assert (again["created"], again["updated"]) == (0, 1)
        accounts = in_vendor(world, lambda: list(DirectAccount.objects.filter(external_ids__has_key=crm_source)
                                                 .values_list("customer_name", "domain_key", "external_ids")))
        from deals.services import customer_keys_for

        domain = customer_keys_for(account_name, "", "direct-crm.example.co.jp").domain  # the matcher's form
        assert accounts == [(account_name, domain, {crm_source: "0015g00000XyZ"})]
        taken = world.post("/api/v1/deals", {"customer_name": account_name, "amount": 1,
                                             "expected_close": (timezone.localdate() + timedelta(days=9)).isoformat()},
                           key="partner_b")
        assert taken.status == 409  # the CRM's open opportunity holds the customer in Kyoso's conflict check
    finally:
        server.shutdown()
        server.server_close()
        in_vendor(world, lambda: (Endpoint.objects.filter(pk=made.endpoint.pk).delete(),
                                  DirectAccount.objects.filter(external_ids__has_key=crm_source).delete()))
