"""The partner page's contact and agreement rows are written in Python (partners_tags.contact_rows, agreement_rows):
they must be the markup the template loops wrote, for every kind of row, in both languages."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import set_urlconf
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from partners import selectors
from partners.models import Agreement
from partners.templatetags.partners_tags import agreement_rows, contact_rows
from tests.factories import PartnerFactory, UserFactory
from tests.partners.factories import ContactFactory

pytestmark = pytest.mark.django_db

# The loop the tag replaced, kept here as the reference.
TEMPLATE_LOOP = Template(
    "{% load i18n partners_tags %}"
    "        {% for contact in contacts %}\n"
    "          <tr>\n"
    "            <td>{{ contact.full_name }}{% if contact.is_key_person %} "
    '<span class="badge text-bg-warning">{% trans "Key person" %}</span>{% endif %}'
    '<div class="small text-muted">{{ contact.title }}</div></td>\n'
    "            <td>{{ contact.get_role_display }}</td>\n"
    '            <td class="small">{{ contact.email|default:"—" }}{% if contact.user %} '
    '<i class="bi bi-person-check text-success" title="{% trans \'Has a portal account\' %}"></i>{% endif %}</td>\n'
    '            <td><span class="badge text-bg-{{ contact.stage|stage_colour }}">{{ contact.get_stage_display }}</span></td>\n'
    '            <td class="text-end"><a class="btn btn-sm btn-link" '
    'href="{% url \'contact_edit\' partner.pk contact.pk %}">{% trans "Edit" %}</a></td>\n'
    "          </tr>\n"
    "        {% empty %}\n"
    '          <tr><td colspan="5" class="text-center text-muted py-4">{% trans "No contacts yet." %}</td></tr>\n'
    "        {% endfor %}"
)


def test_the_rows_are_the_markup_the_template_loop_wrote(people_a):
    set_urlconf("prm.urls_console")
    try:
        with tenant_context(people_a.tenant):
            partner, empty = PartnerFactory(name="行の会社"), PartnerFactory(name="誰もいない会社")
            ContactFactory(partner=partner, full_name='<script>"鍵"</script>', is_key_person=True, title="部長 & CTO",
                           email="key@example.jp", user=UserFactory(role="partner_rep", partner=partner),
                           stage="active", role="decision_maker")
            ContactFactory(partner=partner, full_name="メールなし", email="", title="", stage="valid")
            ContactFactory(partner=partner, full_name="担当 三", stage="trained")
            contacts = selectors.contacts_of(partner)
            assert len(contacts) == 3 and selectors.contacts_of(empty) == []
            for language in ("ja", "en"):
                with translation.override(language):
                    for shown, owner in ((contacts, partner), ([], empty)):
                        expected = TEMPLATE_LOOP.render(Context({"contacts": shown, "partner": owner}))
                        assert "        " + contact_rows(shown, owner) == expected, language
            rows = contact_rows(contacts, partner)
            assert "&lt;script&gt;&quot;鍵&quot;&lt;/script&gt;" in rows and "部長 &amp; CTO" in rows
            assert f"/partners/{partner.pk}/contacts/{contacts[0].pk}/edit/" in rows
    finally:
        set_urlconf(None)


AGREEMENT_LOOP = Template(
    "{% load i18n kyoso_format %}"
    "      {% for kind, label, agreement in agreements %}\n"
    '        <li class="list-group-item px-0 d-flex justify-content-between align-items-start">\n'
    "          <div>\n"
    '            {% if agreement %}<i class="bi bi-check-circle-fill text-success"></i>{% else %}'
    '<i class="bi bi-circle text-muted"></i>{% endif %}\n'
    '            <span class="ms-1">{{ label }}</span>\n'
    '            {% if agreement %}<div class="small text-muted ms-4">{{ agreement.agreed_on|date_ja }}'
    "{% if agreement.partner_signatory %} · {{ agreement.partner_signatory.full_name }}{% endif %}"
    "{% if agreement.recorded_by %} · {% blocktrans with name=agreement.recorded_by.get_short_name %}"
    "recorded by {{ name }}{% endblocktrans %}{% endif %}</div>{% endif %}\n"
    "          </div>\n"
    '          <a class="btn btn-sm btn-link text-nowrap" href="{% url \'agreement_edit\' partner.pk kind %}">'
    '{% if agreement %}{% trans "Edit" %}{% else %}{% trans "Record" %}{% endif %}</a>\n'
    "        </li>\n"
    "      {% endfor %}"
)


def test_the_agreement_rows_are_the_markup_the_template_loop_wrote(people_a):
    set_urlconf("prm.urls_console")
    try:
        with tenant_context(people_a.tenant):
            partner = PartnerFactory(name="合意の会社")
            signatory = ContactFactory(partner=partner, full_name='<b>"署名"</b> & 人')
            recorder = UserFactory(role="channel_manager", full_name="記録 <者>")
            today = timezone.localdate()
            Agreement.objects.create(partner=partner, kind="co_creation", agreed_on=today, partner_signatory=signatory,
                                     recorded_by=recorder)
            Agreement.objects.create(partner=partner, kind="program", agreed_on=today, recorded_by=None)
            rows = selectors.agreement_rows(partner)
            assert [agreement is not None for _kind, _label, agreement in rows] == [True, False, True, False]
            for language in ("ja", "en"):
                with translation.override(language):
                    shown = selectors.agreement_rows(partner)
                    expected = AGREEMENT_LOOP.render(Context({"agreements": shown, "partner": partner}))
                    assert "      " + agreement_rows(shown, partner) == expected, language
            html = agreement_rows(rows, partner)
            assert "&lt;b&gt;&quot;署名&quot;&lt;/b&gt; &amp; 人" in html and "記録 &lt;者&gt;" in html
            assert f"/partners/{partner.pk}/agreements/program/" in html
    finally:
        set_urlconf(None)
