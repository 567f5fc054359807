"""The layouts' menus written from prm.navigation give the markup the template loops gave, for every role,
in Japanese and English, on the paths that mark each item active; and the pages carry them."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import set_urlconf
from django.utils import translation
from django_tenants.utils import tenant_context

from prm import navigation

pytestmark = pytest.mark.django_db

# The layouts' menus as the templates wrote them before prm.navigation (console/base.html, portal/base.html).
OLD_CONSOLE_SIDEBAR = """{% load i18n %}      {% url 'home' as home_url %}{% url 'team' as team_url %}
      <a class="nav-link {% if request.path == home_url %}active{% endif %}" href="{{ home_url }}"><i class="bi bi-speedometer2"></i> {% trans "Home" %}</a>
      <a class="nav-link {% if request.path|slice:':10' == '/partners/' %}active{% endif %}" href="{% url 'partner_list' %}"><i class="bi bi-building"></i> {% trans "Partners" %}</a>
      <a class="nav-link {% if request.path|slice:':10' == '/insights/' %}active{% endif %}" href="{% url 'insights:overview' %}"><i class="bi bi-graph-up-arrow"></i> {% trans "Insights" %}</a>
      <a class="nav-link {% if request.path|slice:':7' == '/deals/' %}active{% endif %}" href="{% url 'deal_queue' %}"><i class="bi bi-briefcase"></i> {% trans "Deals" %}</a>
      <a class="nav-link {% if request.path|slice:':9' == '/mapping/' %}active{% endif %}" href="{% url 'mapping_overview' %}"><i class="bi bi-diagram-2"></i> {% trans "Account mapping" %}</a>
      <a class="nav-link {% if request.path|slice:':10' == '/programs/' %}active{% endif %}" href="{% url 'program_overview' %}"><i class="bi bi-trophy"></i> {% trans "Programme" %}</a>
      <a class="nav-link {% if request.path|slice:':12' == '/incentives/' %}active{% endif %}" href="{% url 'incentives_overview' %}"><i class="bi bi-cash-coin"></i> {% trans "Incentives" %}</a>
      <a class="nav-link {% if request.path|slice:':12' == '/enablement/' %}active{% endif %}" href="{% url 'enablement_overview' %}"><i class="bi bi-mortarboard"></i> {% trans "Enablement" %}</a>
      {% block console_nav %}{% endblock %}
      <a class="nav-link {% if request.path|slice:':6' == '/team/' %}active{% endif %}" href="{{ team_url }}"><i class="bi bi-people"></i> {% trans "Team" %}</a>
      {% if user.is_vendor_admin %}
      <a class="nav-link {% if request.path|slice:':10' == '/webhooks/' %}active{% endif %}" href="{% url 'webhook_list' %}"><i class="bi bi-broadcast"></i> {% trans "Webhooks" %}</a>
      <a class="nav-link {% if request.path|slice:':10' == '/api-keys/' %}active{% endif %}" href="{% url 'api_keys' %}"><i class="bi bi-key"></i> {% trans "API keys" %}</a>
      <a class="nav-link" href="{% url 'admin:index' %}"><i class="bi bi-gear"></i> {% trans "Admin" %}</a>
      {% endif %}
"""
OLD_CONSOLE_ACCOUNT = """{% load i18n %}          <li><a class="dropdown-item" href="{% url 'account_change_password' %}"><i class="bi bi-key"></i> {% trans "Password" %}</a></li>
          <li><a class="dropdown-item" href="{% url 'notification_preferences' %}"><i class="bi bi-bell"></i> {% trans "Notification settings" %}</a></li>
          <li><a class="dropdown-item" href="{% url 'account_email' %}"><i class="bi bi-envelope"></i> {% trans "E-mail addresses" %}</a></li>
          <li><a class="dropdown-item" href="{% url 'mfa_index' %}"><i class="bi bi-shield-lock"></i> {% trans "Two-factor authentication" %}</a></li>
