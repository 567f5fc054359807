"""A periodic job for the scheduler tests (tests/platform/test_scheduler.py), loaded into their
worker processes with --include: it leaves a committed row when it starts and another when it
ends, so the test counts what really ran."""

from __future__ import annotations

import os
import time

from celery import shared_task
from django.db import connection

from prm.tasks import require_schema

MARKS_TABLE = "public.kyoso_test_job_marks"


def create_marks_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKS_TABLE} (id serial PRIMARY KEY, run text NOT NULL, "
                       "schema_name text NOT NULL, phase text NOT NULL, pid int NOT NULL, "
                       "at timestamptz NOT NULL DEFAULT now())")


def _mark(phase: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {MARKS_TABLE} (run, schema_name, phase, pid) VALUES (%s, %s, %s, %s)",
                       [os.environ["KYOSO_TEST_RUN"], connection.schema_name, phase, os.getpid()])


@shared_task(name="tests.scheduler.mark", time_limit=4)
def mark(schema_name: str) -> str:
    require_schema(schema_name)
    _mark("start")
    time.sleep(float(os.environ.get("KYOSO_TEST_MARK_SECONDS", "0")))
    _mark("end")
    return schema_name
