"""The pages `./kyoso bench web` measures keep their query budgets, and the per-request look-ups they no
longer make (the vendor behind the host, the session row, the partner membership) come back from the
cache exactly as the database has them, also right after a vendor or its domains change."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import schema_context, tenant_context

from deals.models import DealRegistration
from partners.selectors import partner_for_user
from prm.tenancy.lookups import domain_names, vendor_for_host
from prm.tenancy.models import Domain
from prm.tenancy.urls import site_url
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _queries(client, path: str, **kwargs) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path, kwargs) if kwargs else client.get(path)
    return [query["sql"] for query in captured.captured_queries], response


def test_it_finds_the_vendor_of_a_host_in_the_cache_after_the_first_request(people_a):
    client = people_a.console(people_a.channel_manager)
    from prm.tenancy.lookups import forget

    forget(hostnames=[client.defaults["HTTP_HOST"]])  # as if never visited
    first, response = _queries(client, "/partners/")
    assert response.status_code == 200
    assert any("tenancy_domain" in sql for sql in first)
    again, response = _queries(client, "/partners/")
    assert response.status_code == 200
    assert not any("tenancy_domain" in sql for sql in again)
    assert not any("django_session" in sql for sql in again)  # the session is read from the cache too
    assert not any(sql.startswith("DECLARE") for sql in again)  # the owner filter's staff in one plain query


def test_it_serves_a_changed_vendor_setting_on_the_next_request(people_a, tenant_a):
    host = tenant_a.domain_for("console").domain
    assert vendor_for_host(host).time_zone == "Asia/Tokyo"
    with schema_context("public"):
        tenant_a.time_zone = "Europe/Berlin"
        tenant_a.brand_colour = "#123456"
        tenant_a.save(update_fields=["time_zone", "brand_colour"])
    cached = vendor_for_host(host)
    assert (cached.time_zone, cached.brand_colour, cached.site_kind) == ("Europe/Berlin", "#123456", "console")


def test_it_follows_a_renamed_domain_and_a_new_one(tenant_a):
    with schema_context("public"):
        domain = Domain.objects.get(tenant=tenant_a, kind=Domain.Kind.PORTAL)
        old = domain.domain
        assert vendor_for_host(old).pk == tenant_a.pk
        assert domain_names(tenant_a)["portal"] == old
        with pytest.raises(Domain.DoesNotExist):
            vendor_for_host("partners.renamed.localhost")  # remembered as unknown
        domain.domain = "partners.renamed.localhost"
        domain.save()
        with pytest.raises(Domain.DoesNotExist):
            vendor_for_host(old)
        renamed = vendor_for_host("partners.renamed.localhost")
    assert (renamed.pk, renamed.site_kind) == (tenant_a.pk, "portal")
    assert site_url(tenant_a, "portal", "/deals/") == site_url(tenant_a, "portal", "/").rstrip("/") + "/deals/"
    assert "partners.renamed.localhost" in site_url(tenant_a, "portal")


def test_it_forgets_the_domains_of_a_deleted_domain_row(tenant_a):
    with schema_context("public"):
        extra = Domain.objects.create(tenant=tenant_a, domain="extra.alpha.localhost", kind=Domain.Kind.CONSOLE)
        assert vendor_for_host("extra.alpha.localhost").pk == tenant_a.pk
        extra.delete()
        with pytest.raises(Domain.DoesNotExist):
            vendor_for_host("extra.alpha.localhost")


def test_an_unknown_host_still_gets_the_unknown_host_page_twice(people_a):
    from django.test import Client

    for _ in range(2):
        response = Client(HTTP_HOST="nobody.localhost").get("/")
        assert response.status_code == 404


def test_partner_for_user_reads_membership_and_partner_in_one_query(people_a, django_assert_num_queries):
    from prm.accounts.models import User

    with tenant_context(people_a.tenant):
        rep = User.objects.get(pk=people_a.partner_rep.pk)
        staff = User.objects.get(pk=people_a.channel_manager.pk)
        with django_assert_num_queries(1):
            assert partner_for_user(rep) == people_a.partner
            assert partner_for_user(rep) == people_a.partner
            assert rep.partner_membership.user is rep
        with django_assert_num_queries(1):
            assert partner_for_user(staff) is None
            assert partner_for_user(staff) is None


# The budgets: what each page needs with the host and session cached. Both grow with features, not
# with data; 10,000 partners or 1,000,000 registrations add no query.
# deal registration 23 (was 29): with the webhook outbox row; the contact signal takes no savepoint of its own,
# the customer's key locks are taken in one round trip, the rep's contact comes with the membership, the staff's
# and the rep's notifications are made together; a vendor's first registration also makes its deal settings
# (4 statements, 1 for every later one).
# portal home 16 (was 19): its badges are computed live through the figure owners (4: the attendance streak
# joins the membership in its statement); the team, checklist and contact stages in 2; the rep's contact comes
# with the membership.
# partner detail 30 (was 56, 12 before the 360 sections): the header and sections
# each cost a fixed number from their owners, most of them plain statements: the tier and its progress 2 (the
# partner's status and the active programmes in one), and
# only the next tier's requirements' figures (none for an entry tier without requirements; programs.metrics
# computes just the keys asked for), deals 3, payouts 2, MDF 4 (the tier's benefits are not read again),
# certifications and content engagement 4, the merged timeline one per source (5), the health score 1 (read once
# for the header and the card); the panels render without the request's context processors (one fewer); 25 of the
# 30 go to PostgreSQL in one round trip (prm.reads.resolve: tests/partners/test_partner360.py). A
# partner with a health score (its card's trend and actions), claimed MDF (the ROI's revenue) and a tier whose
# next one asks for four figures costs 41 (was 68): equal with little or much data
# (tests/partners/test_partner360.py).
# console home 19: its figures and one query per work-inbox list (tests/insights/test_home_inbox.py).
# partner list 6: the tier filter's options (programs' tiers) once, however often the form walks them; the
# tier and health columns and the contact counts are read in the statement of the page's rows
# (tests/partners/test_partner_list_columns.py).
BUDGETS = {"partner list": 6, "partner detail": 30, "portal home": 16, "deal registration": 23, "console home": 19}


def test_the_partner_list_stays_within_its_query_budget(people_a, django_assert_max_num_queries):
    with tenant_context(people_a.tenant):
        for n in range(60):
            # Its own kana: the list is in kana order, and the factory's numbered kana (テストパートナー100 before
            # テストパートナー95) would put the first one on a later page after other tests made partners.
            PartnerFactory(name=f"予算テスト{n:02d}", name_kana=f"ヨサンテスト{n:02d}", owner=people_a.channel_manager)
    client = people_a.console(people_a.channel_manager)
    assert client.get("/partners/").status_code == 200  # fills the host and session caches
    with django_assert_max_num_queries(BUDGETS["partner list"]):
        response = client.get("/partners/")
    assert response.status_code == 200
    assert "予算テスト00" in response.content.decode()


def test_the_partner_detail_stays_within_its_query_budget(people_a, django_assert_max_num_queries):
    client = people_a.console(people_a.channel_manager)
    path = f"/partners/{people_a.partner.pk}/"
    assert client.get(path).status_code == 200
    with django_assert_max_num_queries(BUDGETS["partner detail"]):
        response = client.get(path)
    assert response.status_code == 200
    assert people_a.partner.name in response.content.decode()


def test_the_portal_home_stays_within_its_query_budget(people_a, django_assert_max_num_queries):
    client = people_a.portal(people_a.partner_rep)
    assert client.get("/").status_code == 200
    with django_assert_max_num_queries(BUDGETS["portal home"]):
        response = client.get("/")
    assert response.status_code == 200


def test_the_console_home_stays_within_its_query_budget(people_a, django_assert_max_num_queries):
    client = people_a.console(people_a.channel_manager)
    assert client.get("/").status_code == 200
    for path in ("/", "/?scope=all"):
        with django_assert_max_num_queries(BUDGETS["console home"]):
            response = client.get(path)
        assert response.status_code == 200


def test_a_deal_registration_stays_within_its_query_budget(people_a, django_assert_max_num_queries):
    client = people_a.portal(people_a.partner_rep)
    assert client.get("/").status_code == 200
    form = {"amount": "500000", "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat(),
            **{role: "partner" for role in ("role_lead", "role_proposal", "role_contract", "role_billing",
                                            "role_support")}}
    with django_assert_max_num_queries(BUDGETS["deal registration"]):
        response = client.post("/deals/new/", {**form, "customer_name": "株式会社予算", "web_domain": "yosan.co.jp"})
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        deal = DealRegistration.objects.get(customer_name="株式会社予算")
    assert deal.partner_id == people_a.partner.pk
    assert response["Location"] == f"/deals/{deal.pk}/"


def _select_cases():
    from django import forms
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    class Choices(forms.Form):
        plain = forms.ChoiceField(choices=[("", "---------"), ("13", "東京都"), ("27", "大阪府")])
        escaped = forms.ChoiceField(choices=[('a"<b>&', 'R&D <部門> "x"'), (5, 5)], required=False)
        grouped = forms.ChoiceField(choices=[("東日本", [("13", "東京都"), ("01", "北海道")]),
                                             ("西日本", [("27", "大阪府")]), ("x", "その他")])
        lazy = forms.ChoiceField(choices=[("ja", gettext_lazy("Japanese")), ("en", gettext_lazy("English"))])
        safe = forms.ChoiceField(choices=[(mark_safe("<b>"), mark_safe("<i>safe</i>"))])
        multiple = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")], required=False)
        boolean = forms.NullBooleanField()
        attrs = forms.ChoiceField(choices=[("1", "一")], widget=forms.Select(attrs={
            "class": "form-select kyoso-customer", "disabled": True, "hidden": False, "data-x": 'a"b', "hx-get": "/p/?a=1&b=2"}))

    return Choices, [{}, {"plain": "27", "escaped": 'a"<b>&', "grouped": "01", "lazy": "en", "multiple": ["a", "c"],
                          "boolean": "true", "attrs": "1"}]


def test_the_select_renderer_writes_what_django_templates_write():
    from django.forms.renderers import DjangoTemplates

    from prm.forms_renderer import FastWidgetRenderer, _select

    Choices, datas = _select_cases()
    fast, django = FastWidgetRenderer(), DjangoTemplates()
    compared = 0
    for data in datas:
        form = Choices(data or None)
        for field in form:
            for attrs in (None, {"class": "form-select is-invalid"}):
                widget = field.field.widget
                context = widget.get_context(field.html_name, field.value(), {**field.build_widget_attrs(attrs or {}),
                                                                               "id": field.auto_id})
                expected = django.render(widget.template_name, context)
                assert fast.render(widget.template_name, context) == expected, (field.name, data)
                compared += _select(context["widget"]) is not None  # written in Python, not the fallback
    assert compared == 2 * 2 * 7  # all but "escaped" (a number as a label goes to the template) in Python


def test_the_input_and_textarea_renderer_writes_what_django_templates_write():
    """Every input type and the textarea, bound and not, with escaped, safe, lazy, empty and missing values and
    attributes that are True, False, numbers and text, in both languages: byte for byte what Django's templates
    write. A widget whose value is not text (the template would localise it) is left to the templates."""
    from decimal import Decimal

    from django import forms
    from django.forms.renderers import DjangoTemplates
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from prm.forms_renderer import INPUTS, TEXTAREA, FastWidgetRenderer, _input, _textarea

    class NumberArea(forms.Textarea):
        def format_value(self, value):
            return None if value in (None, "") else int(value)  # a number reaches the template as it is

    class Fields(forms.Form):
        text = forms.CharField(max_length=5, widget=forms.TextInput(attrs={
            "placeholder": gettext_lazy("Japanese"), "autofocus": True, "hidden": False, "data-x": 'a"<b>&'}))
        number = forms.DecimalField(min_value=Decimal("-1.5"), max_value=10**12, decimal_places=2)
        localised = forms.IntegerField(localize=True, required=False)
        email = forms.EmailField(required=False)
        url = forms.URLField(required=False, assume_scheme="https")
        phone = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
        search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
        password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
        secret = forms.CharField(required=False, widget=forms.PasswordInput)
        hidden = forms.CharField(required=False, widget=forms.HiddenInput, initial=mark_safe("<b>safe</b>"))
        day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), initial=date(2026, 4, 1))
        moment = forms.DateTimeField(required=False, initial=datetime(2026, 4, 1, 9, 30))
        clock = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time", "step": 60}))
        colour = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "color"}))
        tick = forms.BooleanField(required=False)
        ticked = forms.BooleanField(required=False, initial=True)
        upload = forms.FileField(required=False, widget=forms.FileInput)
        note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
                               initial="一行目\n<二行目> & \"三\"")
        empty_note = forms.CharField(required=False, widget=forms.Textarea)
        zero_note = forms.IntegerField(required=False, widget=NumberArea, initial=1234567)

    django, fast = DjangoTemplates(), FastWidgetRenderer()
    written, left = set(), set()
    datas = [None, {"text": "長すぎる<名前>", "number": "1234.5", "localised": "1234567", "email": "a&b@example.jp",
                    "url": "example.jp/?a=1&b=2", "phone": "03-1234-5678", "password": "p\"w<", "secret": "x",
                    "hidden": "<i>", "day": "2026-13-01", "moment": "2026-04-01 09:30", "clock": "09:30",
                    "colour": "#ff0000", "tick": "on", "note": "", "zero_note": "0"}]
    for data in datas:
        for language in ("ja", "en"):
            with translation.override(language):
                form = Fields(data)
                for field in form:
                    widget = field.field.widget
                    for attrs in (None, {"class": "form-control is-invalid"}):
                        context = widget.get_context(field.html_name, field.value(),
                                                     {**field.build_widget_attrs(attrs or {}), "id": field.auto_id})
                        expected = django.render(widget.template_name, context)
                        assert fast.render(widget.template_name, context) == expected, (field.name, data, language)
                        python = _textarea if widget.template_name == TEXTAREA else _input
                        assert widget.template_name in INPUTS | {TEXTAREA}, field.name
                        (written if python(context["widget"]) is not None else left).add(field.name)
                    assert field.as_widget() == Fields(data, renderer=DjangoTemplates())[field.name].as_widget()
    assert left == {"zero_note"}
    assert written == {field.name for field in Fields()} - left
    assert INPUTS == {f"django/forms/widgets/{name}.html" for name in (
        "text", "number", "email", "url", "tel", "search", "password", "hidden", "date", "datetime", "time", "color",
        "checkbox", "file")}


def test_the_lists_of_checkboxes_and_radio_buttons_are_written_as_django_templates_write_them():
    """checkbox_select.html and radio.html (multiple_input.html around an option template per choice), and one
    choice drawn on its own (`{{ radio.tag }}`, `{{ radio }}`): grouped and not, with and without an id or a class,
    escaped, safe and lazy labels, numbers as values, chosen and not; a number as a label is left to the templates."""
    from django import forms
    from django.forms.renderers import DjangoTemplates
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from prm.forms_renderer import LIST_OPTIONS, LISTS, FastWidgetRenderer, _list, _list_option

    class Lists(forms.Form):
        ticks = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, choices=[
            ("13", "東京都"), ('a"<b>&', 'R&D <部門> "x"'), ("safe", mark_safe("<i>safe</i>")), (5, "五")])
        grouped = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple(
            attrs={"class": "kyoso-columns", "data-x": "1"}), choices=[
            ("東日本", [("13", "東京都"), ("01", "北海道")]), (gettext_lazy("English"), [("27", "大阪府")]), ("x", "他")])
        choice = forms.ChoiceField(widget=forms.RadioSelect, choices=[
            ("ja", gettext_lazy("Japanese")), ("en", gettext_lazy("English")), ("", "—")])
        numbered = forms.TypedChoiceField(coerce=int, required=False, widget=forms.RadioSelect,
                                          choices=[(1, "一"), (2, "二")])
        counted = forms.ChoiceField(required=False, widget=forms.RadioSelect, choices=[("1", 1), ("2", 2)])

    django, fast = DjangoTemplates(), FastWidgetRenderer()
    written, left = set(), set()
    for data in (None, {"ticks": ["13", 'a"<b>&', "5"], "grouped": ["01", "27"], "choice": "en", "numbered": "2",
                        "counted": "2"}, {"choice": "zz"}):
        for language in ("ja", "en"):
            with translation.override(language):
                form, plain = Lists(data), Lists(data, renderer=DjangoTemplates())
                for field in form:
                    widget = field.field.widget
                    for attrs, auto_id in ((None, True), ({"class": "form-check"}, False)):
                        built = field.build_widget_attrs(attrs or {})
                        if auto_id:
                            built["id"] = field.auto_id
                        context = widget.get_context(field.html_name, field.value(), built)
                        expected = django.render(widget.template_name, context)
                        assert fast.render(widget.template_name, context) == expected, (field.name, data, language)
                        assert widget.template_name in LISTS
                        (written if _list(context["widget"]) is not None else left).add(field.name)
                    assert field.as_widget() == plain[field.name].as_widget(), (field.name, data)
                    for mine, theirs in zip(field, plain[field.name], strict=True):
                        assert mine.template_name in LIST_OPTIONS
                        assert (mine.tag(), str(mine)) == (theirs.tag(), str(theirs)), (field.name, data)
                        context = {"widget": {**mine.data, "wrap_label": False}}
                        assert (_list_option(context["widget"]) is None) == (field.name == "counted")
    assert left == {"counted"}
    assert written == {"ticks", "grouped", "choice", "numbered"}


def test_a_tier_form_and_a_partner_form_are_written_as_django_templates_write_them(people_a):
    """The pages that made the inputs worth writing in Python (a tier's form and its requirement rows, a partner's
    form with its 47 prefectures), whole and with errors, against the same forms drawn by Django's templates."""
    from django.forms.renderers import DjangoTemplates
    from django.template.loader import render_to_string

    from partners.forms import PartnerForm
    from programs.forms import RequirementFormSet, TierForm
    from programs.models import Program, Requirement, Tier

    with tenant_context(people_a.tenant):
        program = Program.objects.create(name="描画比較制度", partner_types=["resale"])
        tier = Tier.objects.create(program=program, code="compare", name="比較<ゴールド>", rank=1,
                                   description="説明 & \"注記\"", deal_capacity=5)
        Requirement.objects.create(tier=tier, option=1, metric="won_revenue", threshold=10_000_000)
        posts = [None, {"name": "", "description": "<script>", "deal_capacity": "-1", "lead_priority": "x",
                        "mdf_allocation": "1e9", "requirements-TOTAL_FORMS": "3", "requirements-INITIAL_FORMS": "1",
                        "requirements-0-id": str(tier.requirements.get().pk), "requirements-0-option": "1",
                        "requirements-0-metric": "won_revenue", "requirements-0-threshold": "-5",
                        "requirements-1-threshold": "１２３"}]
        for data in posts:
            pages = []
            for renderer in (DjangoTemplates(), None):
                form = TierForm(data, instance=tier, renderer=renderer)
                formset = RequirementFormSet(data, instance=tier)
                if renderer:
                    formset.renderer = renderer  # before its rows are built: they take the formset's renderer
                form.is_valid()
                formset.is_valid()
                pages.append(render_to_string("programs/tier_form.html", {
                    "tier": tier, "form": form, "formset": formset, "problems": []}))
            assert pages[0] == pages[1]
            assert '<input type="number" name="requirements-0-threshold"' in pages[1]
        assert "is-invalid" in pages[1]
        for data in (None, {"name": "", "prefectures": ["13", "99"], "industries": ["it"], "website": "<x>",
                            "co_creation_benefit": "共創 & <効果>", "partner_type": "resale"}):
            forms = [PartnerForm(data, renderer=DjangoTemplates()), PartnerForm(data)]
            pages = [render_to_string("partners/partner_form.html", {"form": form, "partner": None}) for form in forms]
            assert pages[0] == pages[1]
            assert 'name="prefectures" value="13"' in pages[1]
        assert "is-invalid" in pages[1]


