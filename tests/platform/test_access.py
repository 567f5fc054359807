"""Every URL of the console and the portal, requested by every kind of visitor.

The URL list is read from the URL confs, so a page added later is checked without anyone
remembering to add it here; a URL whose sample arguments are unknown fails the test.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Pages anyone may open on that site: sign-in and its helpers, invitations, the language
# switch, health and the portal's brand stylesheet.
ANONYMOUS_OK = re.compile(
    r"^(account_(login|logout|signup|reset_password.*|confirm_email|email_verification_sent|inactive|"
    r"confirm_login_code|request_login_code|login_code_confirm|reauthenticate)|"
    r"mfa_(authenticate|trust|login_webauthn|signup_webauthn)|invitation_accept|portal_apply|portal_apply_thanks|portal_verify|portal_verify_code|set_language|healthz|brand_css|brand_logo|"
    r"admin:(login|logout|javascript-catalog))$"
)
# What a signed-in account may reach on a site that is not its own.
FOREIGN_OK = {"account_logout", "set_language", "healthz", "brand_css", "brand_logo"}

SAMPLES = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "uuid": str(uuid.UUID(int=1)),
    "path": "sample",
}
# Query strings a view needs to do its work at all.
QUERY_SAMPLES = {
    "admin:autocomplete": "?app_label=partners&model_name=partnermembership&field_name=partner",
}
REGEX_SAMPLES = {
    "app_label": "partners",
    "object_id": "1",
    "content_type_id": "1",
    "key": "sample",
    "uidb36": "1",
    "url": "sample",
}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + _fill(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            path = prefix + _fill(entry.pattern)
            yield f"{namespace}{entry.name or '/' + path}", path, entry


def _fill(pattern) -> str:
    text = str(pattern)
    if hasattr(pattern, "converters") and pattern.converters:
        def route_sub(match):
            converter = match.group(1) or "str"
            return SAMPLES[converter]

        return re.sub(r"<(?:(\w+):)?\w+>", route_sub, text)
    if text.startswith("^") or text.endswith("$") or "(?P<" in text:
        def regex_sub(match):
            name = match.group(1)
            if name not in REGEX_SAMPLES:
                raise AssertionError(f"no sample for URL argument {name!r} in {text!r}")
            return REGEX_SAMPLES[name]

        text = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", regex_sub, text)
        return text.lstrip("^").rstrip("$").replace("\\", "")
    return text


def urls(urlconf: str):
    found = []
    for name, path, entry in _walk(get_resolver(urlconf).url_patterns):
        found.append((name, "/" + path + QUERY_SAMPLES.get(name, "")))
        ACCESS[(urlconf, name)] = getattr(entry.callback, "kyoso_access", None)
    assert len(found) > 20, found
    return found


ACCESS: dict[tuple[str, str], str | None] = {}
# The REST API (/api/v1/) answers keys, never sessions: its routes are walked apart, below and with
# every key persona in tests/api/test_access_walk.py.
_API = ("api", "api_public")
CONSOLE_ALL = urls("prm.urls_console")
PORTAL_ALL = urls("prm.urls_portal")
CONSOLE_URLS = [(name, path) for name, path in CONSOLE_ALL if ACCESS[("prm.urls_console", name)] not in _API]
PORTAL_URLS = [(name, path) for name, path in PORTAL_ALL if ACCESS[("prm.urls_portal", name)] not in _API]
CONSOLE_API_URLS = [(name, path) for name, path in CONSOLE_ALL if ACCESS[("prm.urls_console", name)] == "api"]
PORTAL_API_URLS = [(name, path) for name, path in PORTAL_ALL if ACCESS[("prm.urls_portal", name)] == "api"]


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and ("/accounts/login/" in response["Location"] or "/admin/login/" in response["Location"])


def _check(client, url_list, expect):
    failures = []
    for name, path in url_list:
        response = client.get(path)
        problem = expect(name, response)
        if problem:
            failures.append(f"{name} {path}: {response.status_code} {problem}")
    assert not failures, "\n".join(failures)


def test_it_sends_anonymous_visitors_of_the_console_to_sign_in(people_a):
    def expect(name, response):
        if response.status_code >= 500:
            return "server error"
        if not ANONYMOUS_OK.match(name) and not _is_login_redirect(response):
            return "served to an anonymous visitor"

    _check(people_a.console(), CONSOLE_URLS, expect)


def test_it_sends_anonymous_visitors_of_the_portal_to_sign_in(people_a):
    def expect(name, response):
        if response.status_code >= 500:
            return "server error"
        if not ANONYMOUS_OK.match(name) and not _is_login_redirect(response):
            return "served to an anonymous visitor"

    _check(people_a.portal(), PORTAL_URLS, expect)


@pytest.mark.parametrize("persona", ["partner_admin", "partner_rep"])
def test_it_refuses_every_console_url_to_partner_users(people_a, persona):
    client = people_a.console(getattr(people_a, persona))

    def expect(name, response):
        if name in FOREIGN_OK:
            return None if response.status_code < 500 else "server error"
        if response.status_code != 403:
            return "not refused"

    _check(client, CONSOLE_URLS, expect)


@pytest.mark.parametrize("persona", ["vendor_admin", "channel_manager"])
def test_it_refuses_every_portal_url_to_vendor_staff(people_a, persona):
    client = people_a.portal(getattr(people_a, persona))

    def expect(name, response):
        if name in FOREIGN_OK:
            return None if response.status_code < 500 else "server error"
        if response.status_code != 403:
            return "not refused"

    _check(client, PORTAL_URLS, expect)


def test_it_opens_every_console_url_to_the_vendor_admin(people_a):
    client = people_a.console(people_a.vendor_admin)

    def expect(name, response):
        if response.status_code >= 500:
            return "server error"
        if response.status_code == 403 or _is_login_redirect(response):
            return "vendor admin refused"

    _check(client, CONSOLE_URLS, expect)


def test_it_keeps_admin_only_pages_from_channel_managers(people_a):
    client = people_a.console(people_a.channel_manager)

    def expect(name, response):
        if response.status_code >= 500:
            return "server error"
        if name.startswith("admin:") and not ANONYMOUS_OK.match(name):
            if not _is_login_redirect(response):
                return "Django admin open to a channel manager"
        elif name == "admin:login":
            # Signing in happens in allauth; a signed-in account that is not the admin's is refused.
            if response.status_code != 403:
                return "Django admin sign-in offered to a channel manager"
        elif ACCESS[("prm.urls_console", name)] == "console_admin":
            if response.status_code != 403:
                return "vendor-admin page open to a channel manager"
        elif response.status_code == 403 or _is_login_redirect(response):
            return "channel manager refused a staff page"

    _check(client, CONSOLE_URLS, expect)


def test_it_opens_every_portal_url_to_the_partner_admin(people_a):
    client = people_a.portal(people_a.partner_admin)

    def expect(name, response):
        if response.status_code >= 500:
            return "server error"
        if response.status_code == 403 or _is_login_redirect(response):
            return "partner admin refused"

    _check(client, PORTAL_URLS, expect)


def test_it_keeps_partner_admin_pages_from_reps(people_a):
    response = people_a.portal(people_a.partner_rep).get("/team/invite/")
    assert response.status_code == 403
    assert people_a.portal(people_a.partner_rep).get("/team/").status_code == 200


@pytest.mark.parametrize("kind", ["console", "portal"])
def test_it_treats_another_tenants_session_as_anonymous(people_a, people_b, kind):
    """A session cookie from vendor B's site means nothing on vendor A's."""
    user_b = people_b.channel_manager if kind == "console" else people_b.partner_admin
    client_b = getattr(people_b, kind)(user_b)
    client_a = getattr(people_a, kind)()
    client_a.cookies = client_b.cookies  # the test client sends cookies to any host
    response = client_a.get("/")
    assert _is_login_redirect(response)


def test_it_answers_405_to_the_wrong_method(people_a):
    client = people_a.console(people_a.channel_manager)
    assert client.post("/").status_code == 405
    assert client.delete("/team/").status_code == 405
    assert client.get("/team/invitations/1/revoke/").status_code == 405
    portal = people_a.portal(people_a.partner_admin)
    assert portal.post("/").status_code == 405


def test_every_page_declares_who_may_open_it():
    """A view without console_view / portal_view (and not a sign-in page) fails here."""
    undeclared = [
        key for key, access in ACCESS.items()
        if access is None and not ANONYMOUS_OK.match(key[1]) and not key[1].startswith(("admin:", "account_", "mfa_"))
    ]
    assert undeclared == []
    # "own": pages about the signed-in user only (their notifications), on either site.
    # "api": key-authenticated operations; "api_public": the API's reference and OpenAPI document.
    assert {a for (conf, _), a in ACCESS.items() if conf == "prm.urls_console"} - {None} == {
        "console", "console_admin", "own", "api", "api_public"}
    assert {a for (conf, _), a in ACCESS.items() if conf == "prm.urls_portal"} - {None} == {
        "portal", "portal_admin", "own", "api", "api_public"}


@pytest.mark.parametrize("persona", [None, "vendor_admin", "channel_manager", "partner_admin", "partner_rep"])
@pytest.mark.parametrize("kind", ["console", "portal"])
def test_it_refuses_every_api_route_to_a_session(people_a, persona, kind):
    """A browser's session (anyone's, on either site) opens no API operation: 401 problem+json."""
    client = getattr(people_a, kind)(getattr(people_a, persona) if persona else None)
    url_list = CONSOLE_API_URLS if kind == "console" else PORTAL_API_URLS
    assert len(url_list) >= 2

    def expect(name, response):
        # 405: a write-only route (PATCH …) has no GET; it names the method, serves nothing.
        if response.status_code not in (401, 405):
            return "served to a session"
        if response["Content-Type"] != "application/problem+json":
            return "not a problem"

    _check(client, url_list, expect)