"""
OLD_PORTAL_MENU = """{% load i18n %}        {% url 'home' as home_url %}{% url 'portal_team' as team_url %}{% url 'portal_onboarding' as onboarding_url %}{% url 'portal_plan' as plan_url %}{% url 'portal_company' as company_url %}{% url 'portal_network' as network_url %}
        <li class="nav-item"><a class="nav-link {% if request.path == home_url %}active{% endif %}" href="{{ home_url }}">{% trans "Home" %}</a></li>
        {% url 'portal_deals' as deals_url %}{% url 'portal_leads' as leads_url %}
        <li class="nav-item"><a class="nav-link {% if request.path|slice:':7' == '/deals/' %}active{% endif %}" href="{{ deals_url }}">{% trans "Deals" %}</a></li>
        <li class="nav-item"><a class="nav-link {% if request.path == leads_url %}active{% endif %}" href="{{ leads_url }}">{% trans "Leads" %}</a></li>
        {% url 'portal_earnings' as earnings_url %}<li class="nav-item"><a class="nav-link {% if request.path == earnings_url %}active{% endif %}" href="{{ earnings_url }}">{% trans "Earnings" %}</a></li>
        <li class="nav-item"><a class="nav-link {% if request.path|slice:':9' == '/mapping/' %}active{% endif %}" href="{% if user.is_partner_admin %}{% url 'portal_mapping' %}{% else %}{% url 'portal_targets' %}{% endif %}">{% trans "Targets" %}</a></li>
        {% with p=request.path %}
        <li class="nav-item"><a class="nav-link {% if p|slice:':10' == '/learning/' and p != '/learning/team/' %}active{% endif %}" href="{% url 'portal_learning' %}">{% trans "Learning" %}</a></li>
        <li class="nav-item"><a class="nav-link {% if p|slice:':9' == '/library/' %}active{% endif %}" href="{% url 'portal_library' %}">{% trans "Library" %}</a></li>
        <li class="nav-item"><a class="nav-link {% if p|slice:':10' == '/sessions/' %}active{% endif %}" href="{% url 'portal_sessions' %}">{% trans "Sessions" %}</a></li>
        <li class="nav-item"><a class="nav-link {% if p|slice:':6' == '/news/' %}active{% endif %}" href="{% url 'portal_announcements' %}">{% trans "News" %}</a></li>
        <li class="nav-item"><a class="nav-link {% if p == '/faq/' or p|slice:':11' == '/questions/' %}active{% endif %}" href="{% url 'portal_faq' %}">{% trans "FAQ" %}</a></li>
        {% endwith %}
        
        <li class="nav-item dropdown">
          <a class="nav-link dropdown-toggle {% if request.path in company_paths %}active{% endif %}" href="#" role="button" data-bs-toggle="dropdown" aria-expanded="false">{% trans "Our company" %}</a>
          <ul class="dropdown-menu">
            {% url 'portal_program' as program_url %}<li><a class="dropdown-item" href="{{ program_url }}"><i class="bi bi-trophy"></i> {% trans "Programme" %}</a></li>
            <li><a class="dropdown-item" href="{% url 'portal_recognition' %}"><i class="bi bi-award"></i> {% trans "Awards" %}</a></li>
            <li><a class="dropdown-item" href="{{ onboarding_url }}"><i class="bi bi-list-check"></i> {% trans "Onboarding" %}</a></li>
            <li><a class="dropdown-item" href="{{ plan_url }}"><i class="bi bi-graph-up"></i> {% trans "Business plan" %}</a></li>
            <li><a class="dropdown-item" href="{{ team_url }}"><i class="bi bi-people"></i> {% trans "Team" %}</a></li>
            {% if user.is_partner_admin %}<li><a class="dropdown-item" href="{% url 'portal_learning_team' %}"><i class="bi bi-mortarboard"></i> {% trans "Team learning" %}</a></li>{% endif %}
            {% if user.is_partner_admin %}<li><a class="dropdown-item" href="{% url 'portal_api_keys' %}"><i class="bi bi-key"></i> {% trans "API keys" %}</a></li>{% endif %}
            <li><a class="dropdown-item" href="{{ company_url }}"><i class="bi bi-building"></i> {% trans "Company" %}</a></li>
            {% if user.is_partner_admin %}<li><a class="dropdown-item" href="{% url 'portal_webhook_list' %}"><i class="bi bi-broadcast"></i> {% trans "Webhooks" %}</a></li>{% endif %}
            {% if user.is_partner_admin and user.partner_membership.partner.partner_type == "distributor" %}<li><a class="dropdown-item" href="{{ network_url }}"><i class="bi bi-diagram-3"></i> {% trans "Sub-resellers" %}</a></li>{% endif %}
          </ul>
        </li>
"""
OLD_PORTAL_ACCOUNT = """{% load i18n %}            <li><a class="dropdown-item" href="{% url 'account_change_password' %}"><i class="bi bi-key"></i> {% trans "Password" %}</a></li>
            <li><a class="dropdown-item" href="{% url 'notification_preferences' %}"><i class="bi bi-bell"></i> {% trans "Notification settings" %}</a></li>
            <li><a class="dropdown-item" href="{% url 'mfa_index' %}"><i class="bi bi-shield-lock"></i> {% trans "Two-factor authentication" %}</a></li>
