"""Platform benchmarks: ./kyoso bench [create_vendor] [partners] [matching] [incentives] [enablement] [health]
[mapping] [email] [import] [vendor_archive] [invoices] [export] [webhooks] [api] [web] [tenants] [search]
[queries] [ALL]
[--runs N] [--smoke]

Prints figures; asserts nothing. Each family of benchmarks has its module in bench/ (vendors, partners, deals,
programs, incentives, enablement, health, mapping, imports, mail, webhooks, api, web, tenants, search, queries; what they share is
in bench/common.py); this module keeps the table of targets and main().

--smoke runs each benchmark at a tiny size (a thousandth of its data, one run) in vendors of its own
(slugs starting "smoke"), which it deletes afterwards: the test suite runs every target this way so a
broken benchmark fails CI. Its figures mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Run as a script, this module is __main__: whoever imports bench.run gets this one, not a second copy.
sys.modules.setdefault("bench.run", sys.modules[__name__])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")

from bench import common  # noqa: E402  (after sys.path is set)
from bench.common import _smoke_sql, _tenant, seed_registrations, size  # noqa: E402
from bench.deals import bench_deals, bench_matching  # noqa: E402
from bench.enablement import bench_enablement  # noqa: E402
from bench.health import bench_health  # noqa: E402
from bench.imports import bench_export, bench_import  # noqa: E402
from bench.incentives import _commission_run_child, bench_commissions, bench_incentives, bench_invoices  # noqa: E402
from bench.mail import bench_email  # noqa: E402
from bench.mapping import bench_mapping  # noqa: E402
from bench.partners import bench_partners  # noqa: E402
from bench.programs import bench_tiers  # noqa: E402
from bench.queries import bench_queries  # noqa: E402
from bench.search import bench_search  # noqa: E402
from bench.tenants import bench_tenants  # noqa: E402
from bench.vendors import bench_create_vendor, bench_vendor_archive  # noqa: E402
from bench.web import bench_web  # noqa: E402


def _bench_webhooks(runs: int) -> None:
    from bench.webhooks import bench_webhooks

    bench_webhooks(runs, smoke=common.SMOKE, size=size)


def bench_api(runs: int) -> None:
    """GET /api/v1/partners (10,000 partners, pages of 100) against the console's list: bench/api.py."""
    from bench import api

    api.run(runs, size=size, tenant=_tenant, seed_registrations=seed_registrations)


TARGETS = {"create_vendor": bench_create_vendor, "partners": bench_partners, "deals": bench_deals, "tiers": bench_tiers,
           "commissions": bench_commissions, "matching": bench_matching, "incentives": bench_incentives,
           "enablement": bench_enablement, "health": bench_health, "mapping": bench_mapping, "email": bench_email,
           "import": bench_import, "vendor_archive": bench_vendor_archive, "invoices": bench_invoices,
           "export": bench_export, "webhooks": _bench_webhooks, "api": bench_api, "web": bench_web, "tenants": bench_tenants,
           "search": bench_search, "queries": bench_queries}


def _drop_smoke_vendors() -> None:
    from django.db import connection

    from prm.tenancy.models import Vendor

    connection.set_schema_to_public()
    for vendor in Vendor.objects.filter(slug__startswith="smoke"):
        vendor.delete(force_drop=True)
        connection.set_schema_to_public()


def main() -> None:
    if sys.argv[1:2] == ["_commission_run"]:  # a measured commission run in a process of its own
        _commission_run_child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="*", default=["create_vendor", "partners", "deals", "tiers", "matching", "incentives",
                                                     "commissions", "enablement", "health"],
                        help=f"benchmarks to run, or ALL: {', '.join(TARGETS)}")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and one run, to check every benchmark works")
    args = parser.parse_args()
    which = list(TARGETS) if "ALL" in args.which else args.which
    unknown = [name for name in which if name not in TARGETS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(TARGETS)} or ALL")
    import django

    django.setup()
    from django.db import connection

    common.SMOKE = args.smoke
    runs = 1 if common.SMOKE else args.runs
    with connection.execute_wrapper(_smoke_sql) if common.SMOKE else contextlib.nullcontext():
        failed = []
        try:
            for name in which:
                started = time.perf_counter()
                if not common.SMOKE:
                    TARGETS[name](runs)
                    continue
                try:  # a smoke run tries every target and names each that broke
                    TARGETS[name](runs)
                except Exception:
                    traceback.print_exc()
                    failed.append(name)
                    connection.set_schema_to_public()
                print(f"smoke: {name} {'FAILED' if name in failed else 'ran'} in {time.perf_counter() - started:.1f} s",
                      flush=True)
        finally:
            if common.SMOKE:
                _drop_smoke_vendors()
    if failed:
        sys.exit(f"smoke: broken benchmarks: {', '.join(failed)}")


if __name__ == "__main__":
    main()
