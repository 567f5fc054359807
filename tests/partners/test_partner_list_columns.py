"""The console's partner list as a manager works in it: the tier (programs) and health (insights) columns their
owners register, the lifecycle stage, sorting by each column both ways, filtering by tier, health band and stage
with the other filters, and the order kept through htmx refreshes, pages and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from insights.health.models import HealthScore
from partners import list_columns
from partners.models import Contact, ContactStage, PartnerType, Stage
from programs.models import PartnerTier, Program, Tier
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.platform.test_figure_consistency import figures_in

# name: (kana, type, stage, tier code or None, health (score, band) or None, active contacts)
PARTNERS = {
    "A商事": ("アア", PartnerType.RESALE, Stage.ACTIVATION, "gold", (90, "healthy"), 2),
    "B販売": ("イイ", PartnerType.REFERRAL, Stage.ONBOARDING, "silver", (40, "at_risk"), 0),
    "C物産": ("ウウ", PartnerType.DISTRIBUTOR, Stage.PROSPECT, None, (10, "dormant"), 1),
    "D工業": ("エエ", PartnerType.RESALE, Stage.RETENTION, "gold", None, 0),
    "E電機": ("オオ", PartnerType.REFERRAL, Stage.DORMANT, "registered", (40, "at_risk"), 3),
}
# What each sort must show, by hand from the table above: ties by name, partners without a value last both ways.
ORDERS = {
    "name": ["A商事", "B販売", "C物産", "D工業", "E電機"],
    "-name": ["E電機", "D工業", "C物産", "B販売", "A商事"],
    "tier": ["E電機", "B販売", "A商事", "D工業", "C物産"],
    "-tier": ["A商事", "D工業", "B販売", "E電機", "C物産"],
    "health": ["C物産", "B販売", "E電機", "A商事", "D工業"],
    "-health": ["A商事", "B販売", "E電機", "C物産", "D工業"],
    "stage": ["C物産", "B販売", "A商事", "D工業", "E電機"],  # the lifecycle's order, not the alphabet's
    "-stage": ["E電機", "D工業", "A商事", "B販売", "C物産"],
    "type": ["C物産", "B販売", "E電機", "A商事", "D工業"],
    "-type": ["A商事", "D工業", "B販売", "E電機", "C物産"],
    "active": ["B販売", "D工業", "C物産", "A商事", "E電機"],
    "-active": ["E電機", "A商事", "C物産", "B販売", "D工業"],
}


def _tiers() -> dict[str, Tier]:
    program = Program.objects.create(name="一覧テスト制度", partner_types=["resale", "referral", "distributor"])
    return {code: Tier.objects.create(program=program, code=code, name=name, rank=rank)
            for rank, code, name in ((1, "registered", "レジスタード"), (2, "silver", "シルバー"), (3, "gold", "ゴールド"))}


@pytest.fixture
def listed(people_a):
    """The five partners of PARTNERS with their tiers, scores and active contacts; name → partner."""
    with tenant_context(people_a.tenant):
        tiers = _tiers()
        made = {}
        for name, (kana, partner_type, stage, tier, health, active) in PARTNERS.items():
            partner = made[name] = PartnerFactory(name=name, name_kana=kana, partner_type=partner_type, stage=stage,
                                                  owner=people_a.channel_manager if name < "C" else None)
            if tier:
                PartnerTier.objects.create(partner=partner, tier=tiers[tier])
            if health:
                HealthScore.objects.create(partner=partner, score=health[0], band=health[1])
            for _ in range(active):
                ContactFactory(partner=partner)
            Contact.objects.filter(partner=partner).update(stage=ContactStage.ACTIVE)
        return made


def _names(client, query: str, **headers) -> list[str]:
    response = client.get(f"/partners/?{query}", **headers)
    assert response.status_code == 200, response.content[:300]
    return [partner.name for partner in response.context["page"].object_list if partner.name in PARTNERS]


@pytest.mark.parametrize("sort", list(ORDERS))
def test_it_sorts_by_each_column_both_ways(people_a, listed, sort):
    client = people_a.console(people_a.channel_manager)
    assert _names(client, f"sort={sort}") == ORDERS[sort]


@pytest.mark.parametrize("sort", list(ORDERS))
def test_a_pages_rows_carry_the_values_of_the_orm_query_with_the_owners_annotations(people_a, listed, sort,
                                                                                   django_assert_num_queries):
    """The page's rows come from one fixed statement with the columns' SQL (list_columns.ColumnSQL): the same
    partners in the same order, with the annotations, contact counts, owner and parent the ORM query gives."""
    from partners.selectors.listing import PartnerFilters, PartnerPages, partner_list, with_contact_counts

    with tenant_context(people_a.tenant):
        listed["B販売"].parent = listed["A商事"]
        listed["B販売"].save(update_fields=["parent"])
        filters = PartnerFilters(sort=sort)
        with django_assert_num_queries(1):  # the owners and parents, counts and columns come with the rows
            rows = PartnerPages(filters)[0:50]
            names_shown = [(row.owner and row.owner.get_short_name(), row.parent and row.parent.name) for row in rows]
        expected = list(with_contact_counts(partner_list(filters)))
        names = ["tier_name", "tier_code", "tier_rank", "health_score", "health_band", "contact_count",
                 "active_contacts", "name", "name_kana", "partner_type", "stage", "prefectures"]
        assert [p.pk for p in rows] == [p.pk for p in expected]
        for row, partner in zip(rows, expected, strict=True):
            assert [getattr(row, name) for name in names] == [getattr(partner, name) for name in names]
        assert names_shown == [(p.owner and p.owner.get_short_name(), p.parent and p.parent.name) for p in expected]
        assert any(parent for _owner, parent in names_shown) and any(row.tier_name for row in rows)


@pytest.mark.parametrize("sort", ["name", "-tier", "health", "-active"])
def test_the_unfiltered_lists_statement_compiled_once_reads_each_vendors_own_partners(people_a, people_b, listed,
                                                                                       sort):
    """The keys statement of a list nothing filters is compiled once per process for each order and page
    (listing._whole_list_keys): the ORM's statement for it, naming no vendor, so each vendor reads its own."""
    from partners.selectors.listing import PartnerFilters, _whole_list_keys, partner_list

    with tenant_context(people_b.tenant):
        theirs = PartnerFactory(name="Z別会社", name_kana="ンン")
    for _round in range(2):
        assert _names(people_a.console(people_a.channel_manager), f"sort={sort}") == ORDERS[sort]
        other = people_b.console(people_b.channel_manager).get(f"/partners/?sort={sort}")
        shown = [partner.name for partner in other.context["page"].object_list]
        assert theirs.name in shown and not set(shown) & set(PARTNERS)
    with tenant_context(people_a.tenant):
        assert _whole_list_keys.cache_info().currsize >= 1
        assert _whole_list_keys(sort, 0, 50) == partner_list(PartnerFilters(sort=sort)).values("pk")[0:50].query.sql_with_params()


