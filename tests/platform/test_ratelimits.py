"""Rate limits key on the real client address, and the application form's limit holds under a rush."""

from __future__ import annotations

import threading
import time

import pytest
from django.core import signing
from django.db import connection, connections
from django.test import RequestFactory, override_settings
from django_tenants.utils import schema_context, tenant_context

from partners.forms import _SIGNER_SALT
from partners.models import PartnerApplication
from prm.ratelimits import address_key, client_ip
from tests.conftest import TenantClient

PASSWORD = "test-password-123"


def _request(remote: str = "10.0.0.9", forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_it_ignores_x_forwarded_for_without_trusted_proxies():
    assert client_ip(_request("192.0.2.7", "203.0.113.5")) == "192.0.2.7"


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_it_takes_the_address_the_trusted_proxy_saw():
    # The client may send any X-Forwarded-For; our proxy appends the address it saw, last.
    assert client_ip(_request("10.0.0.9", "1.1.1.1, 203.0.113.5")) == "203.0.113.5"
    assert client_ip(_request("10.0.0.9", "2001:db8::1")) == "2001:db8::1"


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_it_falls_back_to_the_peer_when_the_header_is_short_or_garbage():
    assert client_ip(_request("10.0.0.9", "203.0.113.5")) == "10.0.0.9"
    assert client_ip(_request("10.0.0.9", "not-an-ip, 10.0.0.8")) == "10.0.0.9"
    assert client_ip(_request("10.0.0.9")) == "10.0.0.9"
    assert client_ip(_request("10.0.0.9", "203.0.113.5, 198.51.100.2, 10.0.0.8")) == "198.51.100.2"


def test_it_counts_an_ipv6_client_by_its_slash_64():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("203.0.113.5") == "203.0.113.5"


def _application(n: int, tag: str = "x") -> dict:
    started = signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(int(time.time()) - 30))
    return {"company_name": f"株式会社申込{tag}{n}", "company_name_kana": "モウシコミ", "corporate_number": "",
            "partner_type": "resale", "prefectures": ["13"], "contact_name": "申込 太郎",
            "contact_email": f"apply-{tag}-{n}@rate.example.jp", "message": "", "started": started, "fax": ""}


def test_it_does_not_let_a_forged_forwarded_header_reset_the_application_limit(people_a):
    visitor = people_a.portal()
    statuses = [visitor.post("/apply/", _application(n), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
                for n in range(6)]
    assert statuses == [302] * 5 + [429]


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_it_counts_each_client_behind_the_proxy_on_its_own(people_a):
    visitor = people_a.portal()  # every request comes from the proxy's address (127.0.0.1)
    for n in range(5):
        assert visitor.post("/apply/", _application(n, "a"), HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 302
    assert visitor.post("/apply/", _application(5, "a"), HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert visitor.post("/apply/", _application(0, "b"), HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 302


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_it_gives_allauth_the_same_client_address(people_a):
    client = people_a.console()
    for n in range(10):
        client.post("/accounts/login/", {"login": f"guess{n}@example.jp", "password": "wrong"},
                    HTTP_X_FORWARDED_FOR="203.0.113.1")
    refused = client.post("/accounts/login/", {"login": people_a.channel_manager.email, "password": PASSWORD},
                          HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert "ログイン失敗が連続しています" in refused.content.decode()
    # Another person behind the same proxy is not locked out by the first one's failures.
    other = people_a.console().post("/accounts/login/", {"login": people_a.channel_manager.email, "password": PASSWORD},
                                    HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert other["Location"] == "/"


N = 12


@pytest.fixture
def committed_vendor(django_db_setup, django_db_blocker):
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        try:
            yield vendor
        finally:
            with tenant_context(vendor):
                PartnerApplication.objects.filter(contact_email__endswith="@rush.example.jp").delete()
            connection.set_schema_to_public()


def test_n_simultaneous_applications_store_no_more_than_the_limit(committed_vendor, django_db_blocker):
    vendor = committed_vendor
    barrier = threading.Barrier(N)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def apply(n: int) -> None:
        try:
            with django_db_blocker.unblock():
                connection.set_schema_to_public()
                client = TenantClient(vendor, "portal")
                data = _application(n, "rush") | {"contact_email": f"rush-{n}@rush.example.jp"}
                barrier.wait(timeout=30)
                statuses.append(client.post("/apply/", data).status_code)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=apply, args=(n,)) for n in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(statuses) == [302] * 5 + [429] * (N - 5)
    with django_db_blocker.unblock(), tenant_context(vendor):
        assert PartnerApplication.objects.filter(contact_email__endswith="@rush.example.jp").count() == 5
