"""Test fixtures: two vendors made once per session; every test runs in a rolled-back transaction.

Requests go through TenantClient, which sends the right Host header (glibc does not resolve
*.localhost) and puts the connection back on the schema the test was using afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import warnings

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from prm.tenancy.lookups import vendor_for_host
from tests.factories import PartnerFactory, UserFactory


def pytest_configure(config) -> None:
    """Uploaded and generated files start from nothing each run: a file left by an earlier run would make
    the storage give a new one a suffixed name. Only the controller clears it, before any worker starts."""
    if hasattr(config, "workerinput"):
        return
    from django.conf import settings

    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


TENANTS = {
    "a": {"slug": "alpha", "name": "株式会社アルファ"},
    "b": {"slug": "bravo", "name": "ブラボー株式会社"},
}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django builds the test database, add the platform and two vendors."""
    from django.core.management import call_command
    from django.db.backends.base.creation import TEST_DATABASE_PREFIX
    from django.test.utils import setup_databases, teardown_databases

    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_create

    made = None
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith(TEST_DATABASE_PREFIX):
            # pytest-django makes the test database only when a collected test asks for `db` or the django_db mark.
            # A run of only tests that ask for django_db_setup itself (those that start processes over committed
            # rows, as tests/platform/test_benchmarks.py) would otherwise write into the developer's database.
            made = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        call_command("setup_platform", verbosity=0)
        for spec in TENANTS.values():
            if not Vendor.objects.filter(slug=spec["slug"]).exists():
                vendor_create(slug=spec["slug"], name=spec["name"], admin_email=f"founder@{spec['slug']}.example",
                              admin_password="founder-password-1")
        connection.set_schema_to_public()
    yield
    if made is not None:
        with django_db_blocker.unblock():
            connection.close()
            try:
                teardown_databases(made, verbosity=0)
            except Exception as error:  # noqa: BLE001 — as pytest-django's own teardown: a warning, not a failure
                warnings.warn(f"the test database was not dropped: {error!r}", stacklevel=1)


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts on the public schema with an empty cache."""
    connection.set_schema_to_public()
    cache.clear()
    yield
    connection.set_schema_to_public()


def _vendor(key: str):
    from prm.tenancy.models import Vendor

    with schema_context("public"):
        return Vendor.objects.get(slug=TENANTS[key]["slug"])


@pytest.fixture
def tenant_a(db):
    return _vendor("a")


@pytest.fixture
def tenant_b(db):
    return _vendor("b")


class TenantClient(Client):
    """A browser on one of a vendor's sites."""

    def __init__(self, tenant, kind: str = "console", **defaults):
        self.tenant = tenant
        self.kind = kind
        host = tenant.domain_for(kind).domain
        # A browser that has been to the site before: production caches the vendor behind a host after
        # its first request, so a page's queries are the same on the first request as on the second.
        vendor_for_host(host)
        super().__init__(HTTP_HOST=host, **defaults)

    def request(self, **request):
        previous = connection.tenant
        try:
            return super().request(**request)
        finally:
            connection.set_tenant(previous)

    def force_login(self, user, backend=None):
        with tenant_context(self.tenant):
            super().force_login(user, backend="django.contrib.auth.backends.ModelBackend")


@contextlib.contextmanager
def in_tenant(tenant):
    with tenant_context(tenant):
        yield


class Personas:
    """The people of one vendor, made inside the test's transaction."""

    def __init__(self, tenant):
        self.tenant = tenant
        with tenant_context(tenant):
            self.partner = PartnerFactory(name=f"パートナー甲 {tenant.slug}")
            self.other_partner = PartnerFactory(name=f"パートナー乙 {tenant.slug}")
            self.vendor_admin = UserFactory(role="vendor_admin", is_staff=True, is_superuser=True)
            TOTP.activate(self.vendor_admin, generate_totp_secret())
            self.channel_manager = UserFactory(role="channel_manager")
            self.partner_admin = UserFactory(role="partner_admin", partner=self.partner)
            self.partner_rep = UserFactory(role="partner_rep", partner=self.partner)
            self.other_partner_admin = UserFactory(role="partner_admin", partner=self.other_partner)
            for user in (self.vendor_admin, self.channel_manager, self.partner_admin, self.partner_rep,
                         self.other_partner_admin):
                EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    def console(self, user=None) -> TenantClient:
        client = TenantClient(self.tenant, "console")
        if user is not None:
            client.force_login(user)
        return client

    def portal(self, user=None) -> TenantClient:
        client = TenantClient(self.tenant, "portal")
        if user is not None:
            client.force_login(user)
        return client


@pytest.fixture
def people_a(tenant_a) -> Personas:
    return Personas(tenant_a)


@pytest.fixture
def people_b(tenant_b) -> Personas:
    return Personas(tenant_b)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the test database and the real broker.

    Yields the name of a queue only this worker consumes, so tests never pick up stray work.
    """
    with worker_process(django_db_blocker) as queue:
        yield queue


@contextlib.contextmanager
def worker_process(django_db_blocker, extra_env: dict[str, str] | None = None):
    """Start a worker as `celery_worker` does, with settings of its own from `extra_env` (a shorter retry
    schedule); yields its queue and stops it afterwards."""
    import os
    import subprocess
    import sys
    import uuid

    from prm.celery import app
    from tests.db_url import subprocess_database_url

    with django_db_blocker.unblock():
        database_url = subprocess_database_url()
    import socket

    queue = f"kyoso-test-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@{socket.gethostname()}"
    env = {**os.environ, "DATABASE_URL": database_url,
           "DJANGO_SETTINGS_MODULE": "prm.settings.test", **(extra_env or {})}
    if "REDIS_URL" not in env:
        from django.conf import settings

        env["REDIS_URL"] = settings.REDIS_URL
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "prm", "worker", "--pool=solo", "-Q", queue, "-n", node,
         "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
        env=env,
    )
    try:
        deadline = 60
        import time

        started = time.monotonic()
        while not app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {process.returncode}")
            if time.monotonic() - started > deadline:
                raise RuntimeError("celery worker did not answer within 60 s")
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