def test_partners_without_a_tier_or_score_come_last_both_ways(people_a, listed):
    client = people_a.console(people_a.channel_manager)
    for sort in ("tier", "-tier", "health", "-health"):
        listed_names = [p.name for p in client.get(f"/partners/?sort={sort}").context["page"].object_list]
        without = {people_a.partner.name, people_a.other_partner.name, "C物産" if "tier" in sort else "D工業"}
        assert set(listed_names[-3:]) == without, sort


def test_it_shows_the_tier_and_health_the_partner_page_shows(people_a, listed):
    client = people_a.console(people_a.channel_manager)
    html = client.get("/partners/").content.decode()
    for name in ("A商事", "B販売", "E電機"):
        pk = listed[name].pk
        detail = client.get(f"/partners/{pk}/").content.decode()
        tier = re.search(r'data-tier="(\w+)">([^<]+)<', detail).groups()
        assert f'data-tier="{tier[0]}">{tier[1]}<' in html
        health = [found for found in figures_in(detail) if found[1] == "health_score"]
        assert health and health[0] in figures_in(html), name
    assert 'data-tier="gold">ゴールド<' in html and "健全" in html and "要注意" in html
    # the figure is the catalogued one, with its meaning in the title
    assert f'data-figure="health_score" data-window="now" data-partner="{listed["A商事"].pk}" data-value="90"' in html


