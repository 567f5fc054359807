"""./kyoso bench web [--runs N] — page budgets over HTTP, each page against a bare view in the same run.

Serves the production settings (bench/kyoso_bench_site.py: production plus the bare view) with gunicorn,
3 sync workers with prm.gunicorn_conf as the Dockerfile runs them, on a free port of 127.0.0.1, against the benchmark database.
Then loads each page for N seconds (--runs, 10 by default; 1 under --smoke) from 6 threads, each keeping
one request in flight, the bare view for as long before each page, and prints one table: requests per
second, p50/p95/p99, the share of the bare view's requests per second (its measurements pooled), and the CPU
a request took in the web server and in PostgreSQL (when it runs on this machine, as the embedded one does: it
shares the cores, so a page's statements cost throughput there too).

The pages: the console's partner list and a partner's page as a channel manager, the portal's home and
a deal registration POST (a new customer each time, answered by the redirect) as a partner rep, in the
vendor "benchweb": 10,000 partners and 1,000,000 registrations, seeded once and kept between runs
(drop it in the admin or with `vendor.delete(force_drop=True)` to seed afresh).

KYOSO_BENCH_WEB_BEFORE=/path/to/another/checkout serves that checkout's code as well, with the same
database, settings and sessions, and measures its pages alternately with this one's: the table then has
a "before" and an "after" column (`git worktree add /tmp/web-before <commit>` makes one).
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.common import percentile

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 6
WORKERS = 3
BARE_PATH = "/__bench__/bare/"
SESSION_COOKIE = "sessionid"
CSRF_TOKEN = "b" * 32  # the unmasked secret is a valid form token too; cookie and field carry the same


@dataclass
class Endpoint:
    label: str
    host: str
    path: str
    cookie: str = ""
    expect: int = 200
    post: bool = False


@dataclass
class Figures:
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    wrong: dict[int, int] = field(default_factory=dict)
    sent: int = 0  # warm-up included
    cpu: float = 0.0  # seconds of CPU the server's processes spent meanwhile
    db_cpu: float | None = None  # seconds of CPU PostgreSQL's processes spent meanwhile (None: not on this machine)

    @property
    def cpu_ms(self) -> float:
        """The server's CPU per request: steadier than latency on a machine others share."""
        return self.cpu / self.sent * 1000 if self.sent else float("nan")

    @property
    def db_cpu_ms(self) -> float:
        """PostgreSQL's CPU per request: it shares this machine's cores with the web server."""
        return self.db_cpu / self.sent * 1000 if self.sent and self.db_cpu is not None else float("nan")

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        return percentile(self.latencies, share) * 1000


def bench_web(runs: int) -> None:
    from bench import common

    seconds = float(max(1, runs))
    setup = _seed(common)
    trees = [("after", ROOT)]
    before = os.environ.get("KYOSO_BENCH_WEB_BEFORE", "").strip()
    if before:
        trees.insert(0, ("before", Path(before).resolve()))
    workers = 1 if common.SMOKE else WORKERS
    servers = {}
    try:
        for label, tree in trees:
            servers[label] = _serve(tree, setup, workers=workers, smoke=common.SMOKE)
        results: dict[str, dict[str, Figures]] = {label: {} for label, _ in trees}
        anchors: dict[str, dict[str, Figures]] = {label: {} for label, _ in trees}
        database = _database_processes()
        bare, pages = setup.endpoints[0], setup.endpoints[1:]
        for endpoint in pages:
            for label, _ in trees:
                if endpoint.post:
                    # Each server posts into an empty slate: the deals the other server's load posted all belong to
                    # the partner whose rep posts, and the second server measured with them was the slower in each
                    # of five runs (same code both sides, ×0.72 to ×0.95, with more PostgreSQL CPU a request). The
                    # deletion leaves dead rows, vacuumed at once: else autovacuum cleans them up during the second
                    # server's load alone, and its CPU is counted there (an A/A run gave ×0.84, 2.5 against 1.9 ms).
                    _drop_posted_registrations(setup.schema)
                    _vacuum_dead_rows(setup.schema)
                # The anchor is measured again before each page, on the same server, and the measurements pooled: the
                # machine's speed drifts during a run (one measurement each gave 1,724 and 1,391 req/s in one run,
                # same code), and a page is not compared with its neighbour alone either: the one before the
                # registration was the lowest of its server's four in each of four series.
                anchors[label][endpoint.label] = _measure(servers[label], bare, seconds, database, label)
                results[label][endpoint.label] = _measure(servers[label], endpoint, seconds, database, label)
        for label, _ in trees:
            results[label][bare.label] = _pooled(list(anchors[label].values()))
    finally:
        for server in servers.values():
            server.stop()
    _print_table(setup.endpoints, results, anchors, seconds, workers)


