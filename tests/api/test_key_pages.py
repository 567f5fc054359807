"""The key pages: a vendor admin manages the vendor's keys, a partner admin its own partner's; the secret
is shown once and works over HTTP; revoking stops it; every key event is in the audit log."""

from __future__ import annotations

import re

from django_tenants.utils import tenant_context

from api.models import ApiKey
from incentives.models import AuditEntry


def _secret(response) -> str:
    match = re.search(r'data-secret>([^<]+)<', response.content.decode())
    assert match, "no secret on the page"
    return match.group(1)


def test_a_vendor_admin_creates_a_key_that_is_shown_once_and_stored_hashed(people_a):
    client = people_a.console(people_a.vendor_admin)
    response = client.post("/api-keys/", {"name": "Salesforce 同期", "language": "en", "scope_partners": "read",
                                          "scope_deals": "write"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = _secret(response)
    with tenant_context(people_a.tenant):
        key = ApiKey.objects.get(name="Salesforce 同期")
        assert key.partner_id is None and key.scopes == {"partners": "read", "deals": "write"}
        assert token.startswith(key.prefix + ".") and token not in key.secret_hash and len(key.secret_hash) == 64
        assert AuditEntry.objects.filter(action="api_key_created", object_id=str(key.pk)).exists()
    listing = client.get("/api-keys/").content.decode()
    assert key.prefix in listing and token not in listing


def test_a_partner_admin_creates_keys_of_its_own_partner_with_partner_scopes_only(people_a):
    client = people_a.portal(people_a.partner_admin)
    page = client.get("/api-keys/").content.decode()
    assert 'name="scope_partners"' in page and 'name="scope_health"' not in page and 'name="scope_direct_accounts"' not in page
    response = client.post("/api-keys/", {"name": "自社CRM", "language": "ja", "scope_deals": "write",
                                          "scope_health": "read"})  # a vendor-only scope is not a field here
    assert response.status_code == 200
    with tenant_context(people_a.tenant):
        key = ApiKey.objects.get(name="自社CRM")
        assert key.partner_id == people_a.partner.pk and key.scopes == {"deals": "write"}


def test_bad_key_forms_name_the_field_and_create_nothing(people_a):
    client = people_a.console(people_a.vendor_admin)
    for data, field in [({"name": "", "language": "ja", "scope_partners": "read"}, "name"),
                        ({"name": "x", "language": "ja", "scope_partners": "admin"}, "scope_partners"),
                        ({"name": "x", "language": "ja", "scope_partners": "read", "expires_on": "2020-01-01"},
                         "expires_on")]:
        response = client.post("/api-keys/", data)
        assert response.status_code == 422 and field in response.context["form"].errors, (field, response.context["form"].errors)
    response = client.post("/api-keys/", {"name": "no scopes", "language": "ja"})
    assert response.status_code == 422 and response.context["form"].non_field_errors()
    with tenant_context(people_a.tenant):
        assert not ApiKey.objects.exists()


def test_only_admins_reach_the_key_pages(people_a):
    assert people_a.console(people_a.channel_manager).get("/api-keys/").status_code == 403
    assert people_a.portal(people_a.partner_rep).get("/api-keys/").status_code == 403
    assert people_a.console(people_a.partner_admin).get("/api-keys/").status_code == 403
    assert people_a.portal(people_a.vendor_admin).get("/api-keys/").status_code == 403


def test_revoking_is_kept_per_owner(people_a):
    from api.services import key_create

    with tenant_context(people_a.tenant):
        vendor_key = key_create(actor=people_a.vendor_admin, name="v", scopes={"partners": "read"}).key
        own = key_create(actor=people_a.partner_admin, name="a", scopes={"partners": "read"}, partner=people_a.partner).key
        other = key_create(actor=people_a.other_partner_admin, name="b", scopes={"partners": "read"},
                           partner=people_a.other_partner).key
    portal = people_a.portal(people_a.partner_admin)
    assert portal.post(f"/api-keys/{other.pk}/revoke/").status_code == 404  # another partner's key
    assert portal.post(f"/api-keys/{vendor_key.pk}/revoke/").status_code == 404
    assert portal.post(f"/api-keys/{own.pk}/revoke/").status_code == 302
    assert people_a.console(people_a.vendor_admin).post(f"/api-keys/{own.pk}/revoke/").status_code == 404
    with tenant_context(people_a.tenant):
        assert ApiKey.objects.get(pk=own.pk).revoked_at is not None
        assert ApiKey.objects.get(pk=other.pk).revoked_at is None and ApiKey.objects.get(pk=vendor_key.pk).revoked_at is None
        assert AuditEntry.objects.filter(action="api_key_revoked", object_id=str(own.pk)).count() == 1


def test_a_key_made_on_the_page_works_over_http_until_revoked(world, unblocked):
    from tests.conftest import TenantClient

    client = TenantClient(world.vendor, "console")
    client.force_login(world.people["vendor_admin"])
    token = _secret(client.post("/api-keys/", {"name": "page key", "language": "ja", "scope_partners": "read"}))
    assert world.get("/api/v1/partners?limit=1", token=token).status == 200
    with tenant_context(world.vendor):
        key = ApiKey.objects.get(name="page key", created_by=world.people["vendor_admin"])
    assert client.post(f"/api-keys/{key.pk}/revoke/").status_code == 302
    refused = world.get("/api/v1/partners?limit=1", token=token)
    assert refused.status == 401 and refused.json["code"] == "key_revoked"
