"""The periodic scheduler neither repeats nor drops a vendor's job: one active beat (a Redis lock),
queues per kind of work, a visibility timeout longer than any job waits and runs, and a claim per
(vendor, job, slot) so a message delivered twice runs the job once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from prm import periodic
from prm.celery import app
from prm.models import TenantJobRun
from prm.periodic import TENANT_JOBS, job_claim, job_finish, slot_start
from tests.db_url import subprocess_database_url
from tests.platform.scheduler_jobs import MARKS_TABLE, create_marks_table


def _registered_tasks():
    app.loader.import_default_modules()  # what a worker does at start: find every tasks.py
    return app.tasks


# ----------------------------------------------------------------------------- settings


def test_the_visibility_timeout_outlasts_every_jobs_wait_and_run():
    """Redis redelivers an unacknowledged message after the timeout: a job still waiting out its
    countdown, or still running (acks_late), must never reach it."""
    tasks = _registered_tasks()
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest = max(job.spread_seconds + (tasks[job.task].time_limit or settings.CELERY_TASK_TIME_LIMIT)
                  for job in TENANT_JOBS.values())
    assert longest >= 2 * 60 * 60  # an hour's spread and an hour's run: the figure this guards
    assert timeout > longest
    # A claimed attempt's lease (its time limit) ends before Redis could hand its message out again.
    assert all(periodic.job_lease_seconds(job.task) < timeout for job in TENANT_JOBS.values())


def test_each_jobs_slot_is_the_period_of_its_schedule():
    """A job runs at most once per slot, so the slot must be exactly the time between two firings."""
    start = datetime(2026, 12, 1)
    minutes = [start + timedelta(minutes=n) for n in range(3 * 24 * 60)]
    claimed = {name: job for name, job in TENANT_JOBS.items() if job.period_seconds}
    assert len(claimed) >= len(TENANT_JOBS) - 1  # only the webhook sweep (safe to repeat) goes unclaimed
    for name, job in claimed.items():
        fires = [m for m in minutes if m.minute in job.schedule.minute and m.hour in job.schedule.hour]
        gaps = {(b - a).total_seconds() for a, b in zip(fires, fires[1:], strict=False)}
        assert gaps == {job.period_seconds}, name


def test_a_slot_is_the_local_night_or_hour_it_falls_in():
    tokyo = timezone.get_fixed_timezone(9 * 60)
    late = datetime(2026, 12, 5, 23, 59, 59, tzinfo=tokyo)
    assert slot_start(late, periodic.DAY).isoformat() == "2026-12-05T00:00:00+09:00"
    assert slot_start(late + timedelta(seconds=1), periodic.DAY).isoformat() == "2026-12-06T00:00:00+09:00"
    # 15:00 UTC is already the next day in Tokyo.
    assert slot_start(datetime(2026, 12, 5, 15, 30, tzinfo=UTC), periodic.DAY).date().isoformat() == "2026-12-06"
    assert slot_start(late, periodic.HOUR).isoformat() == "2026-12-05T23:00:00+09:00"
    assert slot_start(late, 300).isoformat() == "2026-12-05T23:55:00+09:00"


def test_tasks_go_to_the_queue_of_their_kind():
    tasks = _registered_tasks()
    router = app.amqp.router

    def queue(name):
        return router.route({}, name)["queue"].name

    assert queue("prm.tasks.deliver_email") == settings.QUEUE_EMAIL == "email"
    for name in ("incentives.tasks.commission_run", "prm.exports.tasks.export_run", "partners.tasks.import_apply",
                 "insights.tasks.health_recalculate", "insights.tasks.qbr_render", "programs.tasks.tiers_evaluate"):
        assert queue(name) == settings.QUEUE_HEAVY == "heavy"
    for name in ("prm.tasks.tenants_fan_out", "prm.tasks.tenant_probe", "mapping.tasks.overlap_recompute",
                 "incentives.tasks.commission_runs_fail_stale"):
        assert queue(name) == settings.QUEUE_INTERACTIVE == "interactive"
    assert all(name in tasks for name in settings.HEAVY_TASKS)  # no route names a task that is not there
    # A worker started without -Q (./kyoso run) consumes all three.
    assert set(app.conf.task_queues) == {"interactive", "heavy", "email"}
    assert periodic.queue_for("insights.tasks.health_recalculate") == "heavy"


# ----------------------------------------------------------------------------- claims


@pytest.fixture
def claim_key(django_db_setup, django_db_blocker):
    key = {"schema_name": f"v_claim_{uuid.uuid4().hex[:8]}", "task_name": "prm.tasks.tenant_probe",
           "slot": slot_start(timezone.now(), periodic.DAY)}
    with django_db_blocker.unblock():
        try:
            yield key
        finally:
            TenantJobRun.objects.filter(schema_name=key["schema_name"]).delete()


def test_of_concurrent_claims_one_wins_and_the_rest_find_it_running(claim_key):
    outcomes, barrier = [], threading.Barrier(8)

    def claim():
        try:
            barrier.wait()
            outcomes.append(job_claim(**claim_key, task_id="t")[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["busy"] * 7 + ["claimed"]
    assert TenantJobRun.objects.get(schema_name=claim_key["schema_name"]).attempts == 1


def test_a_done_job_is_skipped_and_a_dead_or_failed_one_runs_again(claim_key):
    outcome, run_id = job_claim(**claim_key, task_id="first")
    assert outcome == "claimed"
    assert job_claim(**claim_key, task_id="again")[0] == "busy"  # running, within its lease
    # Its lease (tenant_probe's 30 s time limit) is over: the attempt died with its worker.
    TenantJobRun.objects.filter(pk=run_id).update(claimed_at=timezone.now() - timedelta(seconds=31))
    assert job_claim(**claim_key, task_id="takeover") == ("claimed", run_id)
    job_finish(run_id, succeeded=False)
    assert job_claim(**claim_key, task_id="after failure") == ("claimed", run_id)
    job_finish(run_id, succeeded=False)
    assert job_claim(**claim_key, task_id="fourth") == ("exhausted", None)  # three attempts, all died
    run = TenantJobRun.objects.get(pk=run_id)
    assert (run.state, run.attempts, run.task_id) == ("failed", 3, "after failure")

    other = {**claim_key, "slot": claim_key["slot"] - timedelta(days=1)}
    outcome, other_id = job_claim(**other, task_id="yesterday")
    job_finish(other_id, succeeded=True)
    assert job_claim(**other, task_id="redelivered") == ("done", None)


def test_the_fan_out_forgets_claims_of_slots_long_past(claim_key):
    slots = {days: claim_key["slot"] - timedelta(days=days) for days in (34, 36)}
    for slot in slots.values():
        job_claim(**{**claim_key, "slot": slot}, task_id="old")
    periodic.job_runs_prune(claim_key["task_name"])
    kept = set(TenantJobRun.objects.filter(schema_name=claim_key["schema_name"]).values_list("slot", flat=True))
    assert kept == {slots[34]}


# ----------------------------------------------------------------------------- processes


def _database_url() -> str:
    return subprocess_database_url()


def _marks(run: str) -> list[tuple[str, str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT schema_name, phase, pid FROM {MARKS_TABLE} WHERE run = %s ORDER BY id", [run])
        return cursor.fetchall()


def _wait(condition, seconds: float, what: str, processes=()):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        for process in processes:
            assert process.poll() is None, f"{' '.join(process.args[5:7])} exited while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.1)
    return value


SENT = "Sending due task"  # celery beat's log line for each message it sends


def _text(path: Path) -> str:
    """A log's or a heartbeat's text: empty until the process has written the file."""
    return path.read_text() if path.exists() else ""


def _sent(log: Path, *, after: int = 0) -> int:
    """What a beat sent: all of it, or what its log says after its first `after` characters."""
    return _text(log)[after:].count(SENT)


LOST = "beat: lost the scheduler lock"  # prm.celery's log line


def _sent_since(log: Path, line: str) -> int:
    """What a beat sent since it last logged `line` (all it sent, when it never did). A beat that stalls past the
    lock's timeout (a machine busy with the rest of the suite) loses the lock to the other, which is right; what
    it must never do is schedule after that."""
    return _text(log).rpartition(line)[2].count(SENT)


@pytest.mark.worker
def test_two_beats_and_a_killed_worker_run_each_vendors_job_once_in_its_slot(django_db_setup, django_db_blocker,
                                                                            tmp_path):
    """Two beats on one Redis: one schedules, the other waits and takes over when it is killed. A
    worker killed with SIGKILL in the middle of a vendor's job, fan-outs repeated every two seconds
    (each re-sending every vendor's job in the same slot) and Redis handing the killed worker's
    messages out again: every vendor's job still completes exactly once in the slot."""
    run = f"kyoso-sched-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        with schema_context("public"):
            from prm.tenancy.models import Vendor

            vendors = set(Vendor.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
        create_marks_table()
        TenantJobRun.objects.filter(task="tests.scheduler.mark").delete()
        database_url = _database_url()
    assert len(vendors) >= 2
    first_slot = slot_start(timezone.now(), periodic.DAY)
    env = {
        **os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "REDIS_URL": os.environ.get("REDIS_URL") or settings.REDIS_URL,
        # Queues and the beat's keys of this test only.
        "KYOSO_QUEUE_PREFIX": f"{run}-", "KYOSO_BEAT_KEY_PREFIX": f"{run}:",
        # Beat ticks every second and a dead beat's lock expires after 3 s; the job fires every 2 s,
        # each vendor within 3 s of the fan-out, one slot a day; it runs 1.5 s (time limit 4 s).
        "KYOSO_BEAT_MAX_LOOP_INTERVAL": "1", "KYOSO_BEAT_LOCK_SECONDS": "3",
        "KYOSO_TEST_TENANT_JOB": f"tests.scheduler.mark,2,3,{periodic.DAY}", "KYOSO_TEST_MARK_SECONDS": "1.5",
        # Longer than the spread and the time limit together, as in production (3 h > 1 h + 1 h).
        "KYOSO_BROKER_VISIBILITY_TIMEOUT": "8", "KYOSO_TEST_FAST_RESTORE": "1", "KYOSO_TEST_RUN": run,
    }
    processes: list[subprocess.Popen] = []

    def start(kind: str, name: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "prm", kind, "--loglevel=INFO"]
        if kind == "worker":
            command += ["--pool=solo", "--include=tests.platform.scheduler_jobs",
                        "-n", f"{run}-{name}@{socket.gethostname()}", "--without-mingle", "--without-gossip"]
        (tmp_path / name).mkdir()
        process = subprocess.Popen(command, env={**env, "KYOSO_DATA_DIR": str(tmp_path / name)}, stdout=log,
                                   stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    def heartbeat(name: str) -> str:
        return _text(tmp_path / name / "beat-heartbeat")

    def roles() -> tuple[str, str]:
        """(the active beat, the standby) once their heartbeats agree that exactly one is active. A beat that
        stalled past the lock still says "active" until its next tick finds the lock gone and says "standby"
        (prm.celery.HeartbeatScheduler): both files may say "active" for that moment, while only the other beat
        schedules. What the standby sent is checked from its log below."""
        active = _wait(lambda: (found := [name for name in beats if heartbeat(name) == "active"]) and len(found) == 1
                       and found, 30, "exactly one active beat", processes)
        assert len(active) == 1
        return active[0], next(name for name in beats if name != active[0])

    try:
        started = time.monotonic()
        workers = {"worker1": start("worker", "worker1"), "worker2": start("worker", "worker2")}
        beats = {"beat1": start("beat", "beat1"), "beat2": start("beat", "beat2")}
        _wait(lambda: heartbeat("beat1") and heartbeat("beat2"), 60, "heartbeat from both beats", processes)
        active, standby = roles()
        assert heartbeat(standby) == "standby"

        # Kill the worker that is inside a vendor's job (SIGKILL: no acknowledgement, no clean-up),
        # and the active beat with it.
        with django_db_blocker.unblock():
            marks = _wait(lambda: (m := _marks(run)) and m[-1][1] == "start" and m, 60, "a job under way",
                          processes)
        killed_schema, killed_pid = marks[-1][0], marks[-1][2]
        killed = next(name for name, process in workers.items() if process.pid == killed_pid)
        # The beat active now: on a busy machine a beat may have stalled past the lock's 3 s and handed over since.
        active, standby = roles()
        workers[killed].send_signal(signal.SIGKILL)
        beats[active].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        workers[killed].wait(timeout=10)
        beats[active].wait(timeout=10)
        standby_log = tmp_path / f"{standby}.log"
        assert _sent(tmp_path / f"{active}.log") + _sent(standby_log) >= 1  # the job under way
        assert _sent_since(standby_log, LOST) == 0, "the standby beat scheduled while the other held the lock"
        before_takeover = len(_text(standby_log))

        survivors = [process for process in processes if process.poll() is None]
        _wait(lambda: heartbeat(standby) == "active", 30, "the standby beat taking over", survivors)

        def all_done():
            with django_db_blocker.unblock():
                ended = {schema for schema, phase, _pid in _marks(run) if phase == "end"}
            return ended >= vendors and time.monotonic() - killed_at > 10

        # Past the visibility timeout (8 s) and a restore sweep: the killed worker's messages came back too.
        _wait(all_done, 90, "every vendor's job done", survivors)
        # It scheduled once it took over: what its log says after the kill (the beat left alone may still stall past
        # the lock on a busy machine, lose it and take it back, with nothing sent since the last time it took it).
        assert _sent(standby_log, after=before_takeover) >= 1
        with django_db_blocker.unblock():
            marks = _marks(run)
            claims = {claim.schema_name: claim for claim in TenantJobRun.objects.filter(task="tests.scheduler.mark")}
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    if slot_start(timezone.now(), periodic.DAY) != first_slot:
        pytest.skip("the test ran across local midnight, into a second slot")
    ends = Counter(schema for schema, phase, _pid in marks if phase == "end")
    starts = Counter(schema for schema, phase, _pid in marks if phase == "start")
    assert ends == {schema: 1 for schema in vendors}, ends
    # The killed attempt, and the one that took over once its lease was over; nothing else twice.
    assert starts == {schema: 2 if schema == killed_schema else 1 for schema in vendors}, starts
    assert {schema: (claim.state, claim.attempts, claim.slot) for schema, claim in claims.items()} == {
        schema: ("done", 2 if schema == killed_schema else 1, first_slot) for schema in vendors}
    print(f"\nscheduler test: {len(vendors)} vendors, {elapsed:.1f} s, "
          f"beat sends {_sent(tmp_path / f'{active}.log')} + {_sent(tmp_path / f'{standby}.log')}")
