"""Invisible characters cannot beat first come.

A rep registered `株式会社浜<U+E0100>松建設` while another partner held `株式会社浜松建設`: it
became a second priority holder and the live check said "not registered". The matcher drops
every default-ignorable code point and composes combining marks before it builds any key.
"""

from __future__ import annotations

import importlib
import random
import unicodedata
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import matching, services
from deals.matching import DEFAULT_IGNORABLE_RANGES, clean_text, customer_keys, is_default_ignorable, normalise_name
from deals.models import DealRegistration, DirectAccount, Lead, Priority
from partners.japan import corporate_number_check_digit

VARIATION_SELECTOR_17 = "\U000e0100"
IGNORABLE = [chr(code) for start, end in DEFAULT_IGNORABLE_RANGES for code in range(start, end + 1)]
NUMBER = f"{corporate_number_check_digit('301021450733')}301021450733"


def _sprinkle(text: str, rng: random.Random, count: int = 3) -> str:
    chars = list(text)
    for _ in range(count):
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(IGNORABLE))
    return "".join(chars)


# --------------------------------------------------------------------------- the ranges


def test_the_ranges_are_unicodes_default_ignorable_code_points():
    # The characters the issue names, and the ends of every range of DerivedCoreProperties.txt.
    named = [0x00AD, 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x180B, 0x180F, 0x200B, 0x200F, 0x202A, 0x202E,
             0x2060, 0x2064, 0x2066, 0x2069, 0xFE00, 0xFE0F, 0xFEFF, 0xE0000, 0xE0001, 0xE007F, 0xE0100, 0xE01EF,
             0xE0FFF, 0x061C, 0x17B4, 0x1BCA0, 0x1D173, 0x1D17A, 0xFFF0, 0xFFF8]
    assert all(is_default_ignorable(chr(code)) for code in named)
    assert len(IGNORABLE) == 4174  # the property's size since Unicode 14
    # Nothing visible is in them: only format characters, marks, fillers and unassigned code points.
    assert {unicodedata.category(char) for char in IGNORABLE} <= {"Cf", "Mn", "Lo", "Cn"}
    for start, end in DEFAULT_IGNORABLE_RANGES:  # and their neighbours stay
        assert not is_default_ignorable(chr(start - 1)) and not is_default_ignorable(chr(end + 1))


