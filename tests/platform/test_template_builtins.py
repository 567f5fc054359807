"""`{% translate %}` and `{% url %}` as this project installs them (prm.translate_tag, prm.templatetags.kyoso_builtins) render
exactly what Django's own tags render, for every form of the tags, in both languages; and the addresses they keep are
kept apart by everything that decides an address (the URL conf, the script prefix, the arguments)."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Library, engines
from django.template.backends.django import get_installed_libraries
from django.template.exceptions import TemplateSyntaxError
from django.templatetags import i18n as django_i18n
from django.templatetags.i18n import TranslateNode
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix, set_urlconf
from django.utils import translation

from prm import paths, translate_tag
from prm.templatetags.kyoso_builtins import KeptURLNode
from prm.translate_tag import LiteralTranslateNode

TRANSLATE_CASES = [
    '{% trans "Partners" %}',
    '{% translate "Partners" %}|{% trans "Partners" as label %}[{{ label }}]',
    '{% trans "No partners match these filters." %}',
    '{% trans "100%% done" %} {% trans "50% off" %}',
    '{% trans "<b>bold</b> & co" %}',
    '{% autoescape off %}{% trans "<b>bold</b> & co" %}{% endautoescape %}',
    '{% trans "May" context "month name" %}',
    '{% trans word %} {% trans word as kept %}{{ kept }}',
    '{% trans "Partners" noop %}',
    '{% trans "Partners"|upper %}',
    '{% trans "" %}',
    '{% load i18n %}{% blocktranslate count counter=3 %}{{ counter }} partner{% plural %}{{ counter }} partners'
    "{% endblocktranslate %} {% get_current_language as lang %}{{ lang }}",
]


def _django_engine() -> Engine:
    """Django's own tags: the engine the settings describe without this project's builtins, its i18n library with
    Django's `translate` in place of the one prm.translate_tag installs."""
    ours = engines["django"].engine
    engine = Engine(dirs=ours.dirs, app_dirs=ours.app_dirs, libraries=get_installed_libraries(), builtins=[])
    original = Library()
    original.tags.update(django_i18n.register.tags)
    original.filters.update(django_i18n.register.filters)
    original.tag("translate", django_i18n.do_translate)
    original.tag("trans", django_i18n.do_translate)
    engine.template_libraries = {**engine.template_libraries, "i18n": original}
    return engine


def test_the_installed_tag_is_the_one_load_i18n_gives():
    assert django_i18n.register.tags["trans"] is translate_tag.do_translate
    assert django_i18n.register.tags["translate"] is translate_tag.do_translate


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("source", TRANSLATE_CASES)
def test_translate_renders_what_djangos_tag_renders(source, language):
    ours = engines["django"].engine.from_string("{% load i18n %}" + source)
    theirs = _django_engine().from_string("{% load i18n %}" + source)
    context = {"word": "<script>Partners</script>"}
    with translation.override(language):
        assert ours.render(Context(context)) == theirs.render(Context(context))


def test_a_literal_renders_through_the_direct_node_and_everything_else_through_djangos():
    engine = engines["django"].engine
    template = engine.from_string('{% load i18n %}{% trans "Partners" %}{% trans "Partners" as x %}'
                                  '{% trans word %}{% trans "May" context "month name" %}{% trans "a" noop %}')
    kinds = [type(node).__name__ for node in template.nodelist if type(node).__name__ != "LoadNode"]
    assert kinds == ["LiteralTranslateNode", "LiteralTranslateNode", "TranslateNode", "TranslateNode", "TranslateNode"]
    with translation.override("ja"):
        assert engine.from_string('{% load i18n %}{% trans "Partners" %}').render(Context()) == "パートナー"
    with translation.override("en"):
        assert engine.from_string('{% load i18n %}{% trans "Partners" %}').render(Context()) == "Partners"
    assert issubclass(LiteralTranslateNode, TranslateNode)


def test_translate_keeps_djangos_errors():
    for source in ('{% trans %}', '{% trans "a" as %}', '{% trans "a" bogus %}', '{% trans "a" noop noop %}'):
        with pytest.raises(TemplateSyntaxError):
            engines["django"].engine.from_string("{% load i18n %}" + source)


URL_CASES = [
    ("{% url 'partner_list' %}", {}),
    ("{% url 'partner_detail' 5 %}|{% url 'partner_detail' pk %}|{% url 'partner_detail' text %}", {"pk": 7, "text": "7"}),
    ("{% url 'partner_detail' pk=pk %}", {"pk": 12}),
    ("{% url 'partner_list' as here %}[{{ here }}]", {}),
    ("{% url 'no_such_view' as nothing %}[{{ nothing }}]", {}),
    ("{% url name %}", {"name": "partner_create"}),
]


@pytest.mark.parametrize("source,values", URL_CASES)
def test_url_renders_what_djangos_tag_renders(source, values):
    set_urlconf("prm.urls_console")
    try:
        for _ in range(2):  # the second time from what the first kept
            ours = engines["django"].engine.from_string(source).render(Context(values))
            theirs = _django_engine().from_string(source).render(Context(values))
            assert ours == theirs
            assert "/partners/" in ours or "[]" in ours
    finally:
        set_urlconf(None)


def test_url_node_is_the_kept_one():
    template = engines["django"].engine.from_string("{% url 'partner_list' %}")
    assert isinstance(template.nodelist[0], KeptURLNode)


def test_an_address_is_kept_per_url_conf_script_prefix_and_argument():
    render = lambda source, **values: engines["django"].engine.from_string(source).render(Context(values))  # noqa: E731
    set_urlconf("prm.urls_console")
    try:
        console = render("{% url 'deal_detail' 5 %}")
        assert console == reverse("deal_detail", args=[5])
        set_script_prefix("/kyoso/")
        assert render("{% url 'deal_detail' 5 %}") == "/kyoso" + console
        clear_script_prefix()
        assert render("{% url 'deal_detail' 6 %}") == reverse("deal_detail", args=[6])
        # A value the converter refuses raises every time, kept or not.
        for _ in range(2):
            with pytest.raises(NoReverseMatch):
                render("{% url 'deal_detail' word %}", word="five")
        # True is not 1 (they are equal as keys): a bool is reversed each time, never taken for the kept 1.
        assert render("{% url 'deal_detail' 1 %}") == reverse("deal_detail", args=[1])
        with pytest.raises(NoReverseMatch):
            render("{% url 'deal_detail' flag %}", flag=True)
        set_urlconf("prm.urls_portal")
        with pytest.raises(NoReverseMatch):  # the console's address is not the portal's
            render("{% url 'deal_detail' 5 %}")
        assert render("{% url 'portal_deals' %}") == reverse("portal_deals")
    finally:
        clear_script_prefix()
        set_urlconf(None)


def test_the_kept_addresses_start_over_past_the_limit(monkeypatch):
    monkeypatch.setattr(paths, "_KEPT_LIMIT", 3)
    paths._kept.clear()
    set_urlconf("prm.urls_console")
    try:
        for pk in range(1, 8):
            assert paths.reverse_kept("deal_detail", [pk], {}, None) == reverse("deal_detail", args=[pk])
            assert len(paths._kept) <= 3
    finally:
        set_urlconf(None)
        paths._kept.clear()