def _pooled(measured: list[Figures]) -> Figures:
    """Several loads of one endpoint as one: their requests over their seconds together."""
    pooled = Figures(count=sum(figures.count for figures in measured),
                     seconds=sum(figures.seconds for figures in measured),
                     sent=sum(figures.sent for figures in measured), cpu=sum(figures.cpu for figures in measured))
    for figures in measured:
        pooled.latencies.extend(figures.latencies)
    if all(figures.db_cpu is not None for figures in measured):
        pooled.db_cpu = sum(figures.db_cpu or 0.0 for figures in measured)
    return pooled


def _measure(server: Server, endpoint: Endpoint, seconds: float, database, label: str) -> Figures:
    """`endpoint` loaded on `server` for `seconds`, with the server's and PostgreSQL's CPU meanwhile."""
    cpu_before, db_before = server.cpu_seconds(), _cpu_seconds(database)
    figures = _load(server.port, endpoint, seconds)
    figures.cpu = server.cpu_seconds() - cpu_before
    if database is not None:
        figures.db_cpu = _cpu_seconds(database) - db_before
    if figures.wrong or not figures.count:
        raise AssertionError(f"web: {label} {endpoint.label} answered {figures.wrong or 'nothing'} "
                             f"(expected {endpoint.expect})\n{server.log_tail()}")
    return figures


# ----------------------------------------------------------------------------- data and sessions


@dataclass
class Setup:
    endpoints: list[Endpoint]
    secret_key: str
    hosts: list[str]
    schema: str


