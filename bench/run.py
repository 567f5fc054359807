"""Platform benchmarks: ./kyoso bench [create_vendor] [--runs N]

Prints figures; asserts nothing. Later modules add their own benchmarks here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")


def bench_create_vendor(runs: int) -> None:
    from django.db import connection

    from prm.tenancy.models import Vendor
    from prm.tenancy.services import vendor_create

    from django.core.management import call_command

    call_command("setup_platform", verbosity=0)
    timings = []
    created = []
    try:
        for n in range(runs):
            slug = f"bench{n}-{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            result = vendor_create(slug=slug, name=f"ベンチ{n}株式会社", admin_email=f"admin@{slug}.example",
                                   admin_password="bench-password-123")
            timings.append(time.perf_counter() - started)
            created.append(result.vendor)
    finally:
        for vendor in created:
            connection.set_schema_to_public()
            vendor.delete(force_drop=True)
    print(f"create_vendor: {runs} runs, median {statistics.median(timings) * 1000:.0f} ms, "
          f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
    assert not Vendor.objects.filter(slug__startswith="bench").exists()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="*", default=["create_vendor"])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    import django

    django.setup()
    for name in args.which:
        {"create_vendor": bench_create_vendor}[name](args.runs)


if __name__ == "__main__":
    main()