@pytest.mark.parametrize("char", IGNORABLE[:: max(1, len(IGNORABLE) // 400)] + [VARIATION_SELECTOR_17, "\u034f"])
def test_every_ignorable_code_point_vanishes_from_every_key(char):
    plain = customer_keys("株式会社浜松建設", NUMBER, "info@hamamatsu-kensetsu.co.jp")
    hidden = customer_keys(f"株{char}式会社浜{char}松建設{char}", f"{NUMBER[:4]}{char}{NUMBER[4:]}",
                           f"info@hama{char}matsu-kensetsu.co.jp{char}")
    assert hidden == plain


def test_nfkc_never_turns_a_visible_character_into_an_invisible_one():
    """Why clean_text can drop ignorables once, before NFKC."""
    made_invisible = [
        hex(code) for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF and not is_default_ignorable(chr(code))
        and any(is_default_ignorable(char) for char in unicodedata.normalize("NFKC", chr(code)))
    ]
    assert made_invisible == []


def test_no_ignorable_code_point_survives_clean_text():
    text = "".join(IGNORABLE)
    assert clean_text(f"浜{text}松") == "浜松"
    assert normalise_name(text) == ""


@pytest.mark.parametrize("seed", range(20))
def test_sprinkled_ignorables_never_change_a_key_property(seed):
    rng = random.Random(seed)
    for name, number, domain in [("株式会社浜松建設", NUMBER, "https://www.hamamatsu-kensetsu.co.jp/"),
                                 ("サイバーエージェント株式会社", "", "k.tanaka@cyberagent.co.jp"),
                                 ("Sakura Systems Co., Ltd.", "", "sakura-systems.com"),
                                 ("かがやき製作所", "", "")]:
        plain = customer_keys(name, number, domain)
        for _ in range(25):
            assert customer_keys(_sprinkle(name, rng), _sprinkle(number, rng) if number else "",
                                 _sprinkle(domain, rng) if domain else "") == plain


@pytest.mark.parametrize("variant", ["かか\u3099やき", "かか\u200b\u3099やき", "かか\U000e0100\u3099やき", "かか゛やき",
                                     "かが\ufe0fやき"])
def test_combining_marks_are_composed(variant):
    assert normalise_name(variant) == normalise_name("かがやき") == "かがやき"
    assert normalise_name("ｶｶﾞﾔｷ") == normalise_name("カガヤキ")


@pytest.mark.parametrize(("a", "b"), [
    ("株式会社浜松建設", "株式会社浜松建設\u200d工業"),   # an invisible joiner does not make an extension the same
    ("株式会社浜松建設", f"株式会社浜{VARIATION_SELECTOR_17}北建設"),
    ("かがやき製作所", "かかやき製作所"),               # a voiced mark is a real difference
    ("Hoshizora Consulting", "Hoshi\u034fzora Consulting Group"),
])
def test_dropping_invisible_characters_keeps_other_differences(a, b):
    assert normalise_name(a) != normalise_name(b)


def test_hangul_fillers_and_bidi_controls_go_but_hangul_stays():
    assert normalise_name("みなと\u3164物流\uffa0株式会社") == "みなと物流"
    assert normalise_name("\u202bみなと物流\u202c(株)") == normalise_name("\u2067みなと物流\u2069") == "みなと物流"
    assert normalise_name("주식회사 한빛") == "한빛"


# --------------------------------------------------------------------------- end to end


def _register(partner, user, name, domain=""):
    return services.deal_register(partner=partner, user=user, customer_name=name, corporate_number="",
                                  web_domain=domain, amount=1_000_000,
                                  expected_close=timezone.localdate() + timedelta(days=30))


def test_a_variation_selector_does_not_make_a_second_priority_holder(people_a):
    with tenant_context(people_a.tenant):
        first = _register(people_a.other_partner, people_a.other_partner_admin, "株式会社浜松建設")
        second = _register(people_a.partner, people_a.partner_rep, f"株式会社浜{VARIATION_SELECTOR_17}松建設")
        assert first.priority == Priority.HOLDER
        assert (second.priority, second.conflict_with) == (Priority.CONFLICT, first)
        assert second.name_key == first.name_key == "浜松建設"
    answer = people_a.portal(people_a.partner_rep).get(
        "/deals/check/", {"customer_name": f"浜{VARIATION_SELECTOR_17}松建設\u200b(株)"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert "既に登録" in answer.content.decode()


@pytest.mark.parametrize("name", ["株\u200b式会社浜松建設", "浜\u034f松\u3164建設株式会社", "\u202e株式会社浜松建設\u202c",
                                  "株式会社浜松建設\U000e0001\U000e006a\U000e0070"])
def test_the_live_check_sees_through_invisible_characters(people_a, name):
    with tenant_context(people_a.tenant):
        _register(people_a.other_partner, people_a.other_partner_admin, "株式会社浜松建設")
        assert services.customer_status(partner=people_a.partner, customer_name=name) == "taken"
        assert services.customer_status(partner=people_a.other_partner, customer_name=name) == "own"


def test_invisible_characters_in_a_domain_still_conflict(people_a):
    with tenant_context(people_a.tenant):
        first = _register(people_a.other_partner, people_a.other_partner_admin, "浜松建設", "hamamatsu-kensetsu.co.jp")
        second = _register(people_a.partner, people_a.partner_rep, "Hamamatsu Kensetsu K.K.",
                           "info@hama\u00admatsu-kensetsu.co.jp")
        assert (second.priority, second.conflict_with) == (Priority.CONFLICT, first)


# --------------------------------------------------------------------------- the data migration


def test_the_migration_recomputes_stored_keys(people_a):
    migration = importlib.import_module("deals.migrations.0004_recompute_customer_keys_without_invisible_characters")
    with tenant_context(people_a.tenant):
        deal = _register(people_a.partner, people_a.partner_rep, f"株式会社浜{VARIATION_SELECTOR_17}松建設",
                         f"https://hama\u200bmatsu-kensetsu.co.jp/{VARIATION_SELECTOR_17}")
        account = DirectAccount.objects.create(customer_name="か\u3099やき工業株式会社", corporate_number="",
                                               web_domain="", name_key="")
        lead = Lead.objects.create(customer_name="みなと\u3164物流", corporate_number=NUMBER, web_domain="", name_key="")
        untouched = DirectAccount.objects.create(customer_name="普通商事", web_domain="", name_key="普通商事")
        # As the old matcher stored them.
        DealRegistration.objects.filter(pk=deal.pk).update(name_key=f"浜{VARIATION_SELECTOR_17}松建設", domain_key="")
        DirectAccount.objects.filter(pk=account.pk).update(name_key="か\u3099やき工業")
        Lead.objects.filter(pk=lead.pk).update(name_key="みなと\u3164物流")

        migration.recompute_keys(django_apps, connection.schema_editor())

        deal.refresh_from_db()
        account.refresh_from_db()
        lead.refresh_from_db()
        untouched.refresh_from_db()
        assert (deal.name_key, deal.domain_key) == ("浜松建設", "hamamatsu-kensetsu.co.jp")
        assert account.name_key == "がやき工業"
        assert (lead.name_key, lead.corporate_key) == ("みなと物流", NUMBER)  # the key it lacked, and the number it had
        assert untouched.name_key == "普通商事"
        assert services.customer_status(partner=people_a.other_partner, customer_name="浜松建設") == "taken"


def test_the_matcher_is_the_one_place_keys_are_made():
    assert services.customer_keys_for("株式会社浜\U000e0100松建設", "", "") == matching.customer_keys("浜松建設", "", "")