def test_a_plain_select_box_is_written_as_django_writes_it(people_a):
    """prm.forms_renderer.select_box (the filter forms' boxes) against Django's own widget rendering, with its
    templates: chosen values, none, one missing from the choices, lazy, escaped and numeric values, callable and
    model choices; boxes it leaves to Django (required, errors, help text, groups, attributes) are left."""
    from django import forms
    from django.forms.renderers import DjangoTemplates
    from django.utils.translation import gettext_lazy

    from partners.forms import PartnerFilterForm
    from prm.forms_renderer import FastWidgetRenderer, select_box

    class Filters(forms.Form):
        plain = forms.ChoiceField(choices=[("", "すべて"), ("13", "東京都"), ("27", "大阪府")], required=False)
        escaped = forms.ChoiceField(choices=[('a"<b>&', 'R&D <部門> "x"'), ("", "—")], required=False)
        lazy = forms.ChoiceField(choices=[("ja", gettext_lazy("Japanese")), ("en", gettext_lazy("English"))],
                                 required=False)
        numbers = forms.TypedChoiceField(choices=[(None, "—"), (1, "一"), (2, "二")], coerce=int, required=False)
        called = forms.ChoiceField(choices=lambda: [("", "—"), ("x", "エックス")], required=False)
        repeated = forms.ChoiceField(choices=[("a", "A"), ("a", "A again")], required=False)
        required = forms.ChoiceField(choices=[("", "—"), ("1", "一")])
        helped = forms.ChoiceField(choices=[("1", "一")], required=False, help_text="選んでください")
        grouped = forms.ChoiceField(choices=[("東日本", [("13", "東京都")]), ("x", "その他")], required=False)
        styled = forms.ChoiceField(choices=[("1", "一")], required=False, widget=forms.Select(attrs={"data-x": "1"}))

    class DjangoFilters(Filters):
        default_renderer = DjangoTemplates

    class Fast(Filters):
        default_renderer = FastWidgetRenderer

    written = set()
    datas = [{}, {"plain": "27", "escaped": 'a"<b>&', "lazy": "en", "numbers": "2", "called": "x", "repeated": "a",
                  "required": "1", "helped": "1", "grouped": "13"},
             {"plain": "99", "numbers": "7", "called": "y", "required": "9"}]
    for data in datas:
        for language in ("ja", "en"):
            with translation.override(language):
                fast, django = Fast(data or None), DjangoFilters(data or None)
                for field in fast:
                    html = select_box(field, "form-select")
                    if html is not None:
                        written.add(field.name)
                        assert html == django[field.name].as_widget(attrs={"class": "form-select"}), (field.name, data)
    assert written == {"plain", "escaped", "lazy", "numbers", "called", "repeated"}
    # The partner list's filters are written so: the tier and health options of their owners and the staff too.
    with tenant_context(people_a.tenant):
        data = {"stage": "retention", "owner": str(people_a.channel_manager.pk)}
        form, django = PartnerFilterForm(data), PartnerFilterForm(data, renderer=DjangoTemplates())
        assert form.is_valid() and django.is_valid(), form.errors
        boxes = {name: select_box(form[name], "form-select")
                 for name in ("partner_type", "stage", "prefecture", "tier", "health", "owner")}
        assert boxes == {name: django[name].as_widget(attrs={"class": "form-select"}) for name in boxes}
    assert '<option value="retention" selected>' in str(boxes["stage"])
    assert f'<option value="{people_a.channel_manager.pk}" selected>' in str(boxes["owner"])


