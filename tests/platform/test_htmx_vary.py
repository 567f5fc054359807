"""A URL that answers either a page or an htmx fragment says so: `Vary: HX-Request` on both answers.

The views are found from the URL confs (every view that asks prm.htmx.htmx_partial, itself or through
a helper of its module), so a new either/or view without a case below fails the first test.
"""

from __future__ import annotations

import inspect
import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import tenant_context

from incentives.models import CommissionRun
from insights.models import QbrJob
from partners.models import ChecklistItem, ImportBatch
from prm.exports.models import ExportJob
from prm.tenancy.urls import reverse_path

pytestmark = pytest.mark.django_db


def _unwrap(view):
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def _asks_htmx_partial(view) -> bool:
    view = _unwrap(view)
    code = getattr(view, "__code__", None)
    if code is None:
        return False
    if "htmx_partial" in code.co_names:
        return True
    module = inspect.getmodule(view)
    for name in code.co_names:  # a helper of the view's own module (`_render`) that asks
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == view.__module__ \
                and "htmx_partial" in helper.__code__.co_names:
            return True
    return False


def _either_or_views(urlconf: str) -> set[str]:
    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and _asks_htmx_partial(entry.callback):
                yield f"{namespace}{entry.name}"

    return set(walk(get_resolver(urlconf).url_patterns))


def _batch(people):
    return ImportBatch.objects.create(kind="partners", filename="t.csv", encoding="utf-8",
                                      content="name\nテスト株式会社\n", uploaded_by=people.channel_manager,
                                      status=ImportBatch.Status.APPLIED)


# name: (site, method, the path made inside the tenant)
CASES = {
    "partner_list": ("console", "get", lambda p: reverse_path("partner_list", "console")),
    "insights:overview": ("console", "get", lambda p: reverse_path("insights:overview", "console")),
    "program_recognition": ("console", "get", lambda p: reverse_path("program_recognition", "console")),
    "enablement_library": ("console", "get", lambda p: reverse_path("enablement_library", "console")),
    "enablement_accesses": ("console", "get", lambda p: reverse_path("enablement_accesses", "console")),
    "incentives_run": ("console", "get", lambda p: reverse_path(
        "incentives_run", "console", pk=CommissionRun.objects.create(period=date(2026, 4, 1), status="done").pk)),
    "partner_import_preview": ("console", "get", lambda p: reverse_path(
        "partner_import_preview", "console", pk=_batch(p).pk)),
    "insights:partner_qbr_job": ("console", "get", lambda p: reverse_path("insights:partner_qbr_job", "console", pk=QbrJob.objects.create(
        partner=p.partner, period_key="fy2026", language="ja", requested_by=p.channel_manager).pk)),
    "export_job": ("console", "get", lambda p: reverse_path("export_job", "console", pk=ExportJob.objects.create(
        kind="partners.partners", requested_by=p.channel_manager).pk)),
    "checklist_toggle": ("console", "post", lambda p: reverse_path(
        "checklist_toggle", "console", pk=p.partner.pk,
        item_pk=ChecklistItem.objects.create(partner=p.partner, title="契約締結").pk)),
    "insights:search": ("console", "get", lambda p: reverse_path("insights:search", "console") + "?q=さくら"),
    "deal_pipeline": ("console", "get", lambda p: reverse_path("deal_pipeline", "console") + "?customer=さくら&stage=won"),
    "portal_library": ("portal", "get", lambda p: reverse_path("portal_library", "portal")),
    "portal_recognition": ("portal", "get", lambda p: reverse_path("portal_recognition", "portal")),
}


def test_every_either_or_view_has_a_case():
    found = _either_or_views("prm.urls_console") | _either_or_views("prm.urls_portal")
    assert found == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_page_and_the_fragment_both_vary_on_hx_request(people_a, name):
    site, method, make_path = CASES[name]
    with tenant_context(people_a.tenant):
        path = make_path(people_a)
    if site == "console":
        client = people_a.console(people_a.channel_manager)
    else:
        client = people_a.portal(people_a.partner_admin)
    send = getattr(client, method)
    page = send(path)
    fragment = send(path, HTTP_HX_REQUEST="true")
    assert page.status_code in (200, 302) and fragment.status_code == 200, (page.status_code, fragment.status_code)
    for response in (page, fragment):
        vary = [part.strip() for part in response.get("Vary", "").split(",")]
        assert vary.count("HX-Request") == 1, response.get("Vary")


def test_the_platform_admins_vendor_creation_page_varies_on_hx_request():
    from django.db import connection
    from django.test import Client

    from prm.accounts.models import User
    from prm.tenancy.models import VendorCreation

    connection.set_schema_to_public()
    operator = User.objects.create_superuser(email="ops-vary@kyoso.example", password="ops-password-123")
    creation = VendorCreation.objects.create(slug="vary", name="ヴァリー商事", admin_email="boss@vary.example")
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/admin/tenancy/vendor/create/{creation.pk}/"
    page, fragment = client.get(url), client.get(url, HTTP_HX_REQUEST="true")
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.content.decode() and "<html" not in fragment.content.decode()
    for response in (page, fragment):
        assert "HX-Request" in response["Vary"]


def test_a_view_that_does_not_ask_does_not_vary(people_a):
    response = people_a.console(people_a.channel_manager).get(reverse_path("onboarding_templates", "console"))
    assert response.status_code == 200
    assert "HX-Request" not in response.get("Vary", "")


ROOT = Path(__file__).resolve().parents[2]
READS_THE_HEADER = re.compile(r"""\bhtmx\.(?:boosted|target|trigger)|request\.htmx\b|HX[-_]Request|HTTP_HX_|HX-Boosted""", re.IGNORECASE)


def test_no_module_but_the_helper_reads_hx_request():
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(("tests/", "bench/", ".venv/", ".kyoso/")) or relative == "prm/htmx.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if READS_THE_HEADER.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "Ask prm.htmx.htmx_partial(request):\n" + "\n".join(found)
