"""The platform admin asks for a vendor; a real Celery worker makes it while the page follows the steps."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from prm.tenancy.models import Vendor, VendorCreation
from prm.tenancy.services import vendor_delete


def _follow(client: Client, url: str, deadline: float = 120) -> str:
    """Ask for the progress part as htmx does until it stops asking again."""
    ends = time.monotonic() + deadline
    while True:
        partial = client.get(url, HTTP_HX_REQUEST="true")
        assert partial.status_code == 200
        body = partial.content.decode()
        assert "kyoso-progress" in body
        if "hx-trigger" not in body:
            return body
        assert time.monotonic() < ends, "the worker did not finish the vendor"
        time.sleep(0.2)


@pytest.fixture
def operator(django_db_setup, django_db_blocker):
    from prm.accounts.models import User

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        user = User.objects.create_superuser(email=f"ops-{uuid.uuid4().hex[:6]}@kyoso.example",
                                             password="ops-password-123")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        yield client
        connection.set_schema_to_public()
        VendorCreation.objects.filter(requested_by=user).delete()
        with connection.cursor() as cursor:  # the ORM's cascade would look for tenant-only tables in public
            cursor.execute("DELETE FROM accounts_user WHERE id = %s", [user.pk])


@pytest.mark.worker
def test_the_platform_admin_creates_a_vendor_on_the_worker_and_follows_its_steps(
        operator, celery_worker, django_db_blocker, settings):
    settings.KYOSO_VENDOR_QUEUE = celery_worker
    slug = f"eta{uuid.uuid4().hex[:5]}"
    with django_db_blocker.unblock():
        response = operator.post("/admin/tenancy/vendor/create/",
                                 {"slug": slug, "name": "エータ商事", "admin_email": f"boss@{slug}.example"})
        assert response.status_code == 302, response.content.decode()[:2000]
        creation = VendorCreation.objects.get(slug=slug)
        assert response["Location"] == f"/admin/tenancy/vendor/create/{creation.pk}/"
        page = operator.get(response["Location"])
        assert page.status_code == 200 and "kyoso-progress" in page.content.decode()
        try:
            body = _follow(operator, response["Location"])
            creation.refresh_from_db()
            assert (creation.status, creation.step, creation.error) == (VendorCreation.Status.DONE, 4, "")
            assert "4 / 4" in body and f"{slug}.localhost" in body and f"partners.{slug}.localhost" in body
            vendor = Vendor.objects.get(slug=slug)
            assert creation.vendor == vendor
            assert set(vendor.domains.values_list("kind", flat=True)) == {"console", "portal"}
            from prm.invitations.models import Invitation

            with tenant_context(vendor):
                assert Invitation.objects.filter(email=f"boss@{slug}.example",
                                                 status=Invitation.Status.PENDING).count() == 1
            connection.set_schema_to_public()
            # Asking again for the same slug: refused on the form, nothing queued.
            again = operator.post("/admin/tenancy/vendor/create/",
                                  {"slug": slug, "name": "x", "admin_email": f"boss@{slug}.example"})
            assert again.status_code == 200 and "slug" in again.context["form"].errors
            assert VendorCreation.objects.filter(slug=slug).count() == 1
        finally:
            connection.set_schema_to_public()
            for vendor in Vendor.objects.filter(slug=slug):
                vendor_delete(vendor)


@pytest.mark.worker
def test_a_vendor_the_worker_cannot_create_shows_the_error_and_leaves_nothing(
        operator, celery_worker, django_db_blocker):
    from prm.tenancy.tasks import vendor_creation_run

    with django_db_blocker.unblock():
        # Taken between the form and the worker: the worker's own check refuses it.
        creation = VendorCreation.objects.create(slug="alpha", name="二重", admin_email="x@alpha.example")
        before = Vendor.objects.count()
        vendor_creation_run.apply_async(args=[creation.pk], queue=celery_worker)
        body = _follow(operator, f"/admin/tenancy/vendor/create/{creation.pk}/")
        creation.refresh_from_db()
        assert creation.status == VendorCreation.Status.FAILED
        assert "alpha" in creation.error and creation.error in body.replace("&ldquo;", "“").replace(
            "&rdquo;", "”").replace("&#x27;", "'")
        assert "text-bg-danger" in body
        assert Vendor.objects.count() == before
        # A second delivery of a finished request does nothing.
        assert vendor_creation_run.apply_async(args=[creation.pk], queue=celery_worker).get(timeout=60) == "failed"
        creation.delete()