def test_a_field_block_is_what_the_field_template_writes():
    """prm.templatetags.kyoso_forms.field_block against the include it replaces, for every kind of field: text,
    select boxes (plain and required), with errors, help text, a safe or escaped label, checkboxes and lists."""
    from django import forms
    from django.template import Context, Template
    from django.utils.safestring import mark_safe

    class Fields(forms.Form):
        text = forms.CharField(label="名前 <&>", help_text="例: 株式会社<共創>", max_length=5)
        search = forms.CharField(label=mark_safe("<b>検索</b>"), required=False,
                                 widget=forms.TextInput(attrs={"placeholder": "会社名", "type": "search"}))
        plain = forms.ChoiceField(choices=[("", "すべて"), ("13", "東京都")], required=False)
        required = forms.ChoiceField(choices=[("", "—"), ("1", "一")])
        tick = forms.BooleanField(required=False, label="同意")
        ticks = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False,
                                          widget=forms.CheckboxSelectMultiple)
        note = forms.CharField(widget=forms.Textarea, required=False)

    include = Template('{% include "htmx/field.html" with field=field wrapper_class=wrapper %}')
    block = Template("{% load kyoso_forms %}{% field_block field wrapper %}")
    for data in (None, {"text": "長すぎる名前です", "plain": "99", "ticks": ["a"], "tick": "on"}):
        for language in ("ja", "en"):
            with translation.override(language):
                form = Fields(data)
                for field in form:
                    for wrapper in ("mb-0", ""):
                        context = {"field": field, "wrapper": wrapper}
                        assert block.render(Context(context)) == include.render(Context(context)), (field.name, data)
    assert Fields({"plain": "99"})["plain"].errors  # the errors' branch is compared too


