"""The webhook pages: vendor admins in the console, a partner admin for its own endpoints in the portal."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from prm import events
from webhooks import services
from webhooks.models import Delivery, Endpoint

GOOD = {"url": "https://hooks.example.com/kyoso", "description": "CRM", "event_types": ["deal.approved", "deal.won"]}


def _console_endpoint(people):
    with tenant_context(people.tenant):
        return services.endpoint_create(actor=people.vendor_admin, partner=None, url=GOOD["url"],
                                        event_types=GOOD["event_types"]).endpoint


def _portal_endpoint(people, partner=None, actor=None):
    with tenant_context(people.tenant):
        return services.endpoint_create(actor=actor or people.partner_admin, partner=partner or people.partner,
                                        url=GOOD["url"], event_types=["deal.approved"]).endpoint


def test_it_creates_an_endpoint_and_shows_its_secret_once(people_a):
    client = people_a.console(people_a.vendor_admin)
    assert client.get("/webhooks/").status_code == 200
    response = client.post("/webhooks/new/", GOOD)
    assert response.status_code == 200
    with tenant_context(people_a.tenant):
        endpoint = Endpoint.objects.get()
        assert (endpoint.partner, endpoint.event_types) == (None, ["deal.approved", "deal.won"])
    assert endpoint.secret in response.content.decode()
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in page and GOOD["url"] in page


def test_bad_input_gets_translated_errors_on_the_fields(people_a):
    client = people_a.console(people_a.vendor_admin)
    client.cookies["kyoso_language"] = "ja"
    for data, field in (({**GOOD, "url": "ftp://x"}, "url"), ({**GOOD, "url": "https://u:p@x.example/"}, "url"),
                        ({**GOOD, "event_types": []}, "event_types"), ({**GOOD, "event_types": ["deal.nope"]},
                                                                        "event_types"),
                        ({**GOOD, "url": "https://x.example/" + "a" * 600}, "url"),
                        ({**GOOD, "description": "d" * 201}, "description")):
        response = client.post("/webhooks/new/", data)
        assert response.status_code == 200, data
        form = response.context["form"]
        assert field in form.errors, (data, form.errors)
    with tenant_context(people_a.tenant):
        assert not Endpoint.objects.exists()


def test_console_pages_are_for_vendor_admins_of_this_vendor_only(people_a, people_b):
    endpoint = _console_endpoint(people_a)
    partner_endpoint = _portal_endpoint(people_a)
    urls = ["/webhooks/", f"/webhooks/{endpoint.pk}/", f"/webhooks/{endpoint.pk}/edit/"]
    admin = people_a.console(people_a.vendor_admin)
    for url in urls:
        assert admin.get(url).status_code == 200
        assert people_a.console(people_a.channel_manager).get(url).status_code == 403
        assert people_a.console(people_a.partner_admin).get(url).status_code == 403
    assert admin.get(f"/webhooks/{partner_endpoint.pk}/").status_code == 404  # a partner's own endpoint
    assert people_b.console(people_b.vendor_admin).get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert admin.post("/webhooks/").status_code == 405
    assert admin.get(f"/webhooks/{endpoint.pk}/test/").status_code == 405
    assert admin.post(f"/webhooks/{endpoint.pk}/explode/").status_code == 404
    for hostile in (2**63, 10**20, 0):
        assert admin.get(f"/webhooks/{hostile}/").status_code == 404
    assert admin.get(f"/webhooks/{endpoint.pk}/?state=nonsense").status_code == 200


def test_portal_pages_show_only_the_partners_own_endpoints(people_a):
    own = _portal_endpoint(people_a)
    theirs = _portal_endpoint(people_a, partner=people_a.other_partner, actor=people_a.other_partner_admin)
    vendor = _console_endpoint(people_a)
    client = people_a.portal(people_a.partner_admin)
    listing = client.get("/webhooks/")
    assert listing.status_code == 200 and [e.pk for e in listing.context["endpoints"]] == [own.pk]
    assert client.get(f"/webhooks/{own.pk}/").status_code == 200
    for other in (theirs, vendor):
        assert client.get(f"/webhooks/{other.pk}/").status_code == 404
        assert client.post(f"/webhooks/{other.pk}/rotate/").status_code == 404
    assert people_a.portal(people_a.partner_rep).get("/webhooks/").status_code == 403
    response = client.post("/webhooks/new/", {**GOOD, "event_types": ["payout.paid"]})
    assert response.status_code == 200
    with tenant_context(people_a.tenant):
        made = Endpoint.objects.exclude(pk__in=[own.pk, theirs.pk, vendor.pk]).get()
        assert made.partner == people_a.partner


def test_actions_rotate_test_disable_enable_resend_and_remove(people_a):
    endpoint = _console_endpoint(people_a)
    client = people_a.console(people_a.vendor_admin)
    old_secret = endpoint.secret
    rotated = client.post(f"/webhooks/{endpoint.pk}/rotate/")
    with tenant_context(people_a.tenant):
        endpoint.refresh_from_db()
    assert endpoint.secret != old_secret and endpoint.previous_secret == old_secret
    assert endpoint.secret in rotated.content.decode()
    assert client.post(f"/webhooks/{endpoint.pk}/test/").status_code == 302
    with tenant_context(people_a.tenant):
        delivery = Delivery.objects.get(endpoint=endpoint)
        assert delivery.event.type == events.TEST_EVENT
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.FAILED, attempts=8)
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "webhook.test" in page and f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend/" in page
    assert client.get(f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/").status_code == 200
    assert client.post(f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend/").status_code == 302
    with tenant_context(people_a.tenant):
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (Delivery.State.PENDING, 0)
    client.post(f"/webhooks/{endpoint.pk}/disable/")
    with tenant_context(people_a.tenant):
        assert not Endpoint.objects.get(pk=endpoint.pk).enabled
    client.post(f"/webhooks/{endpoint.pk}/enable/")
    with tenant_context(people_a.tenant):
        assert Endpoint.objects.get(pk=endpoint.pk).enabled
    edit = client.post(f"/webhooks/{endpoint.pk}/edit/", {**GOOD, "event_types": ["lead.offered"]})
    assert edit.status_code == 302
    with tenant_context(people_a.tenant):
        assert Endpoint.objects.get(pk=endpoint.pk).event_types == ["lead.offered"]
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    with tenant_context(people_a.tenant):
        assert not Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_list_costs_the_same_queries_for_one_endpoint_as_for_ten(people_a, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = people_a.console(people_a.vendor_admin)
    _console_endpoint(people_a)
    with CaptureQueriesContext(connection) as one:
        client.get("/webhooks/")
    with tenant_context(people_a.tenant):
        for n in range(9):
            services.endpoint_create(actor=people_a.vendor_admin, partner=None, url=f"https://h{n}.example.com/",
                                     event_types=["deal.won"])
    with CaptureQueriesContext(connection) as ten:
        response = client.get("/webhooks/")
    assert len(response.context["endpoints"]) == 10
    assert len(ten.captured_queries) == len(one.captured_queries)
