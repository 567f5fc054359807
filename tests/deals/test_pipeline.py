"""The console pipeline: customer search (however the name is written), partner, owner, stage and date filters, the
totals and pages under them, and the CSV export of what the manager filtered."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import selectors
from deals.models import DealRegistration
from partners.search import search_query
from prm.exports import services as export_services
from prm.exports.models import ExportJob
from tests.factories import PartnerFactory, UserFactory

URL, EXPORT = "/deals/pipeline/", "/deals/pipeline/export/"
TODAY = date(2026, 12, 5)


def _deal(partner, customer: str, *, stage: str = "registered", amount: int = 1_000_000, registered: date = TODAY,
          close: date = date(2027, 3, 31), **fields) -> DealRegistration:
    at = timezone.make_aware(datetime.combine(registered, time(10)))
    return DealRegistration.objects.create(partner=partner, customer_name=customer, amount=amount, stage=stage,
                                           expected_close=close, registered_at=at, name_key=customer, **fields)


@pytest.fixture
def world(people_a):
    """Two partners owned by two managers, four customers of the one partner and one of the other."""
    with tenant_context(people_a.tenant):
        people_a.owner = UserFactory(role="channel_manager", full_name="担当 鈴木")
        people_a.partner.owner = people_a.channel_manager
        people_a.partner.save()
        people_a.other_partner.owner = people_a.owner
        people_a.other_partner.save()
        people_a.deals = {
            "sakura": _deal(people_a.partner, "株式会社サクラ", stage="approved", amount=1_200_000,
                            registered=date(2026, 4, 1), close=date(2026, 9, 30), corporate_number="0123456789012"),
            "himawari": _deal(people_a.partner, "ヒマワリ工業株式会社", stage="won", amount=900_000,
                              won_amount=850_000, won_on=date(2026, 8, 1), registered=date(2026, 5, 15),
                              close=date(2026, 8, 31)),
            "momiji": _deal(people_a.partner, "=もみじ商会", stage="proposal", amount=500_000,
                            registered=date(2026, 6, 30), close=date(2027, 1, 31)),
            "kiku": _deal(people_a.partner, "キク物産", stage="lost", amount=300_000, registered=date(2026, 7, 1)),
            "other": _deal(people_a.other_partner, "さくら運輸", stage="approved", amount=700_000,
                           registered=date(2026, 6, 1), close=date(2026, 10, 15)),
        }
    return people_a


def _customers(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return sorted(deal.customer_name for deal in response.context["page"])


@pytest.mark.parametrize("typed", ["ｻｸﾗ", "さくら", "サクラ", "株式会社サクラ", "(株)さくら", "ｻｸﾗ運輸"[:3]])
def test_it_finds_a_customer_however_its_name_is_written(world, typed):
    client = world.console(world.channel_manager)
    assert _customers(client.get(URL, {"customer": typed})) == ["さくら運輸", "株式会社サクラ"]
    # one partner's customer of that name only, and the part of a name in the middle of it too
    assert _customers(client.get(URL, {"customer": typed, "partner": world.partner.pk})) == ["株式会社サクラ"]
    assert _customers(client.get(URL, {"customer": "ﾏﾜﾘ"})) == ["ヒマワリ工業株式会社"]
    assert _customers(client.get(URL, {"customer": "株式会社"})) == sorted(d.customer_name for d in world.deals.values())


def test_the_customer_search_is_read_through_the_search_keys_index(world):
    with tenant_context(world.tenant):
        deals = selectors.pipeline_deals(selectors.PipelineFilters(customer="さくら"))
        with connection.cursor() as cursor:
            # A handful of rows, whose plans follow whatever statistics the tables have: leave the planner only the
            # bitmap scans, so the plan shows whether the filter can be read from the search key's indexes at all
            # (at 1,000,000 registrations the planner takes them by itself).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
        plan = deals.explain()
        assert "deal_search_grams" in plan, plan
        short = selectors.pipeline_deals(selectors.PipelineFilters(customer="さ")).explain()
        assert "deal_search_start" in short, short
        partners = selectors.pipeline_deals(selectors.PipelineFilters(partner_name="パートナー")).explain()
        assert "partner_search_grams" in partners, partners


def test_it_filters_by_partner_id_and_by_a_partners_name_written_any_way(world):
    client = world.console(world.channel_manager)
    mine = ["=もみじ商会", "キク物産", "ヒマワリ工業株式会社", "株式会社サクラ"]
    assert _customers(client.get(URL, {"partner": world.partner.pk})) == mine
    assert _customers(client.get(URL, {"partner_name": "ぱーとなー甲"})) == mine
    assert _customers(client.get(URL, {"partner_name": "ﾊﾟｰﾄﾅｰ乙"})) == ["さくら運輸"]
    assert _customers(client.get(URL, {"partner_name": "存在しない会社"})) == []


def test_it_filters_by_the_channel_manager_who_owns_the_partner(world):
    client = world.console(world.channel_manager)
    assert _customers(client.get(URL, {"owner": world.owner.pk})) == ["さくら運輸"]
    page = client.get(URL, {"owner": world.channel_manager.pk})
    assert len(page.context["page"]) == 4
    assert "担当 鈴木" in client.get(URL).content.decode()  # the owner column


def test_it_filters_by_several_stages_and_the_totals_follow(world):
    client = world.console(world.channel_manager)
    response = client.get(URL + "?stage=approved&stage=won")
    assert _customers(response) == ["さくら運輸", "ヒマワリ工業株式会社", "株式会社サクラ"]
    cards = {card["row"].stage: card for card in response.context["cards"]}
    assert cards["approved"]["selected"] and cards["won"]["selected"] and cards["lost"]["muted"]
    assert (cards["approved"]["row"].count, cards["approved"]["row"].amount) == (2, 1_900_000)
    assert cards["won"]["row"].amount == 850_000  # the confirmed amount of a win
    assert response.context["total_amount"] == 2_750_000
    assert response.context["page"].paginator.count == 3


@pytest.mark.parametrize("query, expected", [
    ({"registered_from": "2026-05-15", "registered_to": "2026-06-30"}, ["=もみじ商会", "さくら運輸", "ヒマワリ工業株式会社"]),
    ({"registered_to": "2026-04-01"}, ["株式会社サクラ"]),  # the whole last day, in the vendor's time zone
    ({"close_from": "2026-09-30", "close_to": "2026-10-15"}, ["さくら運輸", "株式会社サクラ"]),
    ({"close_from": "2027-01-01"}, ["=もみじ商会", "キク物産"]),
])
def test_it_filters_by_registration_and_expected_close_dates(world, query, expected):
    assert _customers(world.console(world.channel_manager).get(URL, query)) == expected


def test_the_filters_combine_and_the_summary_and_partner_table_reflect_them(world):
    client = world.console(world.channel_manager)
    response = client.get(URL, {"customer": "さくら", "owner": world.channel_manager.pk, "stage": "approved",
                                "close_to": "2026-12-31"})
    assert _customers(response) == ["株式会社サクラ"]
    counts = {row.stage: row.count for row in response.context["summary"]}
    assert counts["approved"] == 1 and sum(counts.values()) == 1
    assert [row["partner_id"] for row in response.context["by_partner"]] == [world.partner.pk]
    unfiltered = {row["partner_id"]: row for row in client.get(URL).context["by_partner"]}
    assert set(unfiltered) == {world.partner.pk, world.other_partner.pk}
    assert unfiltered[world.partner.pk]["won_amount"] == 850_000


@pytest.mark.parametrize("query, name", [
    ("?registered_from=2026-13-01", "registered_from"),
    ("?registered_from=0001-01-01", "registered_from"),
    ("?close_to=9999-12-31", "close_to"),
    ("?registered_from=2026-05-02&registered_to=2026-05-01", "registered_to"),
    ("?close_from=2026-05-02&close_to=2026-05-01", "close_to"),
    ("?stage=bogus", "stage"),
    ("?owner=%C2%B2", "owner"),
    ("?owner=99999999", "owner"),
    ("?partner=%C2%B2", "partner"),
    ("?partner=99999999999999999999", "partner"),
    ("?partner=987654321", "partner"),
    ("?customer=" + "x" * 101, "customer"),
    ("?partner_name=" + "%E3%81%82" * 101, "partner_name"),
])
def test_bad_filters_are_refused_naming_the_parameter(world, query, name):
    client = world.console(world.channel_manager)
    for url in (URL, EXPORT):  # the export sends the manager to the page that says what is wrong
        response = client.get(url + query, follow=True)
        assert response.status_code == 400 and response.redirect_chain in ([], [(URL + query, 302)]), url
        assert f"「{name}」" in response.content.decode()
    fragment = client.get(URL + query, HTTP_HX_REQUEST="true")  # htmx swaps a 200 only
    assert fragment.status_code == 200 and f"「{name}」" in fragment.content.decode()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert f"“{name}”" in client.get(URL + query).content.decode()


def test_the_pages_and_the_htmx_refresh_keep_the_filters(world):
    with tenant_context(world.tenant):
        DealRegistration.objects.bulk_create(
            DealRegistration(partner=world.partner, customer_name=f"株式会社サクラ{n:02d}", name_key=f"s{n}",
                             amount=1000, stage="approved", expected_close=date(2027, 1, 1)) for n in range(55))
    client = world.console(world.channel_manager)
    query = f"customer=%E3%81%95%E3%81%8F%E3%82%89&partner={world.partner.pk}&stage=approved"
    first = client.get(f"{URL}?{query}")
    assert first.context["page"].paginator.count == 56 and len(first.context["page"]) == 50
    page = first.content.decode()
    assert f"?{query.replace('&', '&amp;')}&amp;page=2" in page  # the next page keeps them
    assert f'href="{EXPORT}?{query.replace("&", "&amp;")}"' in page  # and the export
    second = client.get(f"{URL}?{query}&page=2")
    assert len(second.context["page"]) == 6
    fragment = client.get(f"{URL}?{query}&page=2", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and "page=1" in body and 'hx-swap-oob="true"' in body
    assert fragment["HX-Push-Url"] == f"{URL}?{query}&page=2"  # the address bar as the links write it
    messy = client.get(f"{URL}?partner=&customer=%E3%81%95%E3%81%8F%E3%82%89&owner=&stage=approved&close_to=",
                       HTTP_HX_REQUEST="true")
    assert messy["HX-Push-Url"] == f"{URL}?customer=%E3%81%95%E3%81%8F%E3%82%89&stage=approved"
    assert fragment["Vary"] == "HX-Request, Cookie" or "HX-Request" in fragment["Vary"]


def test_the_page_asks_the_same_number_of_queries_for_5_deals_as_for_50(world):
    client = world.console(world.channel_manager)
    query = {"customer": "さくら", "owner": world.channel_manager.pk, "stage": ["approved", "won"]}

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, query).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        with tenant_context(world.tenant):
            for i in range(n):
                partner = PartnerFactory(owner=world.channel_manager)
                _deal(partner, f"さくら{i}商店{partner.pk}", stage="won", won_amount=10)

    add(4)
    client.get(URL, query)  # caches (the owner choices, the vendor) are warm from here on
    few = count()
    add(45)
    many = count()
    assert few == many, (few, many)
    with tenant_context(world.tenant):
        assert DealRegistration.objects.filter(search_key__contains="サクラ").count() >= 50


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8 Japanese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_csv_is_the_filtered_pipeline_as_data_with_translated_headers(world):
    client = world.console(world.channel_manager)
    response = client.get(EXPORT, {"partner": world.partner.pk, "stage": ["approved", "won", "proposal"]})
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="pipeline-')
    header, *rows = _rows(response)
    assert header[1:8] == ["顧客企業", "法人番号", "Webドメイン", "パートナー", "担当者", "ステージ", "金額（¥）"]
    by_customer = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_customer) == {"株式会社サクラ", "ヒマワリ工業株式会社", "'=もみじ商会"}  # a formula is escaped
    won = by_customer["ヒマワリ工業株式会社"]
    assert (won["ステージ"], won["金額（¥）"], won["受注金額（¥）"], won["受注日"]) == ("受注", "900000", "850000", "2026-08-01")
    assert won[header[0]] == str(world.deals["himawari"].pk)
    sakura = by_customer["株式会社サクラ"]
    assert sakura["受注予定日"] == "2026-09-30" and sakura["法人番号"] == '="0123456789012"'
    assert sakura["登録日時"] == "2026-04-01 10:00:00" and sakura["担当者"] == str(world.channel_manager)

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _rows(client.get(EXPORT, {"customer": "ｻｸﾗ"}))
    assert english[0][:3] == ["Deal ID", "Customer company", "Corporate number"]
    assert sorted(row[1] for row in english[1:]) == ["さくら運輸", "株式会社サクラ"]


def test_a_large_export_goes_to_the_worker_with_the_filters(world, settings):
    client = world.console(world.channel_manager)
    query = {"customer": "さくら", "registered_from": "2026-05-01"}
    settings.KYOSO_EXPORT_INLINE_ROWS = 2000
    inline = b"".join(client.get(EXPORT, query).streaming_content)
    settings.KYOSO_EXPORT_INLINE_ROWS = 0
    response = client.get(EXPORT, query)
    assert response.status_code == 302 and response["Location"].startswith("/exports/")
    job_id = int(response["Location"].split("/")[2])
    with tenant_context(world.tenant):
        job = export_services.job_run(job_id)
        assert (job.kind, job.status, job.total) == ("deals.pipeline", ExportJob.Status.DONE, 1)
        with job.file.open("rb") as handle:
            assert handle.read() == inline
    assert "さくら運輸".encode() in inline and "株式会社サクラ".encode() not in inline


def test_partner_users_never_reach_the_pipeline_or_its_export(world):
    for user in (world.partner_admin, world.partner_rep):
        console = world.console(user)
        assert console.get(URL).status_code == 403
        assert console.get(EXPORT).status_code == 403
        assert world.portal(user).get(URL).status_code == 404
        assert world.portal(user).get(EXPORT).status_code == 404
    anonymous = world.console().get(EXPORT)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert world.console(world.channel_manager).post(URL).status_code == 405


def test_the_search_key_of_a_filter_is_the_matchers(world):
    with tenant_context(world.tenant):
        keys = {search_query(text).key for text in ("ｻｸﾗ", "さくら", "サクラ", "株式会社サクラ")}
    assert keys == {"サクラ"}