def _seed(common) -> Setup:
    """The vendor with its partners, registrations and two signed-in people (a session cookie each)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django_tenants.utils import tenant_context

    from partners.models import Partner, PartnerMembership, Stage

    vendor = common._tenant("benchweb", "ベンチウェブ株式会社")
    User = get_user_model()
    secret_key = secrets.token_urlsafe(64)
    with tenant_context(vendor):
        manager, _ = User.objects.get_or_create(email="manager@benchweb.example",
                                                defaults={"role": "channel_manager", "full_name": "ベンチ 担当"})
        common.seed_partners(manager)
        partner_ids = list(Partner.objects.order_by("pk").values_list("pk", flat=True))
        _drop_posted_registrations(vendor.schema_name)
        common.seed_registrations(partner_ids, common.size(1_000_000))
        # A partner that may register deals: past planning and recruiting (partners.lifecycle), not terminated.
        partner = Partner.objects.filter(stage__in=[Stage.ACTIVATION, Stage.RETENTION]).order_by("pk").first()
        rep, created = User.objects.get_or_create(email="rep@benchweb.example",
                                                  defaults={"role": "partner_rep", "full_name": "ベンチ 営業"})
        if created:
            PartnerMembership.objects.create(user=rep, partner=partner)
        partner = rep.partner_membership.partner
        cookies = {}
        with override_settings(SECRET_KEY=secret_key):  # the server signs and checks with this key
            for person in (manager, rep):
                client = Client()
                client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
                cookies[person.pk] = client.cookies[SESSION_COOKIE].value
    console = vendor.domain_for("console").domain
    portal = vendor.domain_for("portal").domain
    connection.set_schema_to_public()
    session = f"{SESSION_COOKIE}={{}}; csrftoken={CSRF_TOKEN}"
    endpoints = [
        Endpoint("bare view", console, BARE_PATH),
        Endpoint("console: partner list", console, "/partners/", session.format(cookies[manager.pk])),
        Endpoint("console: partner detail", console, f"/partners/{partner.pk}/", session.format(cookies[manager.pk])),
        Endpoint("portal: home", portal, "/", session.format(cookies[rep.pk])),
        Endpoint("portal: deal registration POST", portal, "/deals/new/", session.format(cookies[rep.pk]),
                 expect=302, post=True),
    ]
    return Setup(endpoints=endpoints, secret_key=secret_key, hosts=[console, portal], schema=vendor.schema_name)


POSTED_PREFIX = "株式会社ベンチ新規"  # the customers the registration POSTs register


def _drop_posted_registrations(schema: str) -> None:
    """Deletes the deals earlier registration POSTs added, in the run's vendor, and what each registration left
    beside its deal: the two notifications, the outbox event and the partner's contact signal (none of them points
    at the deal by a foreign key, so the deletion's cascade missed them). The deals all went to the partner whose
    page and portal home are measured: without this, each run measured that partner with a thousand or more open
    deals than the run before (the partner page's figures read every open deal of the partner), and its rep and
    the manager with some 2,000 more notifications, the partner with 2,000 more signals."""
    from django_tenants.utils import schema_context

    from deals.models import DealRegistration
    from deals.services import signal_source
    from partners.models import ContactSignal
    from prm.notifications.models import Notification
    from prm.outbox.models import OutboxEvent

    started = time.perf_counter()
    with schema_context(schema):
        posted = DealRegistration.objects.filter(customer_name__startswith=POSTED_PREFIX)
        ids = list(posted.values_list("pk", flat=True))
        if not ids:
            return
        deleted = posted.delete()[1]
        left = (Notification.objects.filter(kind__in=["deal_registered", "deal_received"], title__contains=POSTED_PREFIX)
                .delete()[0]
                + OutboxEvent.objects.filter(object_type="deal", object_id__in=[str(pk) for pk in ids]).delete()[0]
                + ContactSignal.objects.filter(source__in=[signal_source(pk) for pk in ids]).delete()[0])
    count = deleted.get(DealRegistration._meta.label, 0)
    print(f"web: deleted the {count:,} registrations earlier POSTs added and the {left:,} notifications, outbox "
          f"events and contact signals they left, in {time.perf_counter() - started:.1f} s")


def current_table_statistics(cursor) -> None:
    """Makes pg_stat_user_tables, as `cursor`'s connection reads it next, hold every write made so far. Statistics
    reach it when a backend goes idle, at most once a second (PostgreSQL 15+): this connection's at once, other
    connections' (the web servers') within the second waited here."""
    from django.db import connection

    if connection.pg_version >= 150000:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.1)
    cursor.execute("SELECT pg_stat_clear_snapshot()")


def _vacuum_dead_rows(schema: str) -> None:
    """VACUUM (ANALYZE) of the vendor's tables that hold dead rows (pg_stat_user_tables): what the deletion above left,
    and whatever a load before wrote over, so that no autovacuum of theirs runs during the next load.

    INDEX_CLEANUP ON: by default VACUUM leaves the indexes alone when under 2% of a table's pages hold dead rows, as
    a deletion of some 2,000 deals among 1,000,000 does ("index scan bypassed"). Their index entries then stayed,
    more after each load, and each server's registrations searched the customer-key indexes through all the posted
    deals deleted before it: the second server's registration measured slower run after run (×1.09, ×0.89, ×0.82
    and, same code both sides, ×0.78, with 2.6 against 1.8 ms of PostgreSQL CPU a request)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        current_table_statistics(cursor)
        cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s AND n_dead_tup > 0 ORDER BY relname",
                       [schema])
        tables = [name for (name,) in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'VACUUM (ANALYZE, INDEX_CLEANUP ON) "{schema}"."{table}"')
    if tables:
        print(f"web: vacuumed {len(tables)} tables with dead rows in {time.perf_counter() - started:.1f} s")


def _registration_body() -> bytes:
    from datetime import date, timedelta

    key = uuid.uuid4().hex[:12]
    return urlencode({
        "csrfmiddlewaretoken": CSRF_TOKEN, "customer_name": f"{POSTED_PREFIX}{key}", "web_domain": f"new{key}.co.jp",
        "amount": "500000", "expected_close": (date.today() + timedelta(days=30)).isoformat(),
        **{role: "partner" for role in ("role_lead", "role_proposal", "role_contract", "role_billing", "role_support")},
    }).encode()


