"""The console's one search box: partners, contacts, deal registrations and customers, Japanese-aware."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import services as deal_services
from deals.models import DealRegistration, DirectAccount
from partners import services as partner_services
from partners.models import Contact, Partner
from partners.search import MAX_QUERY_LENGTH, search_key
from prm.notifications.models import Notification
from tests.partners.factories import ContactFactory, PartnerFactory

SAKURA = "株式会社さくらシステムズ"


def _register(partner, customer: str, domain: str = "") -> DealRegistration:
    return deal_services.deal_register(partner=partner, user=None, customer_name=customer, corporate_number="",
                                       web_domain=domain, amount=1_000_000,
                                       expected_close=timezone.localdate() + timedelta(days=30))


def _found(client, query: str) -> dict:
    response = client.get(f"/search/?q={quote(query)}")
    assert response.status_code == 200, response.content[:500]
    results = response.context["results"]
    return {"partners": [p.name for p in results.partners], "contacts": [c.full_name for c in results.contacts],
            "deals": [d.customer_name for d in results.deals], "customers": [c.name for c in results.customers]}


def test_it_reads_widths_kana_and_legal_forms_as_one_key():
    assert search_key("ｻｸﾗ") == search_key("さくら") == search_key("サクラ") == search_key("(株)サクラ") == "サクラ"
    assert search_key(SAKURA) == "サクラシステムズ"
    assert search_key("ＳＡＫＵＲＡ　Systems Inc.") == "sakurasystems"
    # Several names are one key, joined so that a query never matches across two of them.
    assert search_key("桜電機", "サクラデンキ", "") == "桜電機 サクラデンキ"
    # サイバー is not サイバーエージェント for the matcher, but it is the start of it for the search.
    assert search_key("サイバー") != search_key("サイバーエージェント")


@pytest.mark.parametrize("query", ["ｻｸﾗ", "さくら", "サクラ", "ｻｸﾗｼｽﾃﾑｽﾞ", SAKURA, "(株)さくらシステムズ",
                                   "さくらシステムズ株式会社", "システムズ", "しすてむ"])
def test_every_spelling_finds_the_same_partner(people_a, query):
    with tenant_context(people_a.tenant):
        PartnerFactory(name=SAKURA, name_kana="サクラシステムズ")
        PartnerFactory(name="株式会社ひまわり商事", name_kana="ヒマワリショウジ")
    found = _found(people_a.console(people_a.channel_manager), query)
    assert found["partners"] == [SAKURA]


def test_it_finds_a_partner_by_its_reading_and_ranks_names_starting_with_the_query_first(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="桜電機株式会社", name_kana="サクラデンキ")
        PartnerFactory(name="株式会社ニューさくら", name_kana="ニューサクラ")
        PartnerFactory(name="株式会社ひまわり商事", name_kana="ヒマワリショウジ")
    found = _found(people_a.console(people_a.channel_manager), "さくら")
    assert found["partners"] == ["桜電機株式会社", "株式会社ニューさくら"]


def test_it_finds_contacts_deals_and_customers_each_in_their_group(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="株式会社北斗情報サービス", name_kana="ホクトジョウホウサービス")
        ContactFactory(partner=partner, full_name="山田 太郎", full_name_kana="ヤマダ タロウ",
                       email="t.yamada@hokuto.example")
        _register(partner, "株式会社丸の内フーズ", "marunouchi-foods.co.jp")
        _register(people_a.other_partner, "丸の内フーズ(株)", "https://www.marunouchi-foods.co.jp/")
        _register(partner, "横浜港運株式会社")
        account = DirectAccount(customer_name="丸の内ホールディングス株式会社")
        deal_services.apply_keys(account, deal_services.customer_keys_for(account.customer_name, "", ""))
        account.save()
    client = people_a.console(people_a.channel_manager)
    assert _found(client, "やまだ")["contacts"] == ["山田 太郎"]
    assert _found(client, "ﾀﾛｳ")["contacts"] == ["山田 太郎"]
    assert _found(client, "t.yamada@hokuto")["contacts"] == ["山田 太郎"]
    found = _found(client, "まるのうち")
    assert found["partners"] == [] and found["contacts"] == []
    assert found["deals"] == []  # 丸の内 is written in kanji: the search does not read kanji as kana
    found = _found(client, "丸の内")
    assert sorted(found["deals"]) == ["丸の内フーズ(株)", "株式会社丸の内フーズ"]
    # One customer for the two registrations (the matcher's key), and the direct-sales account first.
    assert found["customers"] == ["丸の内ホールディングス株式会社", "株式会社丸の内フーズ"]
    customers = people_a.console(people_a.channel_manager).get("/search/?q=丸の内").context["results"].customers
    assert [(c.registrations, c.direct_account) for c in customers] == [(0, True), (2, False)]
    assert _found(client, "港運")["deals"] == ["横浜港運株式会社"]


def test_the_page_links_each_result_and_the_fragment_is_only_the_results(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name=SAKURA, name_kana="サクラシステムズ")
        contact = ContactFactory(partner=partner, full_name="佐倉 花子", full_name_kana="サクラ ハナコ")
        deal = _register(partner, "サクラ食品株式会社")
    client = people_a.console(people_a.channel_manager)
    page = client.get("/search/?q=ｻｸﾗ")
    body = page.content.decode()
    assert "<html" in body and 'id="kyoso-search-q"' in body
    assert f'href="/partners/{partner.pk}/"' in body and f'href="/deals/{deal.pk}/"' in body
    assert f'href="/partners/{contact.partner_id}/"' in body and "佐倉 花子" in body
    assert "HX-Request" in page["Vary"]
    live = client.get("/search/?q=ｻｸﾗ", HTTP_HX_REQUEST="true")
    fragment = live.content.decode()
    assert "<html" not in fragment and 'id="kyoso-search-q"' not in fragment
    assert SAKURA in fragment and f'href="/search/?q={quote("ｻｸﾗ")}"' in fragment  # "see all" is a real link
    assert "HX-Request" in live["Vary"]


def test_every_console_page_has_the_box_and_the_empty_states_say_so(people_a):
    client = people_a.console(people_a.channel_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are checked in English
    home = client.get("/").content.decode()
    assert 'action="/search/"' in home and 'hx-get="/search/"' in home
    assert "Nothing matches" in client.get("/search/?q=存在しない会社").content.decode()
    only_legal_form = client.get("/search/?q=株式会社", HTTP_HX_REQUEST="true")
    assert only_legal_form.status_code == 200 and "Type a name" in only_legal_form.content.decode()
    assert client.get("/search/?q=", HTTP_HX_REQUEST="true").content.decode().strip() == ""


def test_a_too_long_query_is_refused_with_a_message_not_an_error(people_a):
    client = people_a.console(people_a.channel_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are checked in English
    query = "さ" * (MAX_QUERY_LENGTH + 1)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(f"/search/?q={quote(query)}", **headers)
        assert response.status_code == 200
        assert response.context["results"] is None
        assert f"at most {MAX_QUERY_LENGTH} characters" in response.content.decode()
    assert client.get("/search/?q=" + "x" * 20_000).status_code == 200


def test_partner_users_and_strangers_never_reach_it(people_a):
    assert people_a.portal(people_a.partner_admin).get("/search/?q=a").status_code == 404
    assert people_a.console(people_a.partner_rep).get("/search/?q=a").status_code == 403
    assert people_a.console(people_a.partner_admin).get("/search/?q=a").status_code == 403
    anonymous = people_a.console().get("/search/?q=a")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert people_a.console(people_a.channel_manager).post("/search/", {"q": "a"}).status_code == 405


def test_it_finds_nothing_of_another_vendor(people_a, people_b):
    with tenant_context(people_b.tenant):
        partner = PartnerFactory(name="株式会社よその会社", name_kana="ヨソノカイシャ")
        ContactFactory(partner=partner, full_name="余所 一郎", full_name_kana="ヨソ イチロウ")
        _register(partner, "よその顧客株式会社")
    found = _found(people_a.console(people_a.channel_manager), "よそ")
    assert found == {"partners": [], "contacts": [], "deals": [], "customers": []}
    assert _found(people_b.console(people_b.channel_manager), "よそ")["partners"] == ["株式会社よその会社"]


def test_the_key_follows_every_write(people_a):
    with tenant_context(people_a.tenant):
        partner = partner_services.partner_create(actor=people_a.vendor_admin, name="株式会社あおば", partner_type="resale")
        assert Partner.objects.get(pk=partner.pk).search_key == "アオバ"
        partner_services.partner_update(partner=partner, actor=people_a.vendor_admin, name="株式会社みどり",
                                        name_kana="ミドリ")
        assert Partner.objects.get(pk=partner.pk).search_key == "ミドリ ミドリ"
        Partner.objects.bulk_create([Partner(name="一括商事株式会社", partner_type="resale")])
        assert Partner.objects.get(name="一括商事株式会社").search_key == "一括商事"
        contact = partner_services.contact_save(partner=partner, actor=people_a.vendor_admin, full_name="青葉 次郎",
                                                email="jiro@aoba.example")
        partner_services.contact_erase(contact=contact, actor=people_a.vendor_admin)
        assert Contact.objects.get(pk=contact.pk).search_key == search_key(partner_services.ERASED)


def test_the_search_costs_the_same_queries_for_a_few_or_many_matches(people_a):
    client = people_a.console(people_a.channel_manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/search/?q=さくら")
        assert response.status_code == 200
        return len(captured)

    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="株式会社さくら一号", name_kana="サクラ")
        ContactFactory(partner=partner, full_name="桜井 一", full_name_kana="サクライ ハジメ")
        _register(partner, "さくら商店一号")
    client.get("/search/?q=さくら")  # fills the caches of the page's frame
    few = queries()
    with tenant_context(people_a.tenant):
        for n in range(30):
            partner = PartnerFactory(name=f"株式会社さくら{n:02d}", name_kana=f"サクラ{n:02d}")
            ContactFactory(partner=partner, full_name=f"桜井 {n}", full_name_kana=f"サクライ {n}")
            _register(partner, f"さくら商店{n:02d}")
    many = queries()
    results = client.get("/search/?q=さくら").context["results"]
    assert len(results.partners) == len(results.deals) == len(results.customers) == 20
    assert many == few


def test_the_fragment_skips_the_bell_and_customers_are_read_in_one_statement(people_a):
    """What the search reads: the direct-sales accounts and the registrations naming a customer in one statement;
    the bell's unread count only on the page, which draws it (the fragment under the box has no bell)."""
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="株式会社さくら一号", name_kana="サクラ")
        _register(partner, "さくら商店株式会社")
        account = DirectAccount(customer_name="さくらホールディングス株式会社")
        deal_services.apply_keys(account, deal_services.customer_keys_for(account.customer_name, "", ""))
        account.save()
        Notification.objects.create(user=people_a.channel_manager, kind="test", title="未読の知らせ")
        unread = Notification.objects.filter(user=people_a.channel_manager, read_at=None).count()
    client = people_a.console(people_a.channel_manager)
    client.get("/search/?q=さくら")  # fills the caches of the page's frame
    for headers, bell in (({}, True), ({"HTTP_HX_REQUEST": "true"}, False)):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/search/?q=さくら", **headers)
        statements = [query["sql"] for query in captured.captured_queries]
        assert any("notifications_notification" in sql for sql in statements) is bell, statements
        html = response.content.decode()
        assert (f'translate-middle badge rounded-pill text-bg-danger">{unread}</span>' in html) is bell
        customers = [sql for sql in statements if "deals_directaccount" in sql]
        assert len(customers) == 1 and "deals_dealregistration" in customers[0], statements
        results = response.context["results"]
        assert [(c.name, c.registrations, c.direct_account) for c in results.customers] == [
            ("さくらホールディングス株式会社", 0, True), ("さくら商店株式会社", 1, False)]
        assert [p.name for p in results.partners] == ["株式会社さくら一号"]
