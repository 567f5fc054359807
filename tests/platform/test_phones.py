"""Every navigation entry of the console and the portal in a real browser, at a phone's width (390 px) and a
laptop's (1366 px): the page is no wider than the window (no page-level horizontal scroll) and the browser's
console shows no error (a CSP violation, a script error, an htmx error, a resource that failed to load).

Debian's Chromium (/usr/bin/chromium, which `./kyoso test` and CI install when missing) is driven headless
through Playwright's Python API against Django's threaded live server. The demo's world is seeded into a vendor
of its own, committed so the server's connections see it, and removed afterwards. The pages are the entries of
prm.navigation (what the menus are built from) for each person: a channel manager and the vendor admin (with
TOTP) on the console, a partner rep and a partner admin on the portal. The test drives the browser's own fonts
through fontconfig with the bundled IPAexGothic, so Japanese text is measured with real glyphs.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django_tenants.utils import tenant_context
from pytest_django.live_server_helper import LiveServer

from demo import data as demo
from prm import debian, navigation

pytestmark = pytest.mark.browser

WIDTHS = {390: 844, 1366: 900}  # width: height of the window
CONSOLE, PORTAL = "prm.urls_console", "prm.urls_portal"

# Elements that stick out of the window, for the failure message (the page's width alone names no culprit).
WIDER_THAN_WINDOW = """() => {
  const width = window.innerWidth, found = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let scrolled = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') { scrolled = true; break; }
    }
    const name = `${el.tagName.toLowerCase()}.${String(el.className).trim().replace(/\\s+/g, '.')}`;
    if (!scrolled) found.push(`${name} (right edge ${Math.round(box.right)})`);
  }
  return found.slice(0, 5);
}"""


@dataclass(frozen=True)
class Person:
    email: str
    site: str  # "console" or "portal"
    totp_secret: str = ""

    def pages(self) -> list[str]:
        """The person's menu entries, from the definitions the menus are built from."""
        if self.site == "console":
            items = navigation.console_items(admin=bool(self.totp_secret))
            urlconf = CONSOLE
        else:
            role, partner = next((role, partner) for email, *_, role, partner in demo.PARTNER_USERS if email == self.email)
            partner_type = next(kind for name, _kana, kind in demo.PARTNERS if name == partner)
            admin = role == "partner_admin"
            items = navigation.portal_items(admin=admin, distributor=admin and partner_type == "distributor")
            urlconf = PORTAL
        items += navigation.ACCOUNT_MENUS[self.site]
        return list(dict.fromkeys(reverse(item.url, urlconf=urlconf) for item in items))


CHANNEL_MANAGER = Person(demo.STAFF[1][0], "console")
VENDOR_ADMIN = Person(demo.STAFF[0][0], "console", totp_secret=demo.DEMO_ADMIN_TOTP_SECRET)
PARTNER_REP = Person(demo.PARTNER_USERS[1][0], "portal")
PARTNER_ADMIN = Person(demo.PARTNER_USERS[0][0], "portal")


@dataclass
class Site:
    server: LiveServer
    hosts: dict[str, str]

    def url(self, site: str, path: str) -> str:
        return f"http://{self.hosts[site]}:{urlsplit(self.server.url).port}{path}"


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """The demo's world in a vendor of its own, committed, and a live server in front of it."""
    from demo.management.commands.seed_demo import seed_tenant
    from prm.notifications.services import email_paused
    from prm.tenancy.services import vendor_create, vendor_delete

    with django_db_blocker.unblock():
        vendor = vendor_create(slug=f"phones-{uuid.uuid4().hex[:6]}", name=demo.DEMO_VENDOR_NAME,
                               admin_email=demo.STAFF[0][0], admin_password=demo.DEMO_PASSWORD).vendor
        try:
            with tenant_context(vendor), transaction.atomic(), email_paused():
                seed_tenant()
            connection.set_schema_to_public()
            server = LiveServer("127.0.0.1:0")
            try:
                yield Site(server, {kind: vendor.domain_for(kind).domain for kind in ("console", "portal")})
            finally:
                server.stop()
        finally:
            connection.set_schema_to_public()
            vendor_delete(vendor)


@pytest.fixture(scope="module")
def chromium(site):
    """Debian's Chromium through Playwright, with the bundled Japanese font and every host on this machine."""
    executable = debian.chromium(install=False)
    if executable is None:
        message = (f"Debian's Chromium is not installed: {debian.CHROMIUM_INSTALL_COMMAND} (as root; ./kyoso test and "
                   f".ci/run do it when they can)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        fonts = Path(folder) / "fonts.conf"
        fonts.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                         '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
                         f'  <dir>{settings.BASE_DIR / "static" / "fonts"}</dir>\n</fontconfig>\n')
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, env={**os.environ, "FONTCONFIG_FILE": str(fonts)},
                args=["--host-resolver-rules=MAP * 127.0.0.1"])
            try:
                yield browser
            finally:
                browser.close()