"""

CONSOLE_PATHS = ["/", "/partners/", "/partners/12/", "/insights/", "/deals/3/", "/mapping/", "/programs/",
                 "/incentives/x/", "/enablement/", "/team/", "/webhooks/", "/api-keys/", "/admin/", "/nowhere/"]
PORTAL_PATHS = ["/", "/deals/", "/deals/new/", "/leads/", "/earnings/", "/mapping/", "/learning/", "/learning/team/",
                "/library/a/", "/sessions/", "/news/", "/faq/", "/questions/4/", "/program/", "/team/", "/company/",
                "/network/", "/recognition/", "/nowhere/"]


def _same(html: str) -> str:
    """Markup with the whitespace between and around tags dropped (the loops left blank lines)."""
    return re.sub(r">\s+<", "><", re.sub(r"[ \t]*\n\s*", "\n", html).strip())


def _site(client, user):
    """The request attributes the tenant middleware sets on this site (its URLs and its kind)."""
    response = client.get("/")
    assert response.status_code == 200
    return response.wsgi_request.urlconf, response.wsgi_request.site_kind


def _compare(tenant, client, user, paths, pairs):
    urlconf, kind = _site(client, user)
    compared = 0
    with tenant_context(tenant):
        set_urlconf(urlconf)
        try:
            for language in ("ja", "en"):
                with translation.override(language):
                    for path in paths:
                        request = RequestFactory().get(path)
                        request.urlconf, request.site_kind, request.user = urlconf, kind, user
                        context = {"request": request, "user": user, "company_paths": navigation.PORTAL_COMPANY_PATHS}
                        for old, new in pairs:
                            expected = _same(Template(old).render(Context(context)))
                            written = Template("{% load kyoso_nav %}" + new).render(Context(context))
                            assert _same(written) == expected, (language, path, new)
                            compared += 1
        finally:
            set_urlconf(None)
    return compared


@pytest.mark.parametrize("role", ["vendor_admin", "channel_manager"])
def test_the_console_menus_match_the_old_templates(people_a, role):
    user = getattr(people_a, role)
    pairs = [(OLD_CONSOLE_SIDEBAR, "{% console_sidebar %}"), (OLD_CONSOLE_ACCOUNT, '{% account_menu "console" %}')]
    client = people_a.console(user)
    assert _compare(people_a.tenant, client, user, CONSOLE_PATHS, pairs) == 2 * len(CONSOLE_PATHS) * 2


@pytest.mark.parametrize("role", ["partner_admin", "partner_rep", "distributor_admin", "distributor_rep"])
def test_the_portal_menus_match_the_old_templates(people_a, role):
    from partners.models import Partner
    from tests.factories import UserFactory

    user = getattr(people_a, role.replace("distributor", "partner"))
    if role.startswith("distributor"):
        with tenant_context(people_a.tenant):
            Partner.objects.filter(pk=people_a.partner.pk).update(partner_type="distributor")
            user = UserFactory(role=role.replace("distributor", "partner"), partner=people_a.partner)
            user.partner_membership.partner.refresh_from_db()
    pairs = [(OLD_PORTAL_MENU, "{% portal_menu %}"), (OLD_PORTAL_ACCOUNT, '{% account_menu "portal" %}')]
    client = people_a.portal(user)
    assert _compare(people_a.tenant, client, user, PORTAL_PATHS, pairs) == 2 * len(PORTAL_PATHS) * 2


def test_the_pages_mark_their_own_item_and_follow_the_language(people_a):
    console = people_a.console(people_a.channel_manager)
    with translation.override("en"):
        html = console.get("/partners/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a class="nav-link active" href="/partners/"><i class="bi bi-building"></i>' in html
    assert '<a class="nav-link " href="/team/">' in html
    assert "/webhooks/" not in html  # a channel manager sees no admin links
    portal = people_a.portal(people_a.partner_rep)
    html = portal.get("/").content.decode()
    assert '<a class="nav-link active" href="/">' in html
    assert "/api-keys/" not in html


def test_each_tenant_language_and_role_gets_its_own_menu(people_a, people_b):
    navigation.clear()
    people_a.console(people_a.vendor_admin).get("/")
    people_a.console(people_a.channel_manager).get("/")
    people_b.console(people_b.channel_manager).get("/")
    keys = {key[:1] + key[3:] for key in navigation._built}
    schemas = {key[0] for key in navigation._built}
    assert {people_a.tenant.schema_name, people_b.tenant.schema_name} <= schemas
    assert any(key[-1] is True for key in keys) and any(key[-1] is False for key in keys)
