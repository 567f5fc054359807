"""Hostile values in every form field and query parameter of every console and portal page.

The demo world is seeded into vendor A's schema (inside the test's transaction), so the pages
render their real forms. The pages are found by walking the URL confs and following links
from the pages without arguments; each page's forms are read from its HTML (inputs, selects,
textareas, submit buttons, their form's method and action). Then one field at a time gets a
hostile value while the others keep the form's own values (or a valid-looking one), and every
query parameter the page uses gets the same values. Every answer must be below 500; when the
tenant's data changed, the change must be sane (numbers and dates within the bounds of
prm.bounds); a 4xx must change nothing.
"""

from __future__ import annotations

import re
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import Resolver404, get_resolver, resolve
from django_tenants.utils import tenant_context

from demo import data as demo
from incentives.models import MdfRequest
from prm.accounts.models import User
from prm.bounds import MAX_DATE, MAX_YEN, MIN_DATE
from tests.conftest import TenantClient
from tests.platform.test_access import _walk

HOSTILE = [
    "a\x00b",
    "²",
    "-1",
    "0",
    str(2**63),
    "99999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "x" * 10_000,
]

# Query parameters the views read by hand (request.GET), beside those found in the pages' links.
KNOWN_QUERY = {
    "deal_pipeline": ["customer", "partner", "partner_name", "owner", "stage", "registered_from", "registered_to",
                      "close_from", "close_to", "page"],
    "deal_pipeline_export": ["customer", "partner", "partner_name", "owner", "stage", "registered_from",
                             "registered_to", "close_from", "close_to"],
    "incentives_overview": ["period"],
    "incentives_payouts": ["period"],
    "incentives_audit": ["start", "end", "actor", "kind", "partner", "page", "format"],
    "incentives_plan_new": ["blank"],
    "incentives_transfer": ["period", "format"],
    "incentives_statement": ["lang"],
    "portal_deal_create": ["session"],
    "portal_deal_check": ["customer_name", "corporate_number", "web_domain"],
    "portal_library": ["q", "kind", "tag", "sort", "page"],
    "portal_faq": ["q"],
    "portal_statement": ["lang"],
    "portal_certificate": ["lang"],
    "portal_verify": ["code"],
    "partner_export": ["encoding", "q", "stage"],
    "insights:partner_qbr": ["lang", "period"],
    "insights:overview": ["format", "table"],
}
# Pages not worth sending hostile values to: sign-in plumbing, the Django admin, signing out.
SKIP_NAME = re.compile(r"^(admin:|account_|mfa_|invitation_accept$|healthz$|brand_)")
# A page is opened for up to this many objects (one in each state shows different forms); its query
# parameters are tried on the first only.
VISITS_PER_PAGE = 3
# The tables a refused request may still touch: the session and what a page view records by design.
BENIGN_TABLES = {"django_session", "prm_accounts_user", "enablement_contentaccess", "notifications_notification"}

CONSOLE_USER = demo.STAFF[0][0]  # the vendor admin: every console page
PORTAL_USER = demo.PARTNER_USERS[0][0]  # a partner admin: every portal page


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, value)
    files: list[str] = field(default_factory=list)
    submit: tuple[str, str] | None = None


