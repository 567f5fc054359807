"""Webhook delivery in the test's own process, to a real HTTP receiver: signatures per Standard Webhooks,
partner scoping, order per object, back-off, giving up, disabling with a notification, SSRF refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import tenant_context

from prm import events
from prm.after_commit import pending_sends
from prm.notifications.models import Notification
from prm.outbox.models import OutboxEvent
from tests.webhooks.receiver import Receiver
from webhooks import services, signing
from webhooks.models import Attempt, Delivery, Endpoint


def _independent_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The spec's recipe written out again here, so a mistake in webhooks.signing cannot agree with itself."""
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_it_signs_the_standard_webhooks_test_vector():
    assert signing.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                        b'{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_verify_refuses_a_changed_body_an_old_timestamp_and_a_wrong_secret():
    secret, body = signing.new_secret(), b'{"a":1}'
    headers = signing.headers([secret], "msg_1", 1_700_000_000, body)
    signing.verify(secret, headers, body, now=1_700_000_010)
    for args in ((secret, headers, b'{"a":2}'), (signing.new_secret(), headers, body)):
        with pytest.raises(signing.InvalidSignature):
            signing.verify(*args, now=1_700_000_010)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers, body, now=1_700_000_000 + 3600)


def _endpoint(people, url: str, types=("deal.approved", "deal.registered"), partner=None) -> services.Created:
    actor = people.partner_admin if partner is not None else people.vendor_admin
    return services.endpoint_create(actor=actor, partner=partner, url=url, event_types=list(types))


def test_a_published_event_reaches_the_receiver_signed_and_a_partner_endpoint_gets_only_its_own(people_a):
    with Receiver() as receiver, tenant_context(people_a.tenant):
        vendor = _endpoint(people_a, receiver.url + "/vendor")
        own = _endpoint(people_a, receiver.url + "/partner", partner=people_a.partner)
        for partner, object_id in ((people_a.partner, 1), (people_a.other_partner, 2)):
            events.publish("deal.approved", object_type="deal", object_id=object_id, partner_id=partner.pk,
                           data={"id": object_id, "amount": 1_200_000, "won_on": timezone.localdate()})
        events.publish("partner.created", object_type="partner", object_id=people_a.partner.pk,
                       partner_id=people_a.partner.pk, data={"id": people_a.partner.pk})  # nobody subscribed
        touched = services.events_fan_out()
        assert touched == {vendor.endpoint.pk, own.endpoint.pk}
        assert Delivery.objects.filter(endpoint=vendor.endpoint).count() == 2
        assert list(Delivery.objects.filter(endpoint=own.endpoint).values_list("event__partner_id", flat=True)) == [
            people_a.partner.pk]
        for created in (vendor, own):
            assert services.endpoint_drain(endpoint_id=created.endpoint.pk).sent == Delivery.objects.filter(
                endpoint=created.endpoint).count()
        got = receiver.snapshot()
        assert sorted(r.path for r in got) == ["/hooks/partner", "/hooks/vendor", "/hooks/vendor"]
        for item in got:
            secret = own.secret if item.path.endswith("partner") else vendor.secret
            expected = _independent_signature(secret, item.headers["webhook-id"], item.headers["webhook-timestamp"],
                                              item.body)
            assert item.headers["webhook-signature"] == expected
            assert item.headers["webhook-id"].startswith("msg_")
            payload = item.payload
            assert payload["type"] == "deal.approved" and payload["timestamp"].endswith("+00:00")
            assert payload["data"]["amount"] == 1_200_000 and isinstance(payload["data"]["won_on"], str)
        assert [r.payload["data"]["id"] for r in got if r.path.endswith("partner")] == [1]
        delivery = Delivery.objects.filter(endpoint=vendor.endpoint).first()
        assert (delivery.state, delivery.last_status, delivery.attempts) == (Delivery.State.SUCCEEDED, 200, 1)
        assert Attempt.objects.get(delivery=delivery).response_excerpt == "ok"