@dataclass
class Tab:
    """One signed-in browser tab that remembers what its console said."""

    page: object
    site: Site
    person: Person
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.site.url(self.person.site, path)


def _open(chromium, site: Site, person: Person, width: int = 1366) -> Tab:
    context = chromium.new_context(viewport={"width": width, "height": WIDTHS[width]}, locale="ja-JP")
    page = context.new_page()
    tab = Tab(page, site, person)
    page.on("console", lambda message: message.type == "error" and tab.errors.append(
        f"{message.text} ({message.location.get('url') or 'no address'})"))
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    # The console names no address when a resource fails to load: the answer does.
    page.on("response", lambda response: response.status >= 400 and tab.errors.append(f"{response.status} {response.url}"))
    page.goto(tab.url("/accounts/login/"))
    page.fill("input[name=login]", person.email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    if person.totp_secret:
        # The vendor admin's second factor, computed the way allauth checks it.
        assert urlsplit(page.url).path == "/accounts/2fa/authenticate/", page.url
        for attempt in range(2):
            counter = next(yield_hotp_counters_from_time())
            page.fill("input[name=code]", format_hotp_value(hotp_value(person.totp_secret, counter)))
            with page.expect_navigation():
                page.press("input[name=code]", "Enter")
            if attempt or urlsplit(page.url).path != "/accounts/2fa/authenticate/":
                break
            # allauth takes a code once per period for a user (in the vendor's cache): this module's tests sign the
            # demo admin in to the same vendor several times, so an earlier one in this period may have used it.
            while next(yield_hotp_counters_from_time()) == counter:
                time.sleep(0.5)
    assert urlsplit(page.url).path == "/", f"{person.email} was not signed in: {page.url}"
    return tab


def _check(tab: Tab, path: str, width: int) -> list[str]:
    """Open `path` at `width`; what is wrong with it, if anything."""
    page = tab.page
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    tab.errors.clear()
    response = page.goto(tab.url(path), wait_until="networkidle")
    problems = []
    if response is None or response.status != 200:
        problems.append(f"answered {response and response.status}")
    document_width, window_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if document_width > window_width:
        problems.append(f"{document_width} px wide in a {window_width} px window: {page.evaluate(WIDER_THAN_WINDOW)}")
    problems += [f"console: {error}" for error in tab.errors]
    return [f"{tab.person.site} {path} at {width} px ({tab.person.email}): {problem}" for problem in problems]


@pytest.mark.parametrize("people", [(CHANNEL_MANAGER, VENDOR_ADMIN), (PARTNER_REP, PARTNER_ADMIN)],
                         ids=["console", "portal"])
def test_it_fits_every_menu_page_in_the_window_without_console_errors(chromium, site, people, record_property):
    started = time.monotonic()
    problems, checked = [], set()
    for person in people:
        tab = _open(chromium, site, person)
        problems += [f"sign-in ({person.email}): console: {error}" for error in tab.errors]
        for path in person.pages():
            if path in checked:
                continue  # the other person of the site saw it
            checked.add(path)
            for width in WIDTHS:
                problems += _check(tab, path, width)
        tab.page.context.close()
    views = len(checked) * len(WIDTHS)
    record_property("pages_x_widths", views)
    print(f"\n{people[0].site}: {len(checked)} menu pages × {len(WIDTHS)} widths = {views} views checked in "
          f"{time.monotonic() - started:.0f} s")
    assert len(checked) >= 10
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("person, toggle, menu", [
    (CHANNEL_MANAGER, ".kyoso-topbar .navbar-toggler", "#kyosoSidebar"),
    (PARTNER_REP, ".kyoso-brandbar .navbar-toggler", "#portalNav"),
], ids=["console", "portal"])
def test_it_folds_the_menu_behind_a_button_on_a_phone_and_shows_it_on_a_laptop(chromium, site, person, toggle, menu):
    tab = _open(chromium, site, person, width=390)
    page = tab.page
    page.goto(tab.url("/"), wait_until="networkidle")
    first = page.locator(f"{menu} a.nav-link").first
    assert page.locator(toggle).is_visible() and not first.is_visible()
    page.click(toggle)
    first.wait_for(state="visible")
    box = first.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 390
    page.set_viewport_size({"width": 1366, "height": WIDTHS[1366]})
    page.reload(wait_until="networkidle")
    assert not page.locator(toggle).is_visible() and first.is_visible()
    assert not tab.errors, tab.errors
    tab.page.context.close()


def test_it_folds_the_partner_filters_on_a_phone_and_goes_back_without_a_csp_violation(chromium, site):
    """The filters open from their button and filter as the manager types; Back shows the whole list again; the
    list sorted by health fits both widths (KYOSO_SCREENSHOTS=<folder> keeps a picture of each).
    Back restores htmx's stored copy of the page, which used to carry the style attributes the menus' scripts
    had set: restored as markup, the CSP refused them."""
    tab = _open(chromium, site, CHANNEL_MANAGER, width=390)
    page = tab.page
    page.goto(tab.url(reverse("partner_list", urlconf=CONSOLE)), wait_until="networkidle")
    page.click(".kyoso-topbar .dropdown-toggle")  # the person's menu, positioned by its script
    page.keyboard.press("Escape")
    search = page.locator("#partner-filters input[name=q]")
    assert not search.is_visible()
    page.click("button[data-bs-target='#partner-filters']")
    search.wait_for(state="visible")
    with page.expect_response(lambda response: "q=IT" in response.url):
        search.press_sequentially("IT")  # keys of the keyboard: the list follows keyup
    # the response's headers arrive before htmx swaps its body in, and the document reached "networkidle" long
    # ago, so wait for the swap itself: the table without a partner "IT" does not match
    page.locator("#partner-table", has_text="さくらシステムズ").wait_for(state="detached")
    table = page.inner_text("#partner-table")
    assert "アオバITパートナーズ" in table and "さくらシステムズ" not in table
    assert "q=IT" in page.url
    page.go_back()
    page.locator("#partner-table", has_text="さくらシステムズ").wait_for()
    page.wait_for_load_state("networkidle")
    assert urlsplit(page.url).query == ""
    problems = []
    path = reverse("partner_list", urlconf=CONSOLE) + "?sort=-health"
    for width in WIDTHS:  # the tier and health columns, sorted by health, fit both widths
        problems += _check(tab, path, width)
        if not page.locator("#partner-table [data-figure=health_score]").count():
            problems.append(f"{path} at {width} px: no health scores in the list")
        if os.environ.get("KYOSO_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["KYOSO_SCREENSHOTS"]) / f"partners-{width}.png"), full_page=True)
    assert not problems, "\n".join(problems)
    assert not tab.errors, tab.errors
    tab.page.context.close()


def test_the_live_customer_check_answers_the_last_input_without_aborting_a_request(chromium, site):
    """A rep types while an earlier check is still on its way: no request is aborted (htmx logs an abort as an
    error), and the answer shown is the one for what the rep typed last."""
    tab = _open(chromium, site, PARTNER_REP, width=390)
    page = tab.page
    held, sent = [], []

    def hold(route):
        sent.append(route.request.url)
        held.append(route)

    page.route("**/deals/check/**", hold)
    page.goto(tab.url(reverse("portal_deal_create", urlconf=PORTAL)), wait_until="networkidle")
    name = page.locator("input[name=customer_name]")
    name.fill("株式会社みどり")
    page.wait_for_timeout(800)  # the check is sent after half a second and held on its way
    name.fill("株式会社みどり商事")
    page.wait_for_timeout(800)  # the second check waits for the first (an abort would log an error)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (held or len(sent) < 2):
        if held:
            held.pop(0).continue_()
        page.wait_for_timeout(300)
    page.wait_for_load_state("networkidle")
    assert len(sent) >= 2 and "%E5%95%86%E4%BA%8B" in sent[-1], sent  # the last one asked about 商事
    assert page.inner_text("#customer-check").strip()
    assert not tab.errors, tab.errors
    tab.page.context.close()


def test_the_partner_360_page_fits_a_phone_and_a_laptop_with_every_section(chromium, site):
    """The partner page with the sections the apps above partners add (deals, payouts, MDF, certifications,
    content) and its header facts (tier, health), for a demo partner with history; KYOSO_SCREENSHOTS=<folder>
    keeps a picture of each width for a reviewer."""
    tab = _open(chromium, site, CHANNEL_MANAGER)
    page = tab.page
    page.goto(tab.url(reverse("partner_list", urlconf=CONSOLE)), wait_until="networkidle")
    path = urlsplit(page.locator("#partner-table a[href^='/partners/']", has_text="さくらシステムズ").first
                    .get_attribute("href") or "").path
    problems = []
    for width in WIDTHS:
        problems += _check(tab, path, width)
        for section in ("#partner-tier", "#partner-health", "#partner-deals", "#partner-payouts", "#partner-mdf",
                        "#partner-certifications", "#partner-engagement", "#invite"):
            if page.locator(section).count() != 1:
                problems.append(f"{path} at {width} px: no {section}")
        if os.environ.get("KYOSO_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["KYOSO_SCREENSHOTS"]) / f"partner360-{width}.png"), full_page=True)
    tab.page.context.close()
    assert not problems, "\n".join(problems)


def test_the_approval_queue_groups_customers_and_shows_what_a_loser_conflicts_with_on_a_phone_and_a_laptop(chromium, site):
    """The demo's queue: each customer's waiting registrations together with their place in the order, and the
    later registration of a customer whose first one is being worked shows what it conflicts with and what the
    rule does with it; KYOSO_SCREENSHOTS=<folder> keeps a picture of each width."""
    tab = _open(chromium, site, CHANNEL_MANAGER)
    page = tab.page
    path = reverse("deal_queue", urlconf=CONSOLE)
    problems = []
    for width in WIDTHS:
        problems += _check(tab, path, width)
        groups = page.locator("section.kyoso-queue-group")
        if groups.count() < 2:
            problems.append(f"{path} at {width} px: {groups.count()} customer groups")
        losing = page.locator("section.kyoso-queue-group", has_text="横浜港運").locator(".kyoso-conflict")
        if losing.count() != 1 or "交渉" not in losing.inner_text() or "2番目" not in page.inner_text("main"):
            problems.append(f"{path} at {width} px: the later 横浜港運 registration does not show its conflict")
        if os.environ.get("KYOSO_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["KYOSO_SCREENSHOTS"]) / f"queue-{width}.png"), full_page=True)
    tab.page.context.close()
    assert not problems, "\n".join(problems)


def test_the_pipeline_folds_its_filters_on_a_phone_and_filters_as_the_manager_types(chromium, site):
    """The pipeline's filters open from their button on a phone; a half-width customer name and a stage picked in
    the folded stage list narrow the list in place and stay in the address; the page fits both widths.
    KYOSO_SCREENSHOTS=<folder> keeps a picture of each width with the filters open."""
    tab = _open(chromium, site, CHANNEL_MANAGER, width=390)
    page = tab.page
    path = reverse("deal_pipeline", urlconf=CONSOLE)
    problems = _check(tab, path, 390)
    customer = page.locator("#pipeline-filters input[name=customer]")
    assert not customer.is_visible()
    page.click("button[data-bs-target='#pipeline-filters']")
    customer.wait_for(state="visible")
    customer.click()  # the caret in the box before the first character: focused by the typing alone, the box took
    # the first character and then its caret went back before it, once in a few runs
    with page.expect_response(lambda response: "customer=" in response.url and "%EF%BE%9E" in response.url):
        customer.press_sequentially("ｸﾞﾛｰﾊﾞﾙ")  # characters no key types: input events, as an IME sends
    page.locator("#pipeline-results", has_text="横浜港運").wait_for(state="detached")  # the swap follows the response
    assert "(株)グローバル精工" in page.inner_text("#pipeline-results")
    assert "横浜港運" not in page.inner_text("#pipeline-results")
    page.click("#pipeline-filters summary")
    page.check("#pipeline-filters input[name=stage][value=lost]")
    page.wait_for_url(lambda url: "stage=lost" in url)  # the address keeps the filters, as the links write them
    page.locator("#pipeline-results table", has_text="(株)グローバル精工").wait_for(state="detached")
    assert urlsplit(page.url).query == "customer=%EF%BD%B8%EF%BE%9E%EF%BE%9B%EF%BD%B0%EF%BE%8A%EF%BE%9E%EF%BE%99&stage=lost"
    assert "(株)グローバル精工" not in page.inner_text("#pipeline-results table")
    for width in WIDTHS:
        problems += _check(tab, path + "?stage=approved&stage=proposal&stage=won", width)
        page.locator("#pipeline-filters input[name=customer]").wait_for(state="visible")  # open: the page has filters
        page.click("#pipeline-filters summary")
        page.click("button[data-bs-target='#save-view']")
        page.locator("#save-view.show input[name=name]").wait_for(state="visible")
        page.wait_for_timeout(400)  # the end of the folding animation
        document_width, window_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if document_width > window_width:
            problems.append(f"{path} at {width} px with the filters open: {document_width} px wide")
        if os.environ.get("KYOSO_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["KYOSO_SCREENSHOTS"]) / f"pipeline-{width}.png"), full_page=True)
    problems += [f"console: {error}" for error in tab.errors]
    tab.page.context.close()
    assert not problems, "\n".join(problems)