@pytest.mark.parametrize(("query", "expected"), [
    ("tier=gold", {"A商事", "D工業"}),
    ("tier=~none", {"C物産"}),
    ("health=at_risk", {"B販売", "E電機"}),
    ("health=unscored", {"D工業"}),
    ("stage=retention", {"D工業"}),
    ("tier=gold&health=healthy", {"A商事"}),
    ("tier=gold&stage=retention", {"D工業"}),
    ("health=at_risk&partner_type=referral&stage=dormant", {"E電機"}),
    ("tier=silver&q=イイ", {"B販売"}),
    ("tier=gold&q=オオ", set()),
])
def test_it_filters_by_tier_health_and_stage_with_the_other_filters(people_a, listed, query, expected):
    client = people_a.console(people_a.channel_manager)
    assert set(_names(client, query)) == expected


def test_the_no_tier_and_unscored_options_include_partners_with_nothing(people_a, listed):
    client = people_a.console(people_a.channel_manager)
    for query in ("tier=~none", "health=unscored"):
        names = {p.name for p in client.get(f"/partners/?{query}").context["page"].object_list}
        assert {people_a.partner.name, people_a.other_partner.name} <= names


def test_it_filters_by_owner_and_health_together(people_a, listed):
    client = people_a.console(people_a.channel_manager)
    assert _names(client, f"owner={people_a.channel_manager.pk}&health=at_risk") == ["B販売"]


@pytest.mark.parametrize("query", ["sort=bogus", "sort=--name", "sort=-", "sort=%E2%80%93tier", "sort=tier&sort=x"])
def test_an_unknown_sort_is_named_and_ignored(people_a, listed, query):
    response = people_a.console(people_a.channel_manager).get(f"/partners/?{query}")
    assert response.status_code == 200
    assert [p.name for p in response.context["page"].object_list if p.name in PARTNERS] == ORDERS["name"]
    html = response.content.decode()
    assert 'role="alert">並び順:' in html


@pytest.mark.parametrize("query", ["tier=no-such-tier", "health=great", "health=%3Cscript%3E", "tier=", "tier=gold&tier=x"])
def test_an_unknown_filter_value_is_named_and_the_other_filters_still_apply(people_a, listed, query):
    response = people_a.console(people_a.channel_manager).get(f"/partners/?{query}&stage=onboarding")
    assert response.status_code == 200
    assert [p.name for p in response.context["page"].object_list] == ["B販売"]
    html = response.content.decode()
    assert "<script>" not in html
    if query != "tier=":
        assert "正しく選択してください" in html  # Django's "Select a valid choice" under the field


def test_the_headings_sort_both_ways_and_keep_the_filters(people_a, listed):
    client = people_a.console(people_a.channel_manager)
    html = client.get("/partners/?tier=gold&sort=health&page=1").content.decode()
    by_key = {key: unescape(query) for query, key in re.findall(
        r'<a class="kyoso-sort[^"]*" href="\?([^"]+)" hx-get="\?[^"]+" data-sort="(\w+)"', html)}
    assert set(by_key) == {"name", "type", "stage", "tier", "health", "active"}
    assert by_key["health"] == "tier=gold&sort=-health"  # sorted by it: the next click reverses it; no page
    assert by_key["tier"] == "tier=gold&sort=tier"
    assert 'aria-sort="ascending"' in html and html.count("aria-sort=") == 1