def test_a_failing_object_holds_back_its_later_events_but_not_other_objects(people_a, settings):
    settings.KYOSO_WEBHOOK_RETRY_SECONDS = [60, 60]
    failing = {"on": True}

    def answer(received):
        return 500 if failing["on"] and received.payload["data"]["id"] == 7 else 200

    with Receiver(answer) as receiver, tenant_context(people_a.tenant):
        endpoint = _endpoint(people_a, receiver.url).endpoint
        for event_type, object_id in (("deal.registered", 7), ("deal.registered", 8), ("deal.approved", 7),
                                      ("deal.approved", 8)):
            events.publish(event_type, object_type="deal", object_id=object_id, partner_id=people_a.partner.pk,
                           data={"id": object_id})
        services.events_fan_out()
        result = services.endpoint_drain(endpoint_id=endpoint.pk)
        assert (result.sent, result.failed) == (2, 1)
        sent = [(r.payload["type"], r.payload["data"]["id"]) for r in receiver.snapshot()]
        assert sent == [("deal.registered", 7), ("deal.registered", 8), ("deal.approved", 8)]  # 7's approval waits
        failed = Delivery.objects.get(endpoint=endpoint, event__object_id="7", event__type="deal.registered")
        assert failed.state == Delivery.State.PENDING and failed.last_status == 500
        assert timedelta(seconds=55) < failed.next_attempt_at - timezone.now() <= timedelta(seconds=60)
        assert services.endpoint_drain(endpoint_id=endpoint.pk).sent == 0  # not due yet: nothing is sent

        failing["on"] = False
        Delivery.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
        assert services.endpoint_drain(endpoint_id=endpoint.pk).sent == 2
        retried = receiver.snapshot()[3:]
        assert [(r.payload["type"], r.payload["data"]["id"]) for r in retried] == [
            ("deal.registered", 7), ("deal.approved", 7)]
        assert retried[0].headers["webhook-id"] == receiver.snapshot()[0].headers["webhook-id"]  # same message id
        assert list(Attempt.objects.filter(delivery=failed).order_by("number").values_list("number", "status")) == [
            (1, 500), (2, 200)]


def test_the_last_failure_gives_up_disables_the_endpoint_and_tells_the_vendor_admins(people_a, settings):
    settings.KYOSO_WEBHOOK_RETRY_SECONDS = [0, 0]
    with Receiver(lambda received: 503) as receiver, tenant_context(people_a.tenant):
        endpoint = _endpoint(people_a, receiver.url).endpoint
        events.publish("deal.approved", object_type="deal", object_id=1, partner_id=people_a.partner.pk, data={})
        services.events_fan_out()
        services.endpoint_drain(endpoint_id=endpoint.pk)
        assert len(receiver.snapshot()) == 3  # the first attempt and two retries
        delivery = Delivery.objects.get(endpoint=endpoint)
        endpoint.refresh_from_db()
        assert delivery.state == Delivery.State.FAILED and delivery.attempts == 3
        assert not endpoint.enabled and endpoint.disabled_reason
        notes = Notification.objects.filter(kind="webhook_disabled")
        assert people_a.vendor_admin.pk in set(notes.values_list("user", flat=True))
        assert set(notes.values_list("user__role", flat=True)) == {"vendor_admin"}  # the founder too, nobody else
        assert set(notes.values_list("url", flat=True)) == {f"/webhooks/{endpoint.pk}/"}

        events.publish("deal.approved", object_type="deal", object_id=2, partner_id=people_a.partner.pk, data={})
        assert services.events_fan_out() == set()  # a disabled endpoint gets nothing new

        services.delivery_resend(actor=people_a.vendor_admin, delivery=delivery)
        services.endpoint_set_enabled(actor=people_a.vendor_admin, endpoint=endpoint, enabled=True)
        receiver.answer = lambda received: 204
        assert services.endpoint_drain(endpoint_id=endpoint.pk).sent == 1
        assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.SUCCEEDED


def test_too_many_failures_in_a_row_disable_a_partner_endpoint_and_tell_its_admins(people_a, settings):
    settings.KYOSO_WEBHOOK_RETRY_SECONDS = [600]
    settings.KYOSO_WEBHOOK_DISABLE_AFTER = 3
    with Receiver(lambda received: 500) as receiver, tenant_context(people_a.tenant):
        endpoint = _endpoint(people_a, receiver.url, partner=people_a.partner).endpoint
        for object_id in range(5):
            events.publish("deal.approved", object_type="deal", object_id=object_id, partner_id=people_a.partner.pk,
                           data={})
        services.events_fan_out()
        services.endpoint_drain(endpoint_id=endpoint.pk)
        assert len(receiver.snapshot()) == 3
        endpoint.refresh_from_db()
        assert not endpoint.enabled
        assert list(Notification.objects.filter(kind="webhook_disabled").values_list("user", flat=True)) == [
            people_a.partner_admin.pk]


def test_after_rotation_both_secrets_sign_for_a_day_then_only_the_new_one(people_a):
    with Receiver() as receiver, tenant_context(people_a.tenant):
        created = _endpoint(people_a, receiver.url)
        new_secret = services.endpoint_rotate_secret(actor=people_a.vendor_admin, endpoint=created.endpoint)
        assert new_secret != created.secret and new_secret.startswith("whsec_")
        services.endpoint_send_test(actor=people_a.vendor_admin, endpoint=created.endpoint)
        services.endpoint_drain(endpoint_id=created.endpoint.pk)
        item = receiver.snapshot()[-1]
        assert item.payload["type"] == "webhook.test"
        for secret in (created.secret, new_secret):
            signing.verify(secret, item.headers, item.body)
        Endpoint.objects.filter(pk=created.endpoint.pk).update(previous_secret_until=timezone.now())
        services.endpoint_send_test(actor=people_a.vendor_admin, endpoint=created.endpoint)
        services.endpoint_drain(endpoint_id=created.endpoint.pk)
        item = receiver.snapshot()[-1]
        assert len(item.headers["webhook-signature"].split()) == 1
        signing.verify(new_secret, item.headers, item.body)
        with pytest.raises(signing.InvalidSignature):
            signing.verify(created.secret, item.headers, item.body)