def test_the_partner_list_counts_from_the_stage_strip_only_when_it_tells_the_total(people_a):
    from partners.models import Partner, Stage

    with tenant_context(people_a.tenant):
        for n in range(7):
            PartnerFactory(name=f"数える{n}", stage=Stage.PROSPECT if n % 2 else Stage.DORMANT)
        expected = {"": Partner.objects.count(), "prospect": Partner.objects.filter(stage=Stage.PROSPECT).count()}
    client = people_a.console(people_a.channel_manager)
    for query, total in (("", expected[""]), ("?stage=prospect", expected["prospect"]),
                         ("?stage=prospect&sort=-created", expected["prospect"]), ("?q=数える", 7),
                         ("?q=数える&stage=dormant", 4)):
        sqls, response = _queries(client, f"/partners/{query}")
        assert response.context["page"].paginator.count == total, query
        counted = any(sql.startswith('SELECT COUNT(*) AS "__count" FROM "partners_partner"') for sql in sqls)
        assert counted == ("q=" in query), query


def test_it_serves_pages_from_the_database_when_the_cache_is_down(people_a, tenant_a, settings, caplog):
    """The cached look-ups only save time: with the platform cache unreachable the vendor is read from the
    database and the page is served, and the outage is logged."""
    host = tenant_a.domain_for("console").domain
    settings.CACHES = {**settings.CACHES, "platform": {**settings.CACHES["platform"],
                                                       "LOCATION": "redis://127.0.0.1:1/0"}}
    from django.core.cache import caches

    assert caches["platform"]._cache._servers == ["redis://127.0.0.1:1/0"]
    with CaptureQueriesContext(connection) as captured:
        vendor = vendor_for_host(host)
    assert (vendor.pk, vendor.site_kind) == (tenant_a.pk, "console")
    assert any("tenancy_domain" in query["sql"] for query in captured.captured_queries)
    assert people_a.console(people_a.channel_manager).get("/partners/").status_code == 200
    assert domain_names(tenant_a)["console"] == host
    with schema_context("public"):
        tenant_a.save(update_fields=["time_zone"])  # forgetting the entries does not fail the write
    assert "platform cache unreachable" in caplog.text


