from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from prm.tenancy import services as tenancy_services
from prm.tenancy.models import Domain, Vendor
from prm.tenancy.services import vendor_create


def test_it_serves_a_proper_404_page_for_an_unknown_host(db):
    response = Client(HTTP_HOST="nobody.localhost").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "nobody.localhost" in body
    assert "<html" in body and "bootstrap.min.css" in body


def test_it_serves_the_console_url_set_on_the_console_domain(people_a):
    response = people_a.console(people_a.channel_manager).get("/team/")
    assert response.status_code == 200
    assert response.templates[0].name == "invitations/team.html"


def test_it_serves_the_portal_url_set_on_the_portal_domain(people_a):
    client = people_a.portal(people_a.partner_admin)
    assert client.get("/team/").templates[0].name == "portal/team.html"
    # /admin/ exists only in the console URL set.
    assert client.get("/admin/").status_code == 404


def test_it_shows_the_platform_admin_only_on_the_public_domain(db):
    response = Client(HTTP_HOST="localhost").get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_routes_each_domain_to_its_own_schema(people_a, people_b):
    a = people_a.console(people_a.channel_manager).get("/").wsgi_request.tenant.schema_name
    b = people_b.console(people_b.channel_manager).get("/").wsgi_request.tenant.schema_name
    assert a == people_a.tenant.schema_name
    assert b == people_b.tenant.schema_name
    assert a != b


def test_it_prefixes_cache_keys_with_the_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        cache.set("greeting", "alpha")
    with tenant_context(tenant_b):
        assert cache.get("greeting") is None
        cache.set("greeting", "bravo")
    with tenant_context(tenant_a):
        assert cache.get("greeting") == "alpha"


def test_it_creates_a_vendor_with_schema_domains_and_admin(db):
    out = io.StringIO()
    call_command("create_vendor", "gamma", name="ガンマ株式会社", admin_email="Boss@Gamma.example",
                 admin_password="a-long-enough-password-7", stdout=out)
    printed = out.getvalue()
    assert "http://gamma.localhost:8000/" in printed
    assert "http://partners.gamma.localhost:8000/" in printed
    vendor = Vendor.objects.get(slug="gamma")
    assert schema_exists(vendor.schema_name)
    kinds = dict(vendor.domains.values_list("domain", "kind"))
    assert kinds == {"gamma.localhost": Domain.Kind.CONSOLE, "partners.gamma.localhost": Domain.Kind.PORTAL}
    with tenant_context(vendor):
        from prm.accounts.models import User

        admin = User.objects.get()
        assert admin.email == "boss@gamma.example"
        assert admin.role == "vendor_admin"
        assert admin.check_password("a-long-enough-password-7")


def test_it_prints_an_invitation_link_when_no_password_is_given(db, mailoutbox):
    out = io.StringIO()
    call_command("create_vendor", "delta", name="デルタ", admin_email="boss@delta.example", stdout=out)
    assert "http://delta.localhost:8000/invitations/" in out.getvalue()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"slug": "alpha"}, "slug"),  # taken by the session's tenant a
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "public"}, "slug"),
        ({"admin_email": "not-an-address"}, "admin_email"),
        ({"console_domain": "alpha.localhost"}, "console_domain"),
        ({"portal_domain": "epsilon.localhost"}, "portal_domain"),  # same as its own console domain
    ],
)
def test_it_refuses_bad_vendor_input_and_creates_nothing(db, kwargs, field):
    arguments = {"slug": "epsilon", "name": "イプシロン", "admin_email": "boss@epsilon.example"} | kwargs
    vendors, domains = Vendor.objects.count(), Domain.objects.count()
    with pytest.raises(ValidationError) as caught:
        vendor_create(**arguments)
    assert field in caught.value.message_dict
    assert (Vendor.objects.count(), Domain.objects.count()) == (vendors, domains)
    assert not schema_exists("v_epsilon")


def test_it_exits_2_naming_the_field_when_the_command_gets_a_duplicate_slug(db, capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("create_vendor", "alpha", name="重複", admin_email="x@alpha.example")
    assert exited.value.code == 2
    assert "slug:" in capsys.readouterr().err


def test_it_leaves_nothing_behind_when_a_step_fails_half_way(db, monkeypatch):
    def broken_admin(*args, **kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(tenancy_services, "_create_first_admin", broken_admin)
    with pytest.raises(RuntimeError):
        vendor_create(slug="zeta", name="ゼータ", admin_email="boss@zeta.example", admin_password="long-password-123")
    assert connection.schema_name == "public"
    assert not Vendor.objects.filter(slug="zeta").exists()
    assert not Domain.objects.filter(domain__endswith="zeta.localhost").exists()
    assert not schema_exists("v_zeta")


def test_it_shows_the_platform_admin_form_errors_and_creates_nothing(db):
    from prm.accounts.models import User

    operator = User.objects.create_superuser(email="ops2@kyoso.example", password="ops-password-123")
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    count = Vendor.objects.count()
    response = client.post("/admin/tenancy/vendor/create/", {"slug": "alpha", "name": "x", "admin_email": "bad"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"slug", "admin_email"}
    assert Vendor.objects.count() == count


def test_it_refuses_the_platform_admin_to_vendor_users(people_a):
    # A tenant's admin has no account in the public schema: the platform admin stays shut.
    client = Client(HTTP_HOST="localhost")
    response = client.post("/accounts/login/?next=/admin/", {"login": people_a.vendor_admin.email, "password": "test-password-123"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert client.get("/admin/").status_code == 302
