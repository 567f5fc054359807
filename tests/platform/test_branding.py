from __future__ import annotations

import base64

from django.core.files.base import ContentFile

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_it_brands_the_portal_with_the_vendors_name_colour_and_logo(people_a):
    vendor = people_a.tenant
    vendor.brand_colour = "#c0392b"
    vendor.logo.save("alpha.png", ContentFile(PNG), save=False)
    vendor.save(update_fields=["brand_colour", "logo"])
    client = people_a.portal(people_a.partner_rep)

    page = client.get("/").content.decode()
    assert "株式会社アルファ" in page
    assert 'src="/brand/logo"' in page
    assert 'href="/brand.css"' in page
    assert client.get("/brand.css").content.decode().strip() == ":root { --kyoso-brand: #c0392b; }"
    logo = client.get("/brand/logo")
    assert logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content) == PNG


def test_it_shows_the_initial_without_the_legal_form_when_there_is_no_logo(people_b):
    page = people_b.portal(people_b.partner_rep).get("/").content.decode()
    assert 'kyoso-mark-light">ブ<' in page
    assert people_b.portal().get("/brand/logo").status_code == 404


def test_it_keeps_the_console_in_kyoso_colours(people_a):
    page = people_a.console(people_a.channel_manager).get("/").content.decode()
    assert "brand.css" not in page
    assert "株式会社アルファ" in page
