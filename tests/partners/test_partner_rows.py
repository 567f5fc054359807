"""The partner list's rows are written in Python (partners_tags.partner_rows): they must be the markup
the template loop wrote, for every kind of row, in both languages."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import set_urlconf
from django.utils import translation
from django_tenants.utils import tenant_context

from partners import list_columns, selectors
from partners.models import Partner, PartnerType, Stage
from partners.templatetags.partners_tags import partner_rows
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

# The loop the tag replaced, kept here as the reference.
TEMPLATE_LOOP = Template("""{% load i18n kyoso_format partners_tags %}      {% for partner in page %}
        <tr>
          <td>
            <a class="fw-semibold text-decoration-none" href="{% url 'partner_detail' partner.pk %}">{{ partner.name }}</a>
            <div class="small text-muted">{{ partner.name_kana }}{% if partner.parent %} · {% blocktrans with parent=partner.parent.name %}under {{ parent }}{% endblocktrans %}{% endif %}</div>
          </td>
          <td>{{ partner.get_partner_type_display }}</td>
          <td><span class="badge text-bg-{{ partner.stage|stage_colour }}">{{ partner.get_stage_display }}</span></td>
{% for cell in partner.cells %}          <td>{{ cell }}</td>
{% endfor %}          <td>{{ partner.owner.get_short_name|default:"—" }}</td>
          <td class="small">{{ partner.prefectures|prefecture_names|truncatechars:24|default:"—" }}</td>
          <td class="text-end">{{ partner.contact_count|number }}</td>
          <td class="text-end">{{ partner.active_contacts|number }}</td>
        </tr>
      {% endfor %}""")


def test_the_rows_are_the_markup_the_template_loop_wrote(people_a):
    set_urlconf("prm.urls_console")
    try:
        with tenant_context(people_a.tenant):
            parent = PartnerFactory(name='親 <会社> & "R&D"', partner_type=PartnerType.DISTRIBUTOR)
            PartnerFactory(name="<script>alert(1)</script>", name_kana="", parent=parent, stage=Stage.DORMANT,
                           owner=people_a.channel_manager, prefectures=["13", "27", "01", "47", "14", "23"])
            PartnerFactory(name="オーナーなし", owner=None, prefectures=[], stage=Stage.PROSPECT,
                           partner_type=PartnerType.REFERRAL)
            partners = selectors.attach_contact_counts(selectors.partner_list().filter(
                pk__in=Partner.objects.values("pk")))
            assert len(partners) >= 3
            for language in ("ja", "en"):
                with translation.override(language):
                    for partner in partners:  # the tier and health cells are their owners' (tested with the list)
                        partner.cells = [column.cell(partner) for column in list_columns.columns()]
                    expected = TEMPLATE_LOOP.render(Context({"page": partners}))
                    assert "      " + partner_rows(partners) == expected, language
                    assert "&lt;script&gt;" in expected and "<script>" not in expected
                    # The list's own rows (listing.PartnerRow, not model instances) write the same markup.
                    rows = selectors.PartnerPages(selectors.PartnerFilters())[0:50]
                    assert [row.pk for row in rows] == [partner.pk for partner in partners]
                    assert "      " + partner_rows(rows) == expected, language
    finally:
        set_urlconf(None)


def test_the_list_page_shows_the_rows_and_the_empty_state(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="行のある会社", owner=people_a.channel_manager)
    client = people_a.console(people_a.channel_manager)
    page = client.get("/partners/").content.decode()
    empty = client.get("/partners/?q=存在しない会社名").content.decode()
    assert "行のある会社" in page and "条件に一致するパートナーはありません。" not in page
    assert "条件に一致するパートナーはありません。" in empty and "行のある会社" not in empty


def test_the_list_without_a_query_string_draws_the_empty_filters_and_marks_the_chosen_stage_otherwise(people_a):
    """Without a query string the list builds no filter form: the filter row is an empty form's, no stage button is
    filled; a chosen stage fills its button and selects its option, and a stage the list does not know fills none."""
    from partners.forms import PartnerFilterForm
    from partners.templatetags.partners_tags import _filter_fields

    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant), translation.override("ja"):
        empty_row = str(_filter_fields(PartnerFilterForm()))
    plain = client.get("/partners/").content.decode()
    assert empty_row in plain
    assert "btn-sm btn-success" not in plain and 'href="?stage=retention"' in plain
    chosen = client.get("/partners/?stage=retention").content.decode()
    assert 'class="btn btn-sm btn-success" href="?stage=retention"' in chosen
    assert '<option value="retention" selected>' in chosen and empty_row not in chosen
    unknown = client.get("/partners/?stage=nonsense").content.decode()
    assert "btn-sm btn-success" not in unknown and "btn-sm btn-outline-success" in unknown


def test_the_detail_counts_contact_stages_from_the_contacts_it_shows(people_a):
    from partners.models import Contact, ContactStage
    from tests.partners.factories import ContactFactory

    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="段階を数える会社")
        for n, _stage in enumerate([ContactStage.POTENTIAL, ContactStage.ACTIVE, ContactStage.ACTIVE, ContactStage.VALID]):
            ContactFactory(partner=partner, full_name=f"担当{n}", email=f"c{n}@dankai.example")
        Contact.objects.filter(partner=partner, full_name__in=["担当1", "担当2"]).update(stage=ContactStage.ACTIVE)
        Contact.objects.filter(partner=partner, full_name="担当3").update(stage=ContactStage.VALID)
        expected = selectors.contact_stage_rows(partner)
    response = people_a.console(people_a.channel_manager).get(f"/partners/{partner.pk}/")
    assert response.status_code == 200
    assert response.context["contact_stages"] == expected
    assert dict((stage, n) for stage, _label, n in expected) == {"potential": 1, "valid": 1, "trained": 0, "active": 2}


HEADINGS_LOOP = Template("""{% for heading in headings %}<th{% if heading.end %} class="text-end"{% endif %}{% if heading.direction %} aria-sort="{{ heading.direction }}"{% endif %}>{% if heading.sort %}<a class="kyoso-sort text-reset text-decoration-none text-nowrap" href="?{{ heading.query }}" hx-get="?{{ heading.query }}" data-sort="{{ heading.sort }}">{{ heading.label }} <i class="bi {% if heading.direction == 'ascending' %}bi-caret-up-fill{% elif heading.direction == 'descending' %}bi-caret-down-fill{% else %}bi-chevron-expand text-muted{% endif %}" aria-hidden="true"></i></a>{% else %}{{ heading.label }}{% endif %}</th>{% endfor %}""")


@pytest.mark.parametrize("sort", ["name", "-name", "tier", "-health", "active", "stage"])
def test_the_headings_are_the_markup_the_template_loop_wrote(sort):
    from django.test import RequestFactory

    from partners.templatetags.partners_tags import partner_headings
    from partners.views.partners import _headings

    request = RequestFactory().get("/partners/", {"q": 'R&D <"部門">', "stage": "retention", "sort": sort, "page": "2"})
    for language in ("ja", "en"):
        with translation.override(language):
            headings = _headings(request, sort)
            expected = HEADINGS_LOOP.render(Context({"headings": headings}))
            assert partner_headings(headings) == expected, language
            assert "aria-sort" in expected and "&amp;" in expected and 'class="text-end"' in expected


STRIP_LOOP = Template("""{% load partners_tags kyoso_format %}{% for code, label in stages %}
  <a class="btn btn-sm {% if chosen == code %}btn-{{ code|stage_colour }}{% else %}btn-outline-{{ code|stage_colour }}{% endif %}" href="?stage={{ code }}">{{ label }} <span class="badge text-bg-light">{% with stage_counts|get_item:code as n %}{{ n|number }}{% endwith %}</span></a>
  {% endfor %}""")


def test_the_stage_strip_is_the_markup_the_template_loop_wrote():
    from partners.templatetags.partners_tags import stage_strip

    counts = {stage: n * 1500 for n, stage in enumerate(Stage.values)}
    for language in ("ja", "en"):
        with translation.override(language):
            for chosen in (None, "", Stage.RETENTION, "no-such-stage"):
                for stage_counts in (counts, {}):
                    context = {"stages": Stage.choices, "stage_counts": stage_counts, "chosen": chosen}
                    expected = STRIP_LOOP.render(Context(context))
                    assert stage_strip(Stage.choices, stage_counts, chosen) == expected, (language, chosen)
    chosen_strip = stage_strip(Stage.choices, counts, "retention")
    assert 'class="btn btn-sm btn-success" href="?stage=retention"' in chosen_strip and ">1,500<" in chosen_strip
