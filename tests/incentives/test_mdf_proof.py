"""MDF proofs: the vendor checks them on the claim before paying it, through an access-checked
download; a partner sees only its own; the file is never reachable by its media URL."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from incentives import mdf
from incentives.models import MdfAllocation, MdfRequest

PNG = b"\x89PNG\r\n\x1a\n" + b"proof-of-seminar" * 8


def _claimed(people, partner=None, admin=None) -> MdfRequest:
    """A request of `partner` approved and claimed with a proof, waiting for the vendor."""
    partner = partner or people.partner
    admin = admin or people.partner_admin
    with tenant_context(people.tenant):
        MdfAllocation.objects.get_or_create(partner=partner, fiscal_year=2026,
                                            defaults={"amount": 500_000, "source": "manual"})
        request = mdf.request_create(partner=partner, actor=admin, activity="共催セミナー", starts_on=date(2026, 10, 1),
                                     ends_on=date(2026, 10, 31), budget=300_000, expected_leads=10)
        mdf.request_decide(request=request, actor=people.channel_manager, approve=True)
        mdf.claim_submit(request=request, actor=admin, amount=280_000, leads=12,
                         proof=SimpleUploadedFile("seminar-receipt.png", PNG))
        request.refresh_from_db()
        assert request.status == MdfRequest.Status.CLAIMED
    return request


def test_it_lets_the_channel_manager_see_and_download_a_pending_claims_proof(people_a):
    request = _claimed(people_a)
    client = people_a.console(people_a.channel_manager)
    page = client.get("/incentives/mdf/").content.decode()
    assert f"/incentives/mdf/{request.pk}/proof/" in page
    assert "280,000" in page
    response = client.get(f"/incentives/mdf/{request.pk}/proof/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"


def test_it_lets_the_partner_admin_download_its_own_proof(people_a):
    request = _claimed(people_a)
    client = people_a.portal(people_a.partner_admin)
    assert f"/mdf/{request.pk}/proof/" in client.get("/mdf/").content.decode()
    response = client.get(f"/mdf/{request.pk}/proof/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG


def test_another_partner_cannot_download_the_proof(people_a):
    request = _claimed(people_a)
    response = people_a.portal(people_a.other_partner_admin).get(f"/mdf/{request.pk}/proof/")
    assert response.status_code == 404
    assert people_a.portal(people_a.partner_rep).get(f"/mdf/{request.pk}/proof/").status_code == 403


def test_anonymous_visitors_go_to_sign_in(people_a):
    request = _claimed(people_a)
    for client, path in ((people_a.console(), f"/incentives/mdf/{request.pk}/proof/"),
                         (people_a.portal(), f"/mdf/{request.pk}/proof/")):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_partner_users_cannot_use_the_console_download(people_a):
    request = _claimed(people_a)
    assert people_a.console(people_a.partner_admin).get(f"/incentives/mdf/{request.pk}/proof/").status_code == 403


def test_another_tenants_staff_cannot_download_the_proof(people_a, people_b):
    request = _claimed(people_a)
    # On their own console the claim does not exist …
    assert people_b.console(people_b.channel_manager).get(f"/incentives/mdf/{request.pk}/proof/").status_code == 404
    # … and their session means nothing on this vendor's console.
    foreign = people_a.console()
    foreign.cookies = people_b.console(people_b.channel_manager).cookies
    response = foreign.get(f"/incentives/mdf/{request.pk}/proof/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_request_without_a_claim_has_no_proof(people_a):
    with tenant_context(people_a.tenant):
        request = mdf.request_create(partner=people_a.partner, actor=people_a.partner_admin, activity="展示会",
                                     starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 2), budget=100_000)
    assert people_a.console(people_a.channel_manager).get(f"/incentives/mdf/{request.pk}/proof/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_download_is_get_only(people_a, method):
    request = _claimed(people_a)
    client = people_a.console(people_a.channel_manager)
    assert getattr(client, method)(f"/incentives/mdf/{request.pk}/proof/").status_code == 405