def test_an_htmx_refresh_keeps_the_sort_in_the_form_the_headings_and_the_export_links(people_a, listed):
    client = people_a.console(people_a.channel_manager)
    partial = client.get("/partners/?sort=-health&tier=gold", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and partial.context["page"].object_list[0].name == "A商事"
    assert '<input type="hidden" name="sort" value="-health" form="partner-filter-form">' in body
    assert 'href="?sort=health&amp;tier=gold"' in body  # the heading reverses it and keeps the filter
    assert 'id="partner-exports" hx-swap-oob="true"' in body
    assert 'href="/partners/export.csv?sort=-health&amp;tier=gold"' in body
    page = client.get("/partners/?sort=-health&tier=gold").content.decode()
    assert 'id="partner-filter-form"' in page and 'hx-swap-oob' not in page
    assert 'href="/partners/export.csv?sort=-health&amp;tier=gold"' in page


def test_the_pages_keep_the_sort(people_a, listed):
    with tenant_context(people_a.tenant):
        PartnerFactory.create_batch(50)
    client = people_a.console(people_a.channel_manager)
    first = client.get("/partners/?sort=-tier").content.decode()
    assert 'href="?sort=-tier&amp;page=2"' in first
    second = client.get("/partners/?sort=-tier&page=2").context["page"].object_list
    assert len(second) == 57 - 50 and all(getattr(p, "tier_rank", None) is None for p in second)
    assert [p.name for p in client.get("/partners/?sort=-tier").context["page"].object_list[:4]] == ORDERS["-tier"][:4]


def test_the_export_follows_the_lists_filters_and_sort(people_a, listed):
    response = people_a.console(people_a.channel_manager).get("/partners/export.csv?tier=gold&sort=-name")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert [name for row in rows for name in PARTNERS if name in row] == ["D工業", "A商事"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["sort=-tier", "sort=health&tier=gold", "health=at_risk&stage=activation"])
def test_the_list_costs_the_same_queries_for_5_or_50_partners_with_tiers_and_scores(people_a, query):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        tiers = _tiers()

    def add(count: int) -> None:
        with tenant_context(people_a.tenant):
            for n, partner in enumerate(PartnerFactory.create_batch(count, owner=people_a.channel_manager)):
                PartnerTier.objects.create(partner=partner, tier=tiers["gold" if n % 2 else "silver"])
                HealthScore.objects.create(partner=partner, score=n % 100, band="at_risk" if n % 2 else "healthy")
                ContactFactory(partner=partner)

    add(5)
    client.get(f"/partners/?{query}")  # fills the caches (the bell's count, the owner filter's staff)
    few = _queries(client, f"/partners/?{query}")
    add(45)
    assert _queries(client, f"/partners/?{query}") == few


def test_the_headings_and_filters_speak_english_and_japanese(people_a, listed):
    client = people_a.console(people_a.channel_manager)
    ja = client.get("/partners/?tier=~none").content.decode()
    for label in ("ティア", "ヘルス", "ステージ", "ティアなし", "まだスコアがありません", "健全", "要注意"):
        assert label in ja, label
    client.cookies["kyoso_language"] = "en"
    en = client.get("/partners/").content.decode()
    for label in (">Tier <", ">Health <", ">Stage <", "No tier yet", "Not scored yet", ">Healthy<", ">At risk<"):
        assert label in en, label


def test_partner_users_never_see_the_list(people_a, listed):
    for user in (people_a.partner_admin, people_a.partner_rep):
        response = people_a.console(user).get("/partners/?sort=-health")
        assert response.status_code in (302, 403)
        assert "A商事" not in response.content.decode()


def test_a_column_cannot_take_a_name_the_list_uses():
    column = list_columns.column("tier")
    assert column is not None and list_columns.column("health") is not None
    with pytest.raises(ValueError):
        list_columns.register(list_columns.ListColumn(
            key="stage", label="x", annotate=column.annotate, ordering=(), options=list, filter=column.filter,
            cell=column.cell, sql=column.sql))


# The old template lines filter_fields replaced, drawn through Django's template engine: what the row must still write.
FILTER_ROW_TEMPLATE = """{% load kyoso_forms %}    <div class="col-12 col-lg-3">{% field_block form.q "mb-0" %}</div>
    <div class="col-6 col-md-4 col-lg">{% field_block form.partner_type "mb-0" %}</div>
    <div class="col-6 col-md-4 col-lg">{% field_block form.stage "mb-0" %}</div>
    {% for field in form.column_fields %}<div class="col-6 col-md-4 col-lg">{% field_block field "mb-0" %}</div>
    {% endfor %}<div class="col-6 col-md-4 col-lg">{% field_block form.owner "mb-0" %}</div>
    <div class="col-6 col-md-4 col-lg">{% field_block form.prefecture "mb-0" %}</div>
"""


def _row(form) -> str:
    from django.template import Context, Template

    return Template("{% load partners_tags %}    {% filter_fields form %}\n").render(Context({"form": form}))


def test_the_filter_row_writes_what_the_field_blocks_wrote_and_keeps_an_empty_one(people_a, listed):
    """partners_tags.filter_fields, empty and with values, in both languages, against the template it replaced; an
    empty row is drawn once per vendor and language and then looked up, a row with values is drawn every time."""
    from django.template import Context, Template
    from django.utils import translation

    from partners.forms import PartnerFilterForm
    from partners.templatetags import partners_tags

    partners_tags._empty_filters.clear()
    data = {"q": "商事", "stage": "retention", "tier": "gold", "owner": str(people_a.channel_manager.pk), "prefecture": "13"}
    with tenant_context(people_a.tenant):
        for language in ("ja", "en"):
            with translation.override(language):
                for values in (None, data):
                    expected = Template(FILTER_ROW_TEMPLATE).render(Context({"form": PartnerFilterForm(values)}))
                    assert _row(PartnerFilterForm(values)) == expected, (language, values)
                    assert _row(PartnerFilterForm(values)) == expected, (language, values)  # kept, or drawn again
                kept = partners_tags.filter_fields(PartnerFilterForm(None))
                assert partners_tags.filter_fields(PartnerFilterForm(None)) is kept  # looked up, not drawn
                assert partners_tags.filter_fields(None) is kept  # the list without a query string builds no form
        ja, en = (str(html) for html in partners_tags._empty_filters.values())
        assert len(partners_tags._empty_filters) == 2  # one a language; the rows with values were not kept
        assert '<option value="gold">ゴールド</option>' in ja and '<option value="gold">ゴールド</option>' in en
        assert ">ステージ<" in ja and ">Stage<" in en
        bound = str(partners_tags.filter_fields(PartnerFilterForm(data)))
        assert '<option value="retention" selected>' in bound and '<option value="gold" selected>' in bound
        assert f'<option value="{people_a.channel_manager.pk}" selected>' in bound
        assert 'value="商事"' in bound
        assert len(partners_tags._empty_filters) == 2


def test_an_empty_filter_row_follows_a_renamed_tier_and_new_staff_and_keeps_a_bounded_number(people_a, people_b,
                                                                                             listed, monkeypatch):
    from django.utils import translation

    from partners.forms import PartnerFilterForm
    from partners.templatetags import partners_tags
    from tests.factories import UserFactory

    partners_tags._empty_filters.clear()
    with tenant_context(people_a.tenant), translation.override("ja"):
        first = str(partners_tags.filter_fields(PartnerFilterForm(None)))
        assert '<option value="gold">ゴールド</option>' in first
        Tier.objects.filter(code="gold").update(name="ゴールドプラス")
        renamed = str(partners_tags.filter_fields(None))  # the key, read without a form, follows the rename too
        assert '<option value="gold">ゴールドプラス</option>' in renamed and ">ゴールド<" not in renamed
        newcomer = UserFactory(role="channel_manager", full_name="アルファ 新任")
        staffed = str(partners_tags.filter_fields(PartnerFilterForm(None)))
        assert f'<option value="{newcomer.pk}">アルファ 新任</option>' in staffed
        assert len(partners_tags._empty_filters) == 3
    with tenant_context(people_b.tenant), translation.override("ja"):
        other = str(partners_tags.filter_fields(PartnerFilterForm(None)))
        assert "ゴールドプラス" not in other and "アルファ 新任" not in other  # the other vendor's own tiers and staff
    assert len(partners_tags._empty_filters) == 4
    monkeypatch.setattr(partners_tags, "EMPTY_FILTERS_KEPT", 2)
    with tenant_context(people_a.tenant), translation.override("en"):
        partners_tags.filter_fields(PartnerFilterForm(None))
    assert len(partners_tags._empty_filters) == 2  # the least recently used went first
    assert list(partners_tags._empty_filters)[-1][:2] == (people_a.tenant.schema_name, "en")