def test_the_owner_filter_lists_the_tenants_staff_from_the_cache_and_follows_changes(people_a, people_b):
    from tests.factories import UserFactory

    client = people_a.console(people_a.channel_manager)
    assert client.get("/partners/").status_code == 200
    staff_query = 'FROM "accounts_user" WHERE ("accounts_user"."is_active"'
    again, response = _queries(client, "/partners/")
    assert not any(staff_query in sql for sql in again)
    html = response.content.decode()
    assert f'<option value="{people_a.channel_manager.pk}">{people_a.channel_manager}</option>' in html
    with tenant_context(people_b.tenant):
        UserFactory(role="channel_manager", full_name="ブラボー 新任")
    with tenant_context(people_a.tenant):
        newcomer = UserFactory(role="channel_manager", full_name="アルファ 新任")
    connection.set_schema_to_public()
    html = client.get("/partners/").content.decode()
    assert f'<option value="{newcomer.pk}">アルファ 新任</option>' in html
    assert "ブラボー 新任" not in html  # the other tenant's staff
    with tenant_context(people_a.tenant):
        newcomer.is_active = False
        newcomer.save(update_fields=["is_active"])
    connection.set_schema_to_public()
    html = client.get("/partners/").content.decode()
    assert "アルファ 新任" not in html
    response = client.get(f"/partners/?owner={people_a.channel_manager.pk}")  # a chosen owner still validates
    assert response.status_code == 200
    assert 'selected>' in response.content.decode()


