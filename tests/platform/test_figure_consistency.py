"""Every figure about a partner is the same on every screen that shows it (prm.figures).

The demo vendor is seeded, every screen that shows a partner's figures is rendered (portal programme,
business plan, team learning and recognition; console partner detail with its health card and plan,
insights tables; the QBR pack's HTML and the text of its PDF), and each figure rendered with the
{% figure %} tag is collected as (screen, partner, key, window, value). Figures with the same partner,
key and window must be equal everywhere.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from html.parser import HTMLParser

from django.core.management import call_command
from django.utils import timezone, translation
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from demo import data as demo_data
from insights import qbr
from partners.models import Partner
from prm.accounts.models import User
from prm.tenancy.models import Vendor
from programs.recognition import periods
from tests.conftest import TenantClient

# Below this many comparisons the test would prove little: the demo shows far more.
MINIMUM_PAIRS = 150


class _Figures(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[int, str, str, int]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-figure" in attributes and attributes.get("data-partner") and attributes.get("data-value"):
            self.found.append((int(attributes["data-partner"]), attributes["data-figure"], attributes["data-window"],
                               int(attributes["data-value"])))


def figures_in(html: str) -> list[tuple[int, str, str, int]]:
    parser = _Figures()
    parser.feed(html)
    return parser.found


class Collector:
    def __init__(self):
        self.seen: dict[tuple[int, str, str], dict[str, int]] = defaultdict(dict)
        self.screens: set[str] = set()

    def add(self, screen: str, html: str, *, expect: bool = True) -> list[tuple[int, str, str, int]]:
        found = figures_in(html)
        assert found or not expect, f"{screen} shows no catalogued figure"
        for partner_id, key, window, value in found:
            values = self.seen[(partner_id, key, window)]
            # one screen may show a figure twice (the QBR's cover and its table): it must agree with itself
            assert values.get(screen, value) == value, (screen, partner_id, key, window, values[screen], value)
            values[screen] = value
        self.screens.add(screen.split(" ")[0])
        return found

    def disagreements(self) -> list:
        return [(key, values) for key, values in self.seen.items() if len(set(values.values())) > 1]

    def pairs_compared(self) -> int:
        """(screen, figure) observations that have at least one other screen to agree with."""
        return sum(len(values) for values in self.seen.values() if len(values) > 1)


def _get(client: TenantClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_it_shows_every_partner_figure_the_same_on_every_screen(db, record_property):
    call_command("seed_demo", verbosity=0)
    vendor = Vendor.objects.get(slug=demo_data.DEMO_SLUG)
    collector = Collector()
    today = timezone.localdate()
    with tenant_context(vendor):
        start_month = vendor.fiscal_year_start_month or 4
        manager = User.objects.get(email=demo_data.STAFF[1][0])
        admins = {email: partner for email, _name, _kana, role, partner in
                  demo_data.PARTNER_USERS + demo_data.HEALTH_USERS if role == "partner_admin"}
        partners = {p.name: p for p in Partner.objects.all()}
        year = periods.period_containing(periods.YEAR, today, start_month)
        quarter = periods.period_containing(periods.QUARTER, today, start_month)
        last_quarter = qbr.default_period(today)
        qbr_partners = [p for p in partners.values() if p.plans.exists()]
    console = TenantClient(vendor, "console")
    console.force_login(manager)

    with translation.override("ja"):
        # ---- portal, as each partner's administrator
        for email, partner_name in admins.items():
            with tenant_context(vendor):
                user = User.objects.get(email=email)
            portal = TenantClient(vendor, "portal")
            portal.force_login(user)
            pk = partners[partner_name].pk
            collector.add(f"portal_program #{pk}", _get(portal, "/program/"), expect=False)
            collector.add(f"portal_plan #{pk}", _get(portal, "/plan/"), expect=False)
            collector.add(f"portal_team_learning #{pk}", _get(portal, "/learning/team/"))
            for period in (year, quarter):
                for metric in ("revenue", "deals", "certified"):
                    collector.add(f"portal_recognition #{pk}",
                                  _get(portal, f"/recognition/?period={period.key}&metric={metric}"))

        # ---- console: every partner's page (health card, business plan), the insights tables, the QBR packs
        for partner in partners.values():
            collector.add(f"console_partner_detail #{partner.pk}", _get(console, f"/partners/{partner.pk}/"),
                          expect=False)
        for query in ("", "?period=fy", "?period=quarter"):
            collector.add("console_insights", _get(console, f"/insights/{query}"))
        for page in (1, 2):  # the partner list's health column, every partner on its two pages at most
            collector.add("console_partner_list", _get(console, f"/partners/?sort=-health&page={page}"), expect=page == 1)
        pdf_checked = 0
        for partner in qbr_partners:
            for period in (last_quarter, year):
                with tenant_context(vendor):
                    html = qbr.render_html(partner, period=period, language="ja")
                found = collector.add(f"qbr_html #{partner.pk}", html)
                if period is year and pdf_checked < 3:  # the PDF is slow: its text is checked for a few packs
                    with tenant_context(vendor):
                        pdf = qbr.render_pdf(partner, period=period, language="ja")
                    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
                    for _partner, key, window, value in found:
                        shown = f"{value:,}"
                        assert shown in text, (partner.name, key, window, shown)
                        collector.seen[(partner.pk, key, window)]["qbr_pdf"] = value
                    pdf_checked += 1

    with tenant_context(vendor):
        checked = _checklist_agrees_with_timeline_and_certifications()

    disagreements = collector.disagreements()
    pairs = collector.pairs_compared()
    record_property("figure_pairs_compared", pairs)
    print(f"\n(screen, figure) pairs compared: {pairs}; figures: {len(collector.seen)}; "
          f"screens: {sorted(collector.screens)}; checklist items checked against the timeline: {checked}")
    assert not disagreements, "\n".join(f"{key}: {values}" for key, values in disagreements)
    assert pairs >= MINIMUM_PAIRS, pairs
    # every kind of screen took part in a comparison
    compared_screens = {screen.split(" ")[0] for values in collector.seen.values() if len(values) > 1
                        for screen in values}
    assert {"portal_program", "portal_plan", "portal_team_learning", "portal_recognition", "console_partner_detail",
            "console_insights", "qbr_html", "qbr_pdf"} <= compared_screens, compared_screens


def _checklist_agrees_with_timeline_and_certifications() -> int:
    """A ticked onboarding item and its timeline event show one day; 「認定資格の取得」 is ticked only for a
    partner that earned a certification, on that day; the health card never says nobody is certified yet
    beside it."""
    from enablement.selectors import first_certifications
    from insights.health.actions import next_best_actions
    from partners.models import ChecklistItem, EventKind, PartnerEvent, SignalKind

    events: dict[tuple[int, str], list] = defaultdict(list)
    for event in PartnerEvent.objects.filter(kind=EventKind.CHECKLIST_DONE):
        events[(event.partner_id, event.data.get("item"))].append(timezone.localdate(event.occurred_at))
    done = list(ChecklistItem.objects.filter(completed_at__isnull=False).select_related("partner"))
    assert done
    checked = 0
    for item in done:
        days = events.get((item.partner_id, item.title))
        if days:
            assert days == [timezone.localdate(item.completed_at)], (item.partner.name, item.title, days,
                                                                      item.completed_at)
            checked += 1
    first = first_certifications(None)
    for item in done:
        if item.auto_event == SignalKind.CERTIFIED:
            assert item.partner_id in first, item.partner.name
            # ticked when the system first saw a certification (one may be recorded later with an earlier date)
            assert item.completed_at >= first[item.partner_id], item.partner.name
            with translation.override("en"):
                texts = [action.text for action in next_best_actions(item.partner, limit=20)]
            assert not [text for text in texts if "Nobody is certified yet" in text], item.partner.name
    assert checked >= 20, checked
    return checked

