"""The layouts' menus, built once per (tenant, site, language, what the person may see) and reused.

The console's sidebar and the portal's menu bar used to be template loops of `{% url %}` and
`{% translate %}` nodes, about forty of them on every page: the links and their labels only change
with the site's URLs, the language and the person's role, so each menu is built once for that key
(links reversed, labels translated and escaped) and kept in the process. What does change per request,
the item marked active for the current path, is a string test over the built items.

Each item is (url name, icon, label, how it matches the current path); the matchers mirror the
templates' old tests: `exact` (the path is the link), `prefix` (the path starts with it) or a function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Portal pages under the "Our company" menu, so the menu shows as active on them.
PORTAL_COMPANY_PATHS = frozenset({"/program/", "/onboarding/", "/plan/", "/team/", "/company/", "/network/",
                                  "/learning/team/", "/recognition/"})

Matcher = Callable[[str, str], bool]  # (current path, the item's link) -> active


def exact(path: str, href: str) -> bool:
    return path == href


def prefix(start: str) -> Matcher:
    return lambda path, href: path.startswith(start)


def never(path: str, href: str) -> bool:
    return False


@dataclass(frozen=True)
class Item:
    url: str
    label: object  # a lazy translation
    icon: str = ""
    active: Matcher = never


@dataclass(frozen=True)
class Built:
    """One item ready to write: its markup when active and when not."""

    href: str
    on: str
    off: str
    active: Matcher


# ----------------------------------------------------------------------------- the menus

CONSOLE_SIDEBAR = (
    Item("home", _("Home"), "speedometer2", exact),
    Item("partner_list", _("Partners"), "building", prefix("/partners/")),
    Item("insights:overview", _("Insights"), "graph-up-arrow", prefix("/insights/")),
    Item("deal_queue", _("Deals"), "briefcase", prefix("/deals/")),
    Item("mapping_overview", _("Account mapping"), "diagram-2", prefix("/mapping/")),
    Item("program_overview", _("Programme"), "trophy", prefix("/programs/")),
    Item("incentives_overview", _("Incentives"), "cash-coin", prefix("/incentives/")),
    Item("enablement_overview", _("Enablement"), "mortarboard", prefix("/enablement/")),
    Item("team", _("Team"), "people", prefix("/team/")),
)
CONSOLE_SIDEBAR_ADMIN = (
    Item("webhook_list", _("Webhooks"), "broadcast", prefix("/webhooks/")),
    Item("api_keys", _("API keys"), "key", prefix("/api-keys/")),
)


def _learning(path: str, href: str) -> bool:
    return path.startswith("/learning/") and path != "/learning/team/"


def _faq(path: str, href: str) -> bool:
    return path == "/faq/" or path.startswith("/questions/")


def _portal_bar(admin: bool) -> tuple[Item, ...]:
    return (
        Item("home", _("Home"), active=exact),
        Item("portal_deals", _("Deals"), active=prefix("/deals/")),
        Item("portal_leads", _("Leads"), active=exact),
        Item("portal_earnings", _("Earnings"), active=exact),
        Item("portal_mapping" if admin else "portal_targets", _("Targets"), active=prefix("/mapping/")),
        Item("portal_learning", _("Learning"), active=_learning),
        Item("portal_library", _("Library"), active=prefix("/library/")),
        Item("portal_sessions", _("Sessions"), active=prefix("/sessions/")),
        Item("portal_announcements", _("News"), active=prefix("/news/")),
        Item("portal_faq", _("FAQ"), active=_faq),
    )


def _portal_company(admin: bool, distributor: bool) -> tuple[Item, ...]:
    items = [
        Item("portal_program", _("Programme"), "trophy"),
        Item("portal_recognition", _("Awards"), "award"),
        Item("portal_onboarding", _("Onboarding"), "list-check"),
        Item("portal_plan", _("Business plan"), "graph-up"),
        Item("portal_team", _("Team"), "people"),
    ]
    if admin:
        items += [Item("portal_learning_team", _("Team learning"), "mortarboard"),
                  Item("portal_api_keys", _("API keys"), "key")]
    items.append(Item("portal_company", _("Company"), "building"))
    if admin:
        items.append(Item("portal_webhook_list", _("Webhooks"), "broadcast"))
    if admin and distributor:
        items.append(Item("portal_network", _("Sub-resellers"), "diagram-3"))
    return tuple(items)


def console_items(*, admin: bool) -> tuple[Item, ...]:
    """The console sidebar's pages for a member of the vendor's staff (the Django admin's link aside)."""
    return CONSOLE_SIDEBAR + (CONSOLE_SIDEBAR_ADMIN if admin else ())


def portal_items(*, admin: bool, distributor: bool) -> tuple[Item, ...]:
    """The portal menu's pages for a partner's person: the bar, then "Our company"'s dropdown."""
    return _portal_bar(admin) + _portal_company(admin, distributor)


# ----------------------------------------------------------------------------- building and caching

_built: dict[tuple, tuple[Built, ...]] = {}
_LIMIT = 4096  # keys: tenants × sites × languages × roles; past this the process starts over


def _build(key: tuple, items: tuple[Item, ...], write: Callable[[str, str, str, bool], str]) -> tuple[Built, ...]:
    """The items of one menu for `key` (which names the tenant, the site, the language and the role)."""
    built = _built.get(key)
    if built is None:
        built = []
        for item in items:
            href = reverse(item.url)
            label = str(conditional_escape(item.label))
            href_html = str(conditional_escape(href))
            built.append(Built(href, write(href_html, item.icon, label, True), write(href_html, item.icon, label, False),
                               item.active))
        built = tuple(built)
        if len(_built) >= _LIMIT:
            _built.clear()
        _built[key] = built
    return built


def _key(request, menu: str, *flags) -> tuple:
    return (connection.schema_name, getattr(request, "site_kind", None), getattr(request, "urlconf", None),
            get_language(), menu, *flags)


def _join(built: tuple[Built, ...], path: str) -> SafeString:
    return mark_safe("".join(item.on if item.active(path, item.href) else item.off for item in built))


def _sidebar_link(href: str, icon: str, label: str, active: bool) -> str:
    state = "active" if active else ""
    return f'      <a class="nav-link {state}" href="{href}"><i class="bi bi-{icon}"></i> {label}</a>\n'


def _admin_link(href: str, icon: str, label: str, active: bool) -> str:
    return f'      <a class="nav-link" href="{href}"><i class="bi bi-{icon}"></i> {label}</a>\n'


def console_sidebar(request, user) -> SafeString:
    """The console's sidebar links for a member of the vendor's staff, the current page's marked active."""
    admin = user.is_vendor_admin
    built = _build(_key(request, "console-sidebar", admin), console_items(admin=admin), _sidebar_link)
    if admin:
        built += _build(_key(request, "console-sidebar-admin-site"), (Item("admin:index", _("Admin"), "gear"),),
                        _admin_link)
    return _join(built, request.path)


def _bar_link(href: str, icon: str, label: str, active: bool) -> str:
    state = "active" if active else ""
    return f'        <li class="nav-item"><a class="nav-link {state}" href="{href}">{label}</a></li>\n'


def _company_link(href: str, icon: str, label: str, active: bool) -> str:
    return f'            <li><a class="dropdown-item" href="{href}"><i class="bi bi-{icon}"></i> {label}</a></li>\n'


def portal_menu(request, user) -> SafeString:
    """The portal's menu bar for a partner's person: the pages, then "Our company" with its dropdown."""
    admin = user.is_partner_admin
    distributor = admin and user.partner_membership.partner.partner_type == "distributor"
    path = request.path
    bar = _join(_build(_key(request, "portal-bar", admin), _portal_bar(admin), _bar_link), path)
    company = _join(_build(_key(request, "portal-company", admin, distributor), _portal_company(admin, distributor),
                           _company_link), path)
    toggle = _build(_key(request, "portal-company-toggle"), (Item("home", _("Our company")),),
                    lambda href, icon, label, active: label)[0].on
    state = "active" if path in PORTAL_COMPANY_PATHS else ""
    return mark_safe(
        f'{bar}        <li class="nav-item dropdown">\n'
        f'          <a class="nav-link dropdown-toggle {state}" href="#" role="button" data-bs-toggle="dropdown" '
        f'aria-expanded="false">{toggle}</a>\n'
        f'          <ul class="dropdown-menu">\n{company}          </ul>\n'
        f'        </li>\n')


def clear() -> None:
    """Forget every built menu (tests that change URLs or translations)."""
    _built.clear()


ACCOUNT_MENUS = {
    "console": (
        Item("account_change_password", _("Password"), "key"),
        Item("notification_preferences", _("Notification settings"), "bell"),
        Item("account_email", _("E-mail addresses"), "envelope"),
        Item("mfa_index", _("Two-factor authentication"), "shield-lock"),
    ),
    "portal": (
        Item("account_change_password", _("Password"), "key"),
        Item("notification_preferences", _("Notification settings"), "bell"),
        Item("mfa_index", _("Two-factor authentication"), "shield-lock"),
    ),
}
_ACCOUNT_INDENT = {"console": " " * 10, "portal": " " * 12}


def account_menu(request, site: str) -> SafeString:
    """The links of the person's own menu (password, notifications, two-factor) on `site`'s layout."""
    indent = _ACCOUNT_INDENT[site]
    return _join(_build(_key(request, f"account-{site}"), ACCOUNT_MENUS[site],
                        lambda href, icon, label, active: (f'{indent}<li><a class="dropdown-item" href="{href}">'
                                                           f'<i class="bi bi-{icon}"></i> {label}</a></li>\n')),
                 request.path)
