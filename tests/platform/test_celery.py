"""Tasks on a real Celery worker over the real broker, with the tenant carried along."""

from __future__ import annotations

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout
from django_tenants.utils import schema_context, tenant_context

from prm.celery import RedisChannel, app
from prm.periodic import TENANT_JOBS, tenant_offset_seconds
from prm.tasks import tenant_probe, tenants_fan_out

pytestmark = pytest.mark.worker


def _vendors(django_db_blocker):
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock(), schema_context("public"):
        return {v.slug: v for v in Vendor.objects.exclude(schema_name="public")}


def test_it_runs_a_task_in_the_senders_tenant_on_a_real_worker(celery_worker, django_db_blocker):
    vendors = _vendors(django_db_blocker)
    for slug in ("alpha", "bravo"):
        with tenant_context(vendors[slug]):
            result = tenant_probe.apply_async(kwargs={"schema_name": vendors[slug].schema_name}, queue=celery_worker)
        # Each vendor has exactly its founding admin (committed at session start).
        assert result.get(timeout=30) == {"schema": vendors[slug].schema_name, "users": 1}


def test_it_fails_a_task_whose_schema_argument_disagrees_with_its_tenant(celery_worker, django_db_blocker):
    vendors = _vendors(django_db_blocker)
    with tenant_context(vendors["alpha"]):
        result = tenant_probe.apply_async(kwargs={"schema_name": vendors["bravo"].schema_name}, queue=celery_worker)
    with pytest.raises(RuntimeError, match="ran in v_alpha"):
        result.get(timeout=30)


def test_it_fans_a_periodic_job_out_to_every_tenant(celery_worker, django_db_blocker):
    vendors = _vendors(django_db_blocker)
    with schema_context("public"):
        fan_out = tenants_fan_out.apply_async(args=("prm.tasks.tenant_probe", 0, celery_worker), queue=celery_worker)
    sent = fan_out.get(timeout=30)
    assert set(sent) == {v.schema_name for v in vendors.values()}
    for schema, item in sent.items():
        assert app.AsyncResult(item["task_id"]).get(timeout=30)["schema"] == schema


def test_it_sends_through_one_redis_client_per_channel_and_the_worker_gets_every_message(celery_worker,
                                                                                       django_db_blocker):
    vendors = _vendors(django_db_blocker)
    with app.producer_or_acquire() as producer:
        channel = producer.channel
        assert isinstance(channel, RedisChannel)  # the broker URL's redis transport is ours
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second and first.connection_pool is channel.pool
        with tenant_context(vendors["alpha"]):
            results = [tenant_probe.apply_async(kwargs={"schema_name": vendors["alpha"].schema_name},
                                                queue=celery_worker, producer=producer) for _ in range(3)]
    assert [result.get(timeout=30)["schema"] for result in results] == [vendors["alpha"].schema_name] * 3


def test_it_spreads_tenants_over_the_window_and_keeps_each_tenants_slot():
    offsets = [tenant_offset_seconds(f"v_tenant{i}", "job", 900) for i in range(200)]
    assert all(0 <= offset < 900 for offset in offsets)
    assert len(set(offsets)) > 150  # not a thundering herd
    assert offsets == [tenant_offset_seconds(f"v_tenant{i}", "job", 900) for i in range(200)]


def test_it_schedules_every_tenant_job_through_the_fan_out():
    app.loader.import_default_modules()  # what a worker does at start: find every tasks.py
    schedule = app.conf.beat_schedule
    assert set(schedule) == set(TENANT_JOBS)
    for name, job in TENANT_JOBS.items():
        assert schedule[name]["task"] == "prm.tasks.tenants_fan_out"
        assert schedule[name]["args"] == (job.task, job.spread_seconds)
        assert schedule[name]["kwargs"] == {"period_seconds": job.period_seconds}  # one run per slot
        assert job.task in app.tasks


def test_it_times_out_rather_than_hanging_when_no_worker_listens():
    result = tenant_probe.apply_async(kwargs={"schema_name": "public"}, queue="kyoso-test-nobody-listens")
    with pytest.raises(CeleryTimeout):
        result.get(timeout=1)
    result.revoke()
