"""Certificates as PDF, the public verification page, and expiry reminders."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from enablement import certificates, services
from enablement.models import CertificationAward
from enablement.tasks import certifications_remind
from portal.certificates import VERIFY_RATE_LIMIT
from prm.notifications.models import Notification
from tests.enablement.factories import CertificationFactory

TOKYO = ZoneInfo("Asia/Tokyo")
ISSUED = datetime(2025, 11, 20, 10, 0, tzinfo=TOKYO)
EXPIRES = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)


def _award(user, partner, certification=None, *, holder_name="山田 太郎", issued_at=ISSUED, expires_at=EXPIRES,
           **fields) -> CertificationAward:
    certification = certification or CertificationFactory(name="ミライクラウド認定セールス（ベーシック）")
    return CertificationAward.objects.create(certification=certification, user=user, partner=partner,
                                             holder_name=holder_name, issued_at=issued_at, expires_at=expires_at,
                                             **fields)


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --------------------------------------------------------------------------- the PDF


@pytest.mark.parametrize(("language", "expected"), [
    ("ja", ["山田 太郎 殿", "2025年11月20日", "2026年11月20日"]),
    ("en", ["Certificate", "Issued on", "Valid until", "20 November 2025", "20 November 2026"]),
])
def test_it_renders_the_certificate_with_the_holder_certification_dates_and_code(people_a, language, expected):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner)
        data = certificates.render_pdf(award, language=language)
        reader = PdfReader(io.BytesIO(data))
        text = _pdf_text(data)
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert width > height and round(width / 72 * 25.4) == 297  # A4 landscape
    portal = people_a.tenant.domain_for("portal").domain
    flat = text.replace("\n", "").replace(" ", "")
    for fragment in [*expected, "株式会社アルファ", people_a.partner.name, "ミライクラウド認定セールス（ベーシック）",
                     award.verification_code]:
        assert fragment in text, (fragment, text[:600])
    assert f"{portal}" in flat and f"/verify/{award.verification_code}/" in flat, text
    if language == "en":
        assert "殿" not in text and "年" not in text
    else:
        assert "Partner certification programme" not in text and "November" not in text


def test_it_builds_the_verification_url_on_the_portal_domain(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner)
        url = certificates.verification_url(award)
    portal = people_a.tenant.domain_for("portal").domain
    assert url.startswith(f"{settings.KYOSO_URL_SCHEME}://{portal}")
    assert url.endswith(f"/verify/{award.verification_code}/")


def test_it_lets_a_rep_download_their_own_certificate_in_their_language_or_the_one_asked_for(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner)
        people_a.partner_rep.language = "en"
        people_a.partner_rep.save(update_fields=["language"])
    client = people_a.portal(people_a.partner_rep)
    response = client.get(f"/learning/certificates/{award.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and award.verification_code in disposition
    assert "20 November 2026" in _pdf_text(response.content)
    japanese = _pdf_text(client.get(f"/learning/certificates/{award.pk}.pdf?lang=ja").content)
    assert "2026年11月20日" in japanese and "殿" in japanese
    # An unknown language falls back to Japanese rather than failing.
    assert "2026年11月20日" in _pdf_text(client.get(f"/learning/certificates/{award.pk}.pdf?lang=xx").content)


def test_a_rep_cannot_download_a_colleagues_certificate_but_their_partner_admin_can(people_a):
    with tenant_context(people_a.tenant):
        admins = _award(people_a.partner_admin, people_a.partner, holder_name="管理 花子")
        reps = _award(people_a.partner_rep, people_a.partner)
    assert people_a.portal(people_a.partner_rep).get(f"/learning/certificates/{admins.pk}.pdf").status_code == 404
    response = people_a.portal(people_a.partner_admin).get(f"/learning/certificates/{reps.pk}.pdf")
    assert response.status_code == 200 and "山田 太郎" in _pdf_text(response.content)


def test_another_partner_cannot_download_the_certificate(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner)
    assert people_a.portal(people_a.other_partner_admin).get(f"/learning/certificates/{award.pk}.pdf").status_code == 404


def test_a_certificate_of_another_vendor_is_not_found(people_a, people_b):
    with tenant_context(people_b.tenant):
        award = _award(people_b.partner_rep, people_b.partner)
    assert people_a.portal(people_a.partner_admin).get(f"/learning/certificates/{award.pk}.pdf").status_code == 404
    assert people_a.portal(people_a.partner_rep).get(f"/learning/certificates/{award.pk}.pdf").status_code == 404


def test_the_certificate_needs_a_signed_in_partner_user_and_a_get(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner)
    url = f"/learning/certificates/{award.pk}.pdf"
    anonymous = people_a.portal().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert people_a.portal(people_a.channel_manager).get(url).status_code == 403
    assert people_a.portal(people_a.partner_rep).post(url).status_code == 405


# --------------------------------------------------------------------------- public verification


def test_anyone_can_verify_a_valid_certificate_without_seeing_an_email_address(people_a):
    with tenant_context(people_a.tenant):
        expires = timezone.now() + timedelta(days=200)
        award = _award(people_a.partner_rep, people_a.partner, expires_at=expires)
    response = _english(people_a.portal()).get(f"/verify/{award.verification_code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="valid"' in html and "This certificate is valid." in html
    for fragment in ("山田 太郎", people_a.partner.name, "ミライクラウド認定セールス（ベーシック）", award.verification_code):
        assert fragment in html, fragment
    assert people_a.partner_rep.email not in html and "mailto:" not in html


def test_the_verification_page_never_shows_an_address_used_as_the_holders_name(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner, holder_name=people_a.partner_rep.email,
                       expires_at=timezone.now() + timedelta(days=30))
    html = people_a.portal().get(f"/verify/{award.verification_code}/").content.decode()
    assert 'data-state="valid"' in html and people_a.partner_rep.email not in html
    assert people_a.partner_rep.email.split("@")[1] not in html


def test_the_verification_page_says_when_a_certificate_has_expired(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner, issued_at=timezone.now() - timedelta(days=400),
                       expires_at=timezone.now() - timedelta(days=35))
    response = _english(people_a.portal()).get(f"/verify/{award.verification_code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="expired"' in html and 'data-state="valid"' not in html
    assert "This certificate has expired." in html and "山田 太郎" in html


def test_an_unknown_code_is_a_clear_404(people_a):
    with tenant_context(people_a.tenant):
        _award(people_a.partner_rep, people_a.partner, verification_code="AAAAAAAAAAAA")
    client = _english(people_a.portal())
    for code in ("AAAAAAAAAAAB", "not-a-code"):
        response = client.get(f"/verify/{code}/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "No certificate has this code." in html and "山田 太郎" not in html


def test_a_code_from_another_vendor_is_unknown_here(people_a, people_b):
    with tenant_context(people_b.tenant):
        award = _award(people_b.partner_rep, people_b.partner)
    assert people_a.portal().get(f"/verify/{award.verification_code}/").status_code == 404
    assert people_b.portal().get(f"/verify/{award.verification_code}/").status_code == 200


def test_the_form_accepts_a_code_typed_from_paper_and_explains_a_malformed_one(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner, verification_code="1A2B3C4D5E6F")
    client = _english(people_a.portal())
    form = client.get("/verify/")
    assert form.status_code == 200 and 'name="code"' in form.content.decode()
    typed = client.get("/verify/", {"code": " 1a2b-3c4d-5e6f "})
    assert typed.status_code == 302 and typed["Location"] == f"/verify/{award.verification_code}/"
    wrong = client.get("/verify/", {"code": "12345"})
    assert wrong.status_code == 200 and "Enter the 12-character code printed on the certificate." in wrong.content.decode()


def test_the_verification_page_limits_look_ups_per_address(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner, expires_at=timezone.now() + timedelta(days=30))
    client = _english(people_a.portal())
    for n in range(VERIFY_RATE_LIMIT):
        assert client.get(f"/verify/{n:012X}/").status_code == 404
    limited = client.get(f"/verify/{award.verification_code}/")
    assert limited.status_code == 429
    html = limited.content.decode()
    assert "Too many look-ups" in html and "山田 太郎" not in html
    other_address = _english(people_a.portal()).get(f"/verify/{award.verification_code}/", REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 200


def test_the_verification_pages_answer_only_get(people_a):
    with tenant_context(people_a.tenant):
        award = _award(people_a.partner_rep, people_a.partner)
    client = people_a.portal()
    assert client.post("/verify/", {"code": award.verification_code}).status_code == 405
    assert client.post(f"/verify/{award.verification_code}/").status_code == 405


# --------------------------------------------------------------------------- expiry reminders


def _reminders(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind="certification_expiring"))


def test_it_reminds_the_holder_and_their_partner_admins_once_inside_the_window(people_a):
    with tenant_context(people_a.tenant):
        certification = CertificationFactory(name="認定プリセールス", remind_days_before=30)
        soon = _award(people_a.partner_rep, people_a.partner, certification, issued_at=timezone.now() - timedelta(days=355),
                      expires_at=timezone.now() + timedelta(days=10))
        assert services.certifications_remind() == 1
        holder, admin = _reminders(people_a.partner_rep), _reminders(people_a.partner_admin)
        assert len(holder) == 1 and len(admin) == 1
        assert "認定プリセールス" in holder[0].title and "山田 太郎" in admin[0].body
        assert _reminders(people_a.other_partner_admin) == []
        soon.refresh_from_db()
        assert soon.reminded_at is not None
        assert services.certifications_remind() == 0
        assert Notification.objects.filter(kind="certification_expiring").count() == 2


def test_it_does_not_remind_a_renewed_a_distant_or_an_expired_certification(people_a):
    with tenant_context(people_a.tenant):
        certification = CertificationFactory(remind_days_before=30)
        now = timezone.now()
        old = _award(people_a.partner_rep, people_a.partner, certification, issued_at=now - timedelta(days=355),
                     expires_at=now + timedelta(days=10))
        _award(people_a.partner_rep, people_a.partner, certification, issued_at=now - timedelta(days=1),
               expires_at=now + timedelta(days=375))
        _award(people_a.partner_admin, people_a.partner, certification, holder_name="管理 花子",
               expires_at=now + timedelta(days=60))
        _award(people_a.other_partner_admin, people_a.other_partner, certification, holder_name="他社 次郎",
               issued_at=now - timedelta(days=400), expires_at=now - timedelta(days=5))
        assert services.certifications_remind() == 0
        assert Notification.objects.filter(kind="certification_expiring").count() == 0
        old.refresh_from_db()
        assert old.reminded_at is not None  # settled: the renewal covers it, so it is never looked at again


def test_the_daily_task_runs_the_reminders_in_its_tenant(people_a):
    with tenant_context(people_a.tenant):
        _award(people_a.partner_rep, people_a.partner, CertificationFactory(remind_days_before=30),
               expires_at=timezone.now() + timedelta(days=3))
        result = certifications_remind.apply(kwargs={"schema_name": people_a.tenant.schema_name})
        assert result.get() == 1
        assert len(_reminders(people_a.partner_rep)) == 1
        refused = certifications_remind.apply(kwargs={"schema_name": "v_elsewhere"})
        assert refused.failed() and isinstance(refused.result, RuntimeError)
        assert len(_reminders(people_a.partner_rep)) == 1
