"""The tasks a transaction sends after its commit leave as one broker message (prm.after_commit), which a real worker
forwards to each task's own queue and tenant."""

from __future__ import annotations

import base64
import json
import time
import uuid
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django_tenants.utils import tenant_context

from partners.models import Partner, Stage
from prm.after_commit import FORWARD_TASK, pending_sends, send_after_commit
from prm.notifications.models import Notification
from prm.smtp_sink import SmtpSink
from tests.platform.test_mail import _mail_worker, _stop


def _sends(callbacks) -> list:
    """The sends held by the captured commit callbacks, a list per callback that holds any."""
    return [[(send.task, send.kwargs, send.queue) for send in sends]
            for sends in map(pending_sends, callbacks) if sends is not None]


def _parked(queue: str) -> list[dict]:
    """The messages waiting in a queue nobody consumes, read off the real broker: task, tenant header and kwargs."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        raw = client.lrange(queue, 0, -1)
        client.delete(queue)
    finally:
        client.close()
    messages = []
    for item in reversed(raw):  # kombu pushes on the left: the oldest is last
        envelope = json.loads(item)
        _args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        headers = envelope["headers"]
        messages.append({"task": headers["task"], "schema": headers.get("_schema_name"), "kwargs": kwargs})
    return messages


def test_a_registration_sends_its_dispatch_stage_recompute_and_emails_as_one_message(
        people_a, settings, django_capture_on_commit_callbacks):
    from tests.deals.test_registration import _register
    from tests.partners.test_lifecycle import _sign

    parked = f"kyoso-parked-{uuid.uuid4().hex[:8]}"
    settings.KYOSO_EMAIL_DELIVERY = "queue"
    settings.KYOSO_AFTER_COMMIT_QUEUE = parked
    schema = people_a.tenant.schema_name
    with tenant_context(people_a.tenant):
        partner = people_a.partner
        Partner.objects.filter(pk=partner.pk).update(stage=Stage.ONBOARDING)
        partner.refresh_from_db()
        _sign(partner)
        before = set(Notification.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks() as callbacks:
            _register(partner, people_a.partner_rep)
        made = sorted(set(Notification.objects.values_list("pk", flat=True)) - before)
        assert len(made) >= 2  # the vendor's staff and the rep, each told by e-mail by default
        held, = _sends(callbacks)  # one commit callback holds them all
        assert sorted(held, key=str) == sorted([
            ("webhooks.tasks.events_dispatch", {"schema_name": schema}, None),
            ("partners.tasks.partner_stages_recompute", {"schema_name": schema, "partner_ids": [partner.pk]}, None),
            ("prm.notifications.tasks.notification_emails_send", {"schema_name": schema, "notification_ids": made},
             None)], key=str)
        for callback in callbacks:
            callback()  # the commit: onto the real broker, in a queue nobody consumes
    message, = _parked(parked)
    assert message["task"] == FORWARD_TASK and message["schema"] == "public"
    assert message["kwargs"] == {"sends": [[task, kwargs, schema, queue] for task, kwargs, queue in held]}


def test_one_send_goes_out_as_it_is_without_the_forward(people_a, settings, django_capture_on_commit_callbacks):
    parked = f"kyoso-parked-{uuid.uuid4().hex[:8]}"
    settings.KYOSO_AFTER_COMMIT_QUEUE = f"{parked}-forward"
    schema = people_a.tenant.schema_name
    with tenant_context(people_a.tenant), django_capture_on_commit_callbacks(execute=True):
        send_after_commit("prm.tasks.tenant_probe", {"schema_name": schema}, schema=schema, queue=parked)
    assert _parked(parked) == [{"task": "prm.tasks.tenant_probe", "schema": schema, "kwargs": {"schema_name": schema}}]
    assert _parked(f"{parked}-forward") == []


def test_sends_of_a_savepoint_that_rolls_back_go_with_it(people_a, django_capture_on_commit_callbacks):
    schema = people_a.tenant.schema_name
    with tenant_context(people_a.tenant), django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        send_after_commit("t.ids", {"ids": [1]}, schema=schema, join=True)["ids"].append(2)
        with pytest.raises(RuntimeError), transaction.atomic():
            send_after_commit("t.ids", {"ids": []}, schema=schema, join=True)["ids"].append(3)
            send_after_commit("t.dispatch", {"n": 1}, schema=schema, once_per_transaction=True)
            raise RuntimeError
        # The dispatch asked for in the savepoint went with it: asked again here, it is queued again.
        send_after_commit("t.dispatch", {"n": 2}, schema=schema, once_per_transaction=True)
        with transaction.atomic():  # a savepoint that is kept: asked for here, the dispatch is not queued twice
            assert send_after_commit("t.dispatch", {"n": 3}, schema=schema, once_per_transaction=True) == {"n": 2}
            send_after_commit("t.ids", {"ids": [4]}, schema=schema, join=True)  # its own level: a send of its own
        send_after_commit("t.ids", {"ids": []}, schema=schema, join=True)["ids"].append(5)
        with transaction.atomic(savepoint=False):  # no savepoint, no level of its own: it joins
            send_after_commit("t.ids", {"ids": []}, schema=schema, join=True)["ids"].append(7)
        send_after_commit("t.other", {"x": 1}, schema=schema)
        send_after_commit("t.other", {"x": 2}, schema=schema)  # not joined: sent twice
        send_after_commit("t.ids", {"ids": [6]}, schema="v_other", join=True)  # another tenant: its own send
    assert _sends(callbacks) == [
        [("t.ids", {"ids": [1, 2, 5, 7]}, None), ("t.dispatch", {"n": 2}, None), ("t.other", {"x": 1}, None),
         ("t.other", {"x": 2}, None), ("t.ids", {"ids": [6]}, None)],
        [("t.ids", {"ids": [4]}, None)]]


def test_an_inline_send_runs_here_at_commit_after_the_queued_ones_and_joins_as_they_do(
        people_a, settings, django_capture_on_commit_callbacks):
    parked = f"kyoso-parked-{uuid.uuid4().hex[:8]}"
    schema = people_a.tenant.schema_name
    ran: list[tuple[dict, list]] = []

    def here(kwargs: dict) -> None:
        ran.append((kwargs, _parked(parked)))  # what the broker held when it ran

    with tenant_context(people_a.tenant), django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_after_commit("t.mail", {"ids": [1]}, schema=schema, join=True, inline=here)
        send_after_commit("prm.tasks.tenant_probe", {"schema_name": schema}, schema=schema, queue=parked)
        send_after_commit("t.mail", {"ids": []}, schema=schema, join=True, inline=here)["ids"].append(2)
    assert len(_sends(callbacks)) == 1
    assert ran == [({"ids": [1, 2]}, [{"task": "prm.tasks.tenant_probe", "schema": schema,
                                       "kwargs": {"schema_name": schema}}])]


@pytest.mark.worker
def test_a_real_worker_forwards_each_send_to_its_queue_with_its_tenant(
        people_a, settings, tmp_path, django_capture_on_commit_callbacks):
    from prm.notifications.tasks import notification_emails_send
    from prm.tasks import sends_forward

    # Acknowledged on receipt: a second delivery would send (and e-mail) everything again.
    assert sends_forward.acks_late is False and notification_emails_send.acks_late is False
    queue = f"kyoso-forward-{uuid.uuid4().hex[:8]}"
    parked = f"{queue}-parked"
    settings.KYOSO_AFTER_COMMIT_QUEUE = queue
    schema = people_a.tenant.schema_name
    log = tmp_path / "worker.log"
    with SmtpSink() as sink:
        worker = _mail_worker(queue, sink.port, log)
        try:
            with tenant_context(people_a.tenant), django_capture_on_commit_callbacks(execute=True) as callbacks:
                for to in ("first@partner.example", "second@partner.example"):
                    send_after_commit("prm.tasks.deliver_email", {
                        "to": [to], "subject": f"転送テスト {to}", "text": "本文", "html": "<p>本文</p>"},
                        schema=schema, queue=queue)
                send_after_commit("prm.tasks.tenant_probe", {"schema_name": schema}, schema=schema, queue=parked)
            assert len(_sends(callbacks)) == 1  # one message for the three
            assert sink.wait_for(2, timeout=90), log.read_text()
            deadline = time.monotonic() + 30
            while not (forwarded := _parked(parked)):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        finally:
            _stop(worker)
    received = sorted(message_from_bytes(raw, policy=default_policy)["To"] for raw in sink.messages)
    assert received == ["first@partner.example", "second@partner.example"]
    # The third went on to its own queue, with the tenant it was sent from.
    assert forwarded == [{"task": "prm.tasks.tenant_probe", "schema": schema, "kwargs": {"schema_name": schema}}]