class _Forms(HTMLParser):
    """Every form of a page (and the links on it)."""

    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: tuple[str, bool] | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for attr in ("hx-get",):
            if a.get(attr):
                self.links.append(a[attr])
        if tag == "form":
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or self.base
            method = "post" if (a.get("method", "").lower() == "post" or a.get("hx-post")) else "get"
            self._form = Form(method=method, action=urljoin(self.base, action))
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.files.append(name)
            elif kind in ("submit", "image"):
                if form.submit is None:
                    form.submit = (name, a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in a or not any(n == name for n, _, _ in form.fields):
                    form.fields = [f for f in form.fields if f[0] != name or kind == "checkbox"]
                    form.fields.append((name, kind, a.get("value", "on")))
            elif kind not in ("reset", "button"):
                form.fields.append((name, kind, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit") == "submit" and form.submit is None:
            form.submit = (name, a.get("value", ""))
        elif tag == "select":
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value"), "selected" in a)
            self._select[1].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._select is not None and self._option is not None and self._option[0] is None:
            options = self._select[1]
            options[-1] = (data.strip(), options[-1][1])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options if v] or [""]
            if self._form is not None:
                self._form.fields.append((name, "select", chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.fields.append((self._textarea[0], "textarea", self._textarea[1].strip()))
            self._textarea = None


def _plausible(kind: str, name: str, value: str) -> str:
    """The form's own value, or a valid-looking one where the form left it empty."""
    if value:
        return value
    soon = date.today() + timedelta(days=30)  # forms refuse a close date in the past
    return {
        "date": soon.isoformat(), "datetime-local": f"{soon.isoformat()}T10:00", "month": "2026-05", "time": "10:00",
        "number": "1", "email": "hostile@example.jp", "url": "https://example.jp/", "tel": "03-1234-5678",
        "password": "A-strong-passw0rd!", "color": "#336699",
    }.get(kind, "テスト")


class Sanity:
    """Cheap fingerprint of the tenant's data and a check that what is stored is within bounds."""

    def __init__(self, schema: str):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'"
                " ORDER BY table_name", [schema])
            self.tables = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s"
                " AND data_type IN ('bigint', 'integer', 'smallint', 'numeric', 'date')", [schema])
            self.columns = [row for row in cursor.fetchall() if not row[1].endswith("id") and row[0] in self.tables]
        self.schema = schema
        self.baseline = {table: self._hash(table) for table in self.tables if table not in BENIGN_TABLES}
        self.start()

    def _touched(self) -> dict[str, int]:
        """Rows written per table so far in this transaction (aborted savepoints included): a cheap pre-filter."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
                           " WHERE schemaname = %s", [self.schema])
            return dict(cursor.fetchall())

    def _hash(self, table: str) -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*), coalesce(sum(hashtext(ctid::text || xmin::text)), 0) FROM "{self.schema}"."{table}"')
            return cursor.fetchone()

    def start(self) -> None:
        self.touched = self._touched()
        self.hashes: dict[str, tuple[int, int]] = {}

    def changed(self) -> set[str]:
        """Tables whose rows differ from before (a write rolled back with its savepoint is no change)."""
        touched = self._touched()
        suspects = {t for t, n in touched.items() if n != self.touched.get(t, 0)} - BENIGN_TABLES
        self.touched = touched
        changed = set()
        for table in suspects:
            if table not in self.hashes:
                self.hashes[table] = self.baseline[table] if table in self.baseline else (0, 0)
            now = self._hash(table)
            if now != self.hashes[table]:
                changed.add(table)
            self.hashes[table] = now
        return changed

    def insane(self, tables: set[str]) -> list[str]:
        found = []
        with connection.cursor() as cursor:
            for table, column, kind in self.columns:
                if table not in tables:
                    continue
                if kind == "date":
                    condition = f'"{column}" NOT BETWEEN %s AND %s'
                    params = [MIN_DATE, MAX_DATE]
                else:
                    condition = f'abs("{column}") > %s'
                    params = [MAX_YEN]
                cursor.execute(f'SELECT count(*) FROM "{self.schema}"."{table}" WHERE {condition}', params)
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}")
        return found


def _url_name(path: str, urlconf: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path, urlconf=urlconf)
    except Resolver404:
        return None
    return match.view_name


def _same_site(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return url.split("#")[0]


def _discover(client: TenantClient, urlconf: str) -> tuple[dict[str, str], dict[str, list[Form]], set[str], set[str]]:
    """One real URL per page name (from the URL conf and the links between pages), and the forms on each."""
    all_names = {name: path for name, path, _entry in _walk(get_resolver(urlconf).url_patterns)}
    pages: dict[str, str] = {}
    queue = ["/" + path for name, path in all_names.items() if "<" not in path and not SKIP_NAME.match(name)
             and not re.search(r"/(sample|00000000-0000-0000-0000-000000000001|1)/", "/" + path)]
    forms: dict[str, list[Form]] = {}
    seen_paths: set[str] = set()
    paginated: set[str] = set()
    visits: dict[str, int] = defaultdict(int)
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        name = _url_name(url, urlconf)
        if name is None or SKIP_NAME.match(name) or path in seen_paths or visits[name] >= VISITS_PER_PAGE:
            continue
        seen_paths.add(path)
        visits[name] += 1
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        pages.setdefault(name, url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms(url)
        parser.feed(response.content.decode("utf-8", errors="replace"))
        forms[url] = parser.forms
        if any("page=" in link for link in parser.links):
            paginated.add(url)
        for link in parser.links + [form.action for form in parser.forms]:
            target = _same_site(urljoin(url, link))
            if target is None:
                continue
            target_name = _url_name(target, urlconf)
            if target_name and visits[target_name] < VISITS_PER_PAGE and not SKIP_NAME.match(target_name):
                queue.append(target)
        for form in parser.forms:
            if form.method == "post":
                target_name = _url_name(form.action, urlconf)
                if target_name and not SKIP_NAME.match(target_name):
                    pages.setdefault(target_name, form.action)
    unreached = {name for name in all_names if not SKIP_NAME.match(name) and not name.startswith("/")} - set(pages)
    return pages, forms, unreached, paginated


@dataclass
class Report:
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    by_status: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    accepted: int = 0


def _send(client, report: Report, sanity: Sanity, label: str, method: str, url: str, data=None):
    savepoint = transaction.savepoint()
    response = client.post(url, data) if method == "post" else client.get(url, data)
    if response.status_code >= 500:
        transaction.savepoint_rollback(savepoint)  # a failed statement must not poison the next case
    else:
        transaction.savepoint_commit(savepoint)
    report.cases += 1
    report.by_status[response.status_code] += 1
    changed = sanity.changed()
    if report.cases % 250 == 0:
        print(f"  … {report.cases} cases, {len(report.failures)} failures", flush=True)
    if response.status_code >= 500:
        report.failures.append(f"{label}: {response.status_code}")
    elif changed and response.status_code >= 400:
        report.failures.append(f"{label}: refused with {response.status_code} but changed {sorted(changed)}")
    elif changed:
        report.accepted += 1
        insane = sanity.insane(changed)
        if insane:
            report.failures.append(f"{label}: stored out-of-bounds values in {insane}")
    return response


def _shard(name: str, shards: int) -> int:
    """Which of the site's shards walks the page or form named `name` (stable across runs)."""
    return zlib.crc32(name.encode()) % shards


def _field_shape(name: str) -> str:
    """A form field's name with its row numbers taken out: rule-3-rate and rule-0-rate are one field."""
    return re.sub(r"\d+", "#", name)


def _run_site(client: TenantClient, urlconf: str, tenant, shard: int = 0, shards: int = 1) -> Report:
    report = Report()
    pages, forms, unreached, paginated = _discover(client, urlconf)
    with tenant_context(tenant):
        sanity = Sanity(tenant.schema_name)
    done_forms: set[tuple] = set()
    pages = {name: url for name, url in pages.items() if _shard(name, shards) == shard}
    for name, url in sorted(pages.items()):
        # Query parameters: those in the page's own links, the GET forms' fields and the known ones.
        params = set(KNOWN_QUERY.get(name, []))
        if url in paginated:
            params.add("page")
        base_query = dict(parse_qsl(urlsplit(url).query))
        params |= set(base_query)
        for form in forms.get(url, []):
            if form.method == "get" and _url_name(form.action, urlconf) == name:
                params |= {n for n, _kind, _value in form.fields}
        path = urlsplit(url).path
        for param in sorted(params):
            for value in HOSTILE:
                query = {**base_query, param: value}
                _send(client, report, sanity, f"GET {path}?{param}={value[:24]!r}", "get", path, query)
        _send(client, report, sanity, f"GET {path} with a NUL in a parameter's name", "get", path, {"a\x00b": "1"})
    for page_url, page_forms in forms.items():
        for form in page_forms:
            target = urlsplit(form.action).path
            target_name = _url_name(target, urlconf)
            if target_name is None or SKIP_NAME.match(target_name) or target_name == "set_language":
                continue
            if _shard(target_name, shards) != shard:
                continue
            key = (target_name, form.method, tuple(sorted({_field_shape(n) for n, _k, _v in form.fields})),
                   tuple(form.files))
            if key in done_forms:
                continue
            done_forms.add(key)
            baseline = {}
            for name, kind, value in form.fields:
                baseline.setdefault(name, []).append(_plausible(kind, name, value))
            if form.submit:
                baseline.setdefault(form.submit[0], [form.submit[1]])
            # One field of each shape: the rows of a formset share their fields' rules.
            shapes: dict[str, str] = {}
            for n, _k, _v in form.fields:
                shapes.setdefault(_field_shape(n), n)
            fuzzable = [n for n in shapes.values() if n != "csrfmiddlewaretoken"]
            if form.submit and form.submit[0] not in fuzzable:
                fuzzable.append(form.submit[0])
            for field_name in fuzzable:
                for value in HOSTILE:
                    data = {**baseline, field_name: [value]}
                    label = f"{form.method.upper()} {target} [{field_name}={value[:24]!r}] (form on {page_url})"
                    if form.method == "post":
                        response = _send(client, report, sanity, label, "post", form.action, data)
                    else:
                        response = _send(client, report, sanity, label, "get", target, data)
                    if response.status_code == 405:  # a form htmx sends another way: one answer is enough
                        break
                else:
                    continue
                break
            if form.method == "post":
                _send(client, report, sanity, f"POST {target} with a NUL in a parameter's name", "post", form.action,
                      {**baseline, "a\x00b": ["1"]})
                for file_field in form.files[:1]:
                    upload = SimpleUploadedFile("proof\x00.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
                    _send(client, report, sanity, f"POST {target} with a NUL in the name of the file in {file_field}",
                          "post", form.action, {**baseline, file_field: upload})
    report.unreached = sorted(unreached)  # type: ignore[attr-defined]
    report.pages = len(pages)  # type: ignore[attr-defined]
    report.forms = len(done_forms)  # type: ignore[attr-defined]
    return report


@pytest.fixture
def demo_world(tenant_a):
    from demo.management.commands.seed_demo import seed_tenant

    with tenant_context(tenant_a):
        seed_tenant()
        # An approved MDF request of the portal user's partner, so its claim form (amount, leads, proof) shows.
        partner = User.objects.get(email=PORTAL_USER).partner_membership.partner
        MdfRequest.objects.create(partner=partner, activity="共同セミナー", starts_on=date(2026, 10, 1),
                                  ends_on=date(2026, 10, 31), budget=100_000, approved_amount=100_000,
                                  status=MdfRequest.Status.APPROVED)
    return tenant_a


def _client(tenant, kind: str, email: str) -> TenantClient:
    with tenant_context(tenant):
        user = User.objects.get(email=email)
    client = TenantClient(tenant, kind)
    client.raise_request_exception = False
    client.force_login(user)
    return client


def _check(report: Report, site: str, started: float) -> None:
    print(f"\n{site}: {report.cases} hostile (URL, field, value) cases on {report.pages} pages and {report.forms} forms"
          f" in {time.monotonic() - started:.0f} s; statuses {dict(sorted(report.by_status.items()))};"
          f" {report.accepted} accepted with a sane change; not reached: {report.unreached}")
    assert not report.failures, f"{len(report.failures)} failures:\n" + "\n".join(report.failures[:200])


CONSOLE_SHARDS = 4  # the console's pages and forms in four parts, so parallel test processes share them


@pytest.mark.walk
@pytest.mark.parametrize("shard", range(CONSOLE_SHARDS))
def test_it_survives_hostile_input_on_every_console_page(demo_world, shard):
    started = time.monotonic()
    report = _run_site(_client(demo_world, "console", CONSOLE_USER), "prm.urls_console", demo_world, shard,
                       CONSOLE_SHARDS)
    _check(report, f"console (part {shard + 1} of {CONSOLE_SHARDS})", started)


@pytest.mark.walk
def test_it_survives_hostile_input_on_every_portal_page(demo_world):
    started = time.monotonic()
    report = _run_site(_client(demo_world, "portal", PORTAL_USER), "prm.urls_portal", demo_world)
    _check(report, "portal", started)


def test_the_known_query_parameters_belong_to_real_pages():
    names = {name for conf in ("prm.urls_console", "prm.urls_portal") for name, _p, _e in _walk(get_resolver(conf).url_patterns)}
    assert set(KNOWN_QUERY) - names == set()