# ----------------------------------------------------------------------------- the server


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process, self.port, self.log = process, port, log

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def cpu_seconds(self) -> float:
        """User and system CPU of gunicorn and its workers so far."""
        import psutil

        try:
            return _tree_cpu_seconds(psutil.Process(self.process.pid))
        except psutil.NoSuchProcess:
            return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _database_processes():
    """PostgreSQL's postmaster when it runs on this machine and this user may read its data directory (the embedded
    server): its processes' CPU is counted per page. None for a server elsewhere."""
    import psutil
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            folder = Path(cursor.fetchone()[0])
        return psutil.Process(int((folder / "postmaster.pid").read_text().split()[0]))
    except Exception:  # noqa: BLE001 — no right to read the setting, another machine's server, a file we may not read
        return None


def _cpu_seconds(postmaster) -> float:
    """User and system CPU of PostgreSQL's processes so far (0 without a postmaster here)."""
    import psutil

    if postmaster is None:
        return 0.0
    try:
        return _tree_cpu_seconds(postmaster)
    except psutil.NoSuchProcess:
        return 0.0


def _tree_cpu_seconds(root) -> float:
    """User and system CPU of a process and its descendants so far: the running ones', and the ended ones' that
    their parents collected (children_user, children_system). A process that exits takes its CPU out of the running
    ones (an autovacuum worker during the registration's load made PostgreSQL's count less than nothing); once
    collected, its parent holds it. Raises NoSuchProcess when `root` itself has ended."""
    import psutil

    own = root.cpu_times()
    total = own.user + own.system + own.children_user + own.children_system
    for process in root.children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:  # ended meanwhile: counted in its parent's children_* once collected
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _static_fingerprint(tree: Path) -> str:
    """Names, sizes and times of the static files: collectstatic runs again only when one changed."""
    import hashlib

    digest = hashlib.sha256()
    for folder in sorted(tree.glob("*/static")) + sorted(tree.glob("*/*/static")):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(tree)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _serve(tree: Path, setup: Setup, *, workers: int, smoke: bool) -> Server:
    """gunicorn serving `tree`'s code under the production settings (plus the bare view)."""
    scratch = Path(tempfile.mkdtemp(prefix="kyoso-bench-web-"))
    # Kept between runs (collectstatic compresses every file: a minute of CPU); one per checkout.
    import hashlib

    name = hashlib.sha256(str(tree).encode()).hexdigest()[:12]
    static_root = Path(tempfile.gettempdir()) / f"kyoso-bench-web-static-{'smoke' if smoke else 'full'}-{name}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kyoso_bench_site",
        "PYTHONPATH": os.pathsep.join([str(tree), str(ROOT / "bench")]),
        "SECRET_KEY": setup.secret_key,
        "ALLOWED_HOSTS": ",".join(setup.hosts),
        "KYOSO_BENCH_STATIC_ROOT": str(static_root),
        "KYOSO_BENCH_STATIC_PLAIN": "1" if smoke else "0",
        "KYOSO_DATA_DIR": os.environ.get("KYOSO_DATA_DIR") or str(ROOT / ".kyoso"),
        "SECURE_HSTS_SECONDS": "0",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not env.get(name):
            raise SystemExit(f"web: {name} must be set (./kyoso bench sets it)")
    fingerprint, stamp = _static_fingerprint(tree), static_root / ".kyoso-bench-fingerprint"
    if not stamp.exists() or stamp.read_text() != fingerprint:
        subprocess.run([sys.executable, str(tree / "manage.py"), "collectstatic", "--noinput", "--verbosity", "0"],
                       env=env, cwd=tree, check=True)
        stamp.write_text(fingerprint)
    port = _free_port()
    log = scratch / "gunicorn.log"
    with log.open("wb") as out:
        # How the Dockerfile starts it (python:prm.gunicorn_conf); a "before" checkout older than that config
        # is served as it was then.
        serve = (["--config", "python:prm.gunicorn_conf"] if (tree / "prm" / "gunicorn_conf.py").exists()
                 else ["prm.wsgi:application", "--worker-class", "sync"])
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *serve, "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--timeout", "120"],
            env=env, cwd=tree, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 90
    bare = setup.endpoints[0]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"web: gunicorn for {tree} exited with {process.returncode}\n{server.log_tail()}")
        try:
            if _request(port, bare)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise SystemExit(f"web: gunicorn for {tree} did not answer within 90 s\n{server.log_tail()}")


