"""Growth benchmark: what one more vendor costs as the platform grows (./kyoso bench tenants).

At 10, 100 and 1,000 vendors (KYOSO_BENCH_TENANT_SIZES to change; --smoke: 2 and 3) it prints
- the median time to create a vendor: the schema copied from the template, and the whole
  vendor_create of the platform admin (domains, first admin's invitation);
- a no-op start: `manage.py setup_platform` in its own process when no migration changed (and, up
  to 200 vendors, the walk over every schema it replaced: `migrate_schemas --tenant`);
- the nightly fan-out: enqueueing one job for every vendor (prm.tasks.tenants_fan_out) to a queue
  of its own, purged afterwards;
- the memory of a web process once it has served a page of every vendor.

The vendors it adds have slugs starting "bench" (or "smoke") and are deleted at the end.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEMORY_PROBE = r"""
import os, sys
import django
django.setup()
from django.test import Client
from prm.tenancy.models import Domain
hosts = list(Domain.objects.filter(kind="console", tenant__slug__startswith=sys.argv[1]).values_list("domain", flat=True))
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
before = rss()
for host in hosts:
    response = Client(HTTP_HOST=host).get("/accounts/login/")
    assert response.status_code == 200, (host, response.status_code)
print(f"{before} {rss()} {len(hosts)}")
"""


def _sizes(smoke: bool) -> list[int]:
    if smoke:
        return [2, 3]
    raw = os.environ.get("KYOSO_BENCH_TENANT_SIZES", "10,100,1000")
    return sorted({max(1, min(int(part), 5000)) for part in raw.split(",") if part.strip()})


def _filler(prefix: str, n: int):
    """A vendor as the platform admin makes it, without the first admin (nobody signs in to these)."""
    from prm.tenancy.models import Domain, Vendor
    from prm.tenancy.services import default_domains, schema_name_for

    slug = f"{prefix}{n:04d}"
    vendor = Vendor(schema_name=schema_name_for(slug), slug=slug, name=f"ベンチ{n}株式会社")
    vendor.save(verbosity=0)
    console, portal = default_domains(slug)
    Domain.objects.create(domain=console, tenant=vendor, kind=Domain.Kind.CONSOLE, is_primary=True)
    Domain.objects.create(domain=portal, tenant=vendor, kind=Domain.Kind.PORTAL, is_primary=False)
    return vendor


def _timed_process(args: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=os.environ.copy(),
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def _fan_out_seconds(queue: str) -> tuple[float, int]:
    from prm.celery import app
    from prm.tasks import tenants_fan_out

    started = time.perf_counter()
    sent = tenants_fan_out("prm.tasks.tenant_probe", 3600, queue=queue)
    elapsed = time.perf_counter() - started
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    return elapsed, len(sent)


def bench_tenants(runs: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from prm.tenancy import template
    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_create

    smoke = "--smoke" in sys.argv  # bench/run.py's flag: tiny sizes
    prefix = f"{'smoke' if smoke else 'bench'}t{uuid.uuid4().hex[:4]}"
    call_command("setup_platform", verbosity=0)
    assert template.template_script() is not None, "setup_platform did not build the template schema"
    # The first admins' invitations are rendered and dropped, not queued to a worker that may not run.
    saved = settings.KYOSO_EMAIL_DELIVERY, settings.EMAIL_BACKEND
    settings.KYOSO_EMAIL_DELIVERY, settings.EMAIL_BACKEND = "inline", "django.core.mail.backends.locmem.EmailBackend"
    made = 0
    rows = []
    try:
        for target in _sizes(smoke):
            build = time.perf_counter()
            while made < target:
                _filler(prefix, made)
                made += 1
            build = time.perf_counter() - build
            creates = []
            for run in range(runs):
                slug = f"{prefix}x{made}-{run}"
                started = time.perf_counter()
                created = vendor_create(slug=slug, name=f"ベンチ作成{run}", admin_email=f"admin@{slug}.example")
                creates.append(time.perf_counter() - started)
                connection.set_schema_to_public()
                created.vendor.delete(force_drop=True)
                connection.set_schema_to_public()
            saves = []
            for run in range(runs):
                started = time.perf_counter()
                vendor = _filler(f"{prefix}s", made * 100 + run)
                saves.append(time.perf_counter() - started)
                connection.set_schema_to_public()
                vendor.delete(force_drop=True)
                connection.set_schema_to_public()
            total = Vendor.objects.exclude(schema_name="public").count()
            start = _timed_process(["setup_platform", "--verbosity", "0"])
            walk = None
            if total <= 200 and not smoke:
                walk = _timed_process(["migrate_schemas", "--tenant", "--verbosity", "0"])
            fan_out, sent = _fan_out_seconds(f"bench-fan-out-{uuid.uuid4().hex[:8]}")
            probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE, prefix], cwd=ROOT, env=os.environ.copy(),
                                   capture_output=True, text=True)
            if probe.returncode != 0:
                raise RuntimeError(f"memory probe failed:\n{probe.stderr[-2000:]}")
            rss_before, rss_after, served = (int(part) for part in probe.stdout.split()[-3:])
            rows.append((total, statistics.median(saves), statistics.median(creates), start, walk, fan_out, sent,
                         rss_before, rss_after, served, build))
            print(f"tenants: {total} vendors — create: schema copy median {statistics.median(saves) * 1000:.0f} ms "
                  f"(max {max(saves) * 1000:.0f}), vendor_create median {statistics.median(creates) * 1000:.0f} ms "
                  f"(max {max(creates) * 1000:.0f}); no-op start (setup_platform) {start:.2f} s"
                  + (f", old walk (migrate_schemas --tenant) {walk:.1f} s" if walk is not None else "")
                  + f"; fan-out enqueue {fan_out * 1000:.0f} ms for {sent} vendors; web process "
                  f"{rss_before} MB → {rss_after} MB after one page of each of {served} vendors "
                  f"[{made} vendors built in {build:.0f} s; load average {os.getloadavg()[0]:.1f} on "
                  f"{os.cpu_count()} cores]", flush=True)
    finally:
        settings.KYOSO_EMAIL_DELIVERY, settings.EMAIL_BACKEND = saved
        connection.set_schema_to_public()
        for vendor in Vendor.objects.filter(slug__startswith=prefix):
            vendor.delete(force_drop=True)
            connection.set_schema_to_public()
    print("tenants: vendors | copy ms | vendor_create ms | no-op start s | old walk s | fan-out ms | web MB")
    for total, save, create, start, walk, fan_out, _sent, _before, after, _served, _build in rows:
        print(f"tenants: {total:>7} | {save * 1000:>7.0f} | {create * 1000:>16.0f} | {start:>13.2f} | "
              f"{'-' if walk is None else f'{walk:.1f}':>10} | {fan_out * 1000:>10.0f} | {after:>6}")
