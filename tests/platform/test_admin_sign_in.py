"""Both Django admin sites sign in through allauth: the second factor and the rate limits hold."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

PASSWORD = "test-password-123"


def _totp_code(user) -> str:
    secret = Authenticator.objects.get(user=user, type="totp").wrap().instance.data["secret"]
    return format_hotp_value(hotp_value(decrypt(secret), next(yield_hotp_counters_from_time())))


def _operator(email: str = "ops-admin@kyoso.example"):
    from prm.accounts.models import User

    with schema_context("public"):
        operator = User.objects.create_superuser(email=email, password=PASSWORD)
        EmailAddress.objects.create(user=operator, email=email, verified=True, primary=True)
        TOTP.activate(operator, generate_totp_secret())
    return operator


def _assert_sent_to_allauth(response) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_it_keeps_an_enrolled_vendor_admin_with_only_a_password_out_of_the_admin_and_the_console(people_a):
    client = people_a.console()
    email = people_a.vendor_admin.email
    # The admin's own form no longer signs anyone in: it hands over to allauth.
    posted = client.post("/admin/login/?next=/admin/", {"username": email, "password": PASSWORD})
    _assert_sent_to_allauth(posted)
    assert client.get("/admin/").status_code == 302
    assert client.get("/").status_code == 302
    # allauth takes the password and then asks for the code: still neither admin nor console.
    follow = client.get("/admin/login/?next=/admin/")["Location"]
    assert client.post(follow, {"login": email, "password": PASSWORD})["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302
    assert client.get("/").status_code == 302
    with tenant_context(people_a.tenant):
        code = _totp_code(people_a.vendor_admin)
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_it_refuses_the_eleventh_failed_admin_sign_in(people_a):
    client = people_a.console()
    sign_in = client.get("/admin/login/?next=/admin/")
    _assert_sent_to_allauth(sign_in)
    for n in range(10):
        failed = client.post(sign_in["Location"], {"login": f"guess{n}@example.jp", "password": "wrong-password"})
        assert failed.status_code == 200
        assert "ログイン失敗が連続しています" not in failed.content.decode()
    # The 11th is refused even with the right password.
    refused = client.post(sign_in["Location"], {"login": people_a.vendor_admin.email, "password": PASSWORD})
    assert "ログイン失敗が連続しています" in refused.content.decode()
    assert not refused.context["user"].is_authenticated
    assert client.get("/admin/").status_code == 302


def test_it_does_not_let_a_signed_in_user_switch_accounts_in_the_admin_form(people_a):
    """A channel manager's session cannot become the vendor admin's with a password alone."""
    client = people_a.console(people_a.channel_manager)
    response = client.post("/admin/login/", {"username": people_a.vendor_admin.email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/admin/").status_code == 302
    with tenant_context(people_a.tenant):
        assert client.get("/").wsgi_request.user == people_a.channel_manager


def test_it_sends_a_signed_in_vendor_admin_on_to_the_admin(people_a):
    client = people_a.console(people_a.vendor_admin)
    assert client.get("/admin/login/?next=/admin/partners/")["Location"] == "/admin/partners/"
    assert client.get("/admin/login/?next=https://evil.example/")["Location"] == "/admin/"


def test_it_keeps_a_platform_operator_with_only_a_password_out_of_the_platform_admin(db):
    operator = _operator()
    client = Client(HTTP_HOST="localhost")
    _assert_sent_to_allauth(client.post("/admin/login/?next=/admin/", {"username": operator.email, "password": PASSWORD}))
    assert client.get("/admin/").status_code == 302
    follow = client.get("/admin/login/?next=/admin/")["Location"]
    assert client.post(follow, {"login": operator.email, "password": PASSWORD})["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302
    with schema_context("public"):
        code = _totp_code(operator)
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_it_refuses_the_eleventh_failed_platform_admin_sign_in(db):
    operator = _operator("ops-limit@kyoso.example")
    client = Client(HTTP_HOST="localhost")
    sign_in = client.get("/admin/login/?next=/admin/")
    _assert_sent_to_allauth(sign_in)
    for n in range(10):
        assert client.post(sign_in["Location"], {"login": f"guess{n}@kyoso.example", "password": "wrong"}).status_code == 200
    refused = client.post(sign_in["Location"], {"login": operator.email, "password": PASSWORD})
    assert "ログイン失敗が連続しています" in refused.content.decode()
    assert not refused.context["user"].is_authenticated
