"""Certificates as PDF (WeasyPrint), in Japanese or English, and their public verification URL."""

from __future__ import annotations

import base64
import io
from datetime import date, datetime

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from enablement.models import CertificationAward
from prm.tenancy.models import Domain
from prm.tenancy.urls import reverse_path, site_url

# The bundled IPAexGothic: Japanese glyphs render the same on a fresh machine with no system fonts.
FONT = settings.BASE_DIR / "static" / "fonts" / "ipaexg.ttf"
LANGUAGES = ("ja", "en")
_EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]


def award_by_code(code: str) -> CertificationAward | None:
    """The award a verification code belongs to; the public page shows nothing more than this reads."""
    return (CertificationAward.objects.select_related("certification", "partner")
            .filter(verification_code=code).first())


def public_holder_name(award: CertificationAward) -> str:
    """The holder as the public page may show them: an account without a name falls back to its e-mail
    address when the award is made, and an address is never shown to strangers."""
    return "" if "@" in award.holder_name else award.holder_name


def verification_url(award: CertificationAward, vendor=None) -> str:
    """The public page on the vendor's portal domain that confirms this award."""
    path = reverse_path("portal_verify_code", Domain.Kind.PORTAL, code=award.verification_code)
    return site_url(vendor or connection.tenant, Domain.Kind.PORTAL, path)


def certificate_date(value: date | datetime, language: str) -> str:
    """2026年11月20日 / 20 November 2026: the long form a certificate carries."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    if language == "ja":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"


def _qr_data_uri(text: str) -> str:
    import qrcode
    from qrcode.image.svg import SvgPathImage

    buffer = io.BytesIO()
    qrcode.make(text, image_factory=SvgPathImage, border=0, box_size=10).save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_pdf(award: CertificationAward, *, language: str = "ja") -> bytes:
    from weasyprint import HTML

    language = language if language in LANGUAGES else "ja"
    vendor = connection.tenant
    url = verification_url(award, vendor)
    with translation.override(language):
        html = render_to_string("enablement/certificate.html", {
            "award": award, "certification": award.certification, "partner": award.partner, "vendor": vendor,
            "issued": certificate_date(award.issued_at, language),
            "expires": certificate_date(award.expires_at, language),
            "verify_url": url, "qr": _qr_data_uri(url), "font_url": FONT.as_uri(), "language": language,
        })
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def filename(award: CertificationAward, language: str) -> str:
    return f"certificate-{award.certification.code}-{award.verification_code}-{language}.pdf"