def test_the_web_benchmark_drops_only_its_own_posted_deals_in_its_own_vendor(people_a, people_b):
    """`bench web` deletes what its registration POSTs added before each server posts, so that neither server
    measures the partner with the other's deals: only deals with its customer prefix, only in its vendor."""
    from bench.web import POSTED_PREFIX, _drop_posted_registrations

    form = {"amount": "500000", "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat(),
            **{role: "partner" for role in ("role_lead", "role_proposal", "role_contract", "role_billing",
                                            "role_support")}}
    for people, name, domain in ((people_a, f"{POSTED_PREFIX}a1", "bench-a1.co.jp"),
                                 (people_a, "株式会社残る", "nokoru.co.jp"),
                                 (people_b, f"{POSTED_PREFIX}b1", "bench-b1.co.jp")):
        response = people.portal(people.partner_rep).post(
            "/deals/new/", {**form, "customer_name": name, "web_domain": domain})
        assert response.status_code == 302, response.content[:500]
    _drop_posted_registrations(people_a.tenant.schema_name)
    with tenant_context(people_a.tenant):
        assert list(DealRegistration.objects.values_list("customer_name", flat=True)) == ["株式会社残る"]
    with tenant_context(people_b.tenant):
        assert list(DealRegistration.objects.values_list("customer_name", flat=True)) == [f"{POSTED_PREFIX}b1"]