# ----------------------------------------------------------------------------- the load


def _request(port: int, endpoint: Endpoint, connection: http.client.HTTPConnection | None = None) -> tuple[int, float]:
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": endpoint.host, "X-Forwarded-Proto": "https", "Cookie": endpoint.cookie}
    body = None
    if endpoint.post:
        body = _registration_body()
        headers.update({"Content-Type": "application/x-www-form-urlencoded",
                        "Origin": f"https://{endpoint.host}", "Referer": f"https://{endpoint.host}{endpoint.path}"})
    started = time.perf_counter()
    connection.request("POST" if endpoint.post else "GET", endpoint.path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


def _load(port: int, endpoint: Endpoint, seconds: float) -> Figures:
    """CONCURRENCY threads, one request in flight each, for `seconds` after a short warm-up.

    One request is answered first, untimed: a worker's first page (templates compiled, per-process
    caches filled) may take longer than a smoke run's whole window, which then counts nothing."""
    primer = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    _request(port, endpoint, primer)
    primer.close()
    warm_until = time.monotonic() + min(1.0, seconds / 5)
    stop_at = warm_until + seconds
    figures = Figures(count=0, seconds=seconds)
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, wrong, sent = [], {}, 0
        while (now := time.monotonic()) < stop_at:
            status, took = _request(port, endpoint, connection)
            sent += 1
            if now < warm_until:
                continue
            latencies.append(took)
            if status != endpoint.expect:
                wrong[status] = wrong.get(status, 0) + 1
        connection.close()
        with lock:
            figures.sent += sent
            figures.latencies.extend(latencies)
            for status, count in wrong.items():
                figures.wrong[status] = figures.wrong.get(status, 0) + count

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.count = len(figures.latencies)
    return figures


def _print_table(endpoints: list[Endpoint], results: dict[str, dict[str, Figures]],
                 anchors: dict[str, dict[str, Figures]], seconds: float, workers: int) -> None:
    labels = list(results)
    print(f"web: gunicorn {workers} sync workers, production settings, {CONCURRENCY} connections, "
          f"{seconds:.0f} s a page; latencies in ms; cpu/req: ms of the web server's CPU a request; "
          f"db/req: ms of PostgreSQL's CPU a request (its backends and background processes, on this machine); "
          f"÷ bare: a page's req/s ÷ the bare view's, measured on the same server for as long before each page "
          f"and pooled (the bare view's row)")
    width = max(len(endpoint.label) for endpoint in endpoints)
    head = f"{'endpoint':<{width}}"
    for label in labels:
        head += f" | {label + ' req/s':>13} {'p50':>6} {'p95':>6} {'p99':>6} {'÷ bare':>7} {'cpu/req':>7} {'db/req':>6}"
    print(head)
    print("-" * len(head))
    for endpoint in endpoints:
        line = f"{endpoint.label:<{width}}"
        for label in labels:
            figures = results[label][endpoint.label]
            bare = results[label][endpoints[0].label].per_second
            share = figures.per_second / bare if bare else float("nan")
            line += (f" | {figures.per_second:>13.1f} {figures.percentile(0.5):>6.1f} {figures.percentile(0.95):>6.1f} "
                     f"{figures.percentile(0.99):>6.1f} {share:>7.1%} {figures.cpu_ms:>7.1f} {figures.db_cpu_ms:>6.1f}")
        print(line)
    for label in labels:
        print(f"web: {label}: the bare view before each page, req/s: " + ", ".join(
            f"{figures.per_second:,.1f} ({page})" for page, figures in anchors[label].items()))
    if len(labels) == 2:
        changes = []
        for endpoint in endpoints[1:]:
            old, new = (results[label][endpoint.label] for label in labels)
            changes.append(f"{endpoint.label} ×{new.per_second / old.per_second:.2f}")
        print("web: req/s after ÷ before: " + ", ".join(changes))
    print(f"web: samples {', '.join(f'{label} {sum(f.count for f in results[label].values())}' for label in labels)}"
          f" (median bare {statistics.median(results[labels[-1]][endpoints[0].label].latencies) * 1000:.1f} ms)")