def test_private_addresses_are_refused_when_not_allowed_at_save_and_at_send(people_a, settings):
    with Receiver() as receiver, tenant_context(people_a.tenant):
        endpoint = _endpoint(people_a, receiver.url).endpoint
        settings.KYOSO_WEBHOOK_ALLOW_PRIVATE = False
        for url in (receiver.url, "https://127.0.0.1/x", "https://10.1.2.3/x", "https://[::1]/x",
                    "https://169.254.169.254/latest", "https://localhost/x", "http://example.com/x"):
            with pytest.raises(ValidationError) as caught:
                services.clean_url(url)
            assert "url" in caught.value.message_dict, url
        events.publish("deal.approved", object_type="deal", object_id=1, partner_id=people_a.partner.pk, data={})
        services.events_fan_out()
        services.endpoint_drain(endpoint_id=endpoint.pk)
        assert receiver.snapshot() == []
        delivery = Delivery.objects.get(endpoint=endpoint)
        refusal = gettext("The address is private, loopback or reserved; webhooks go to public addresses only.")
        assert delivery.last_status is None and refusal in delivery.last_error


@pytest.mark.parametrize("url", ["", "ftp://example.com/x", "https://user:pw@example.com/x", "https://exa mple.com",
                                 "https://example.com:99999/x", "https://" + "a" * 500 + ".com", "javascript:alert(1)",
                                 "https:///nohost"])
def test_bad_urls_are_refused_naming_the_field(url):
    with pytest.raises(ValidationError) as caught:
        services.clean_url(url)
    assert list(caught.value.message_dict) == ["url"]


def test_event_types_must_come_from_the_catalogue_and_the_list_is_bounded(people_a):
    with tenant_context(people_a.tenant):
        for chosen in ([], ["deal.nope"], ["deal.approved"] * 100, [{"x": 1}], None):
            with pytest.raises(ValidationError) as caught:
                services.endpoint_create(actor=people_a.vendor_admin, partner=None, url="https://example.com/h",
                                         event_types=chosen)
            assert "event_types" in caught.value.message_dict
        assert services.clean_event_types(["deal.won", "partner.created"], partner=None) == ["partner.created",
                                                                                             "deal.won"]


def test_only_vendor_admins_manage_vendor_endpoints_and_only_its_admins_a_partners(people_a):
    with tenant_context(people_a.tenant):
        for actor in (people_a.channel_manager, people_a.partner_admin):
            with pytest.raises(PermissionDenied):
                services.endpoint_create(actor=actor, partner=None, url="https://example.com/h",
                                         event_types=["deal.won"])
        for actor in (people_a.vendor_admin, people_a.partner_rep, people_a.other_partner_admin):
            with pytest.raises(PermissionDenied):
                services.endpoint_create(actor=actor, partner=people_a.partner, url="https://example.com/h",
                                         event_types=["deal.won"])


def test_publishing_in_a_transaction_that_rolls_back_leaves_nothing(people_a):
    from django.db import transaction

    with tenant_context(people_a.tenant):
        before = OutboxEvent.objects.count()
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("deal.won", object_type="deal", object_id=1, data={})
            raise RuntimeError
        assert OutboxEvent.objects.count() == before
        with pytest.raises(ValueError):
            events.publish("deal.nope", object_type="deal", object_id=1, data={})


def test_one_dispatch_is_queued_per_transaction_however_many_events_it_publishes(people_a,
                                                                               django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant), django_capture_on_commit_callbacks() as callbacks:
        for object_id in range(5):
            events.publish("deal.won", object_type="deal", object_id=object_id, data={})
        events.publish_many([events.Event("deal.lost", "deal", 9, None, {})])
    assert [[(send.task, send.kwargs) for send in pending_sends(callback)] for callback in callbacks] == [
        [("webhooks.tasks.events_dispatch", {"schema_name": people_a.tenant.schema_name})]]


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt_with_the_reason(people_a, settings):
    import time

    settings.KYOSO_WEBHOOK_TOTAL_TIMEOUT = 1

    def answer(received):
        time.sleep(2)
        return 200

    with Receiver(answer) as receiver, tenant_context(people_a.tenant):
        endpoint = _endpoint(people_a, receiver.url).endpoint
        events.publish("deal.approved", object_type="deal", object_id=1, partner_id=people_a.partner.pk, data={})
        services.events_fan_out()
        started = time.monotonic()
        result = services.endpoint_drain(endpoint_id=endpoint.pk)
        assert result.failed == 1 and time.monotonic() - started < 1.9
        delivery = Delivery.objects.get(endpoint=endpoint)
        assert delivery.state == Delivery.State.PENDING and delivery.last_status is None
        assert delivery.last_error == "The receiver did not answer in time." or "時間内" in delivery.last_error
        assert 900 <= delivery.last_response_ms < 1900
