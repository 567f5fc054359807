"""A fresh machine is quiet: no demo e-mails, one line about HarfBuzz, beat's heartbeat for its healthcheck."""

from __future__ import annotations

import logging
import os
import time

from django.core import mail
from django_tenants.utils import tenant_context

from prm.logs import HARFBUZZ_PACKAGE, HarfBuzzOnceFilter
from prm.notifications.models import Notification
from prm.notifications.services import email_paused, notify

WEASYPRINT_WARNING = (
    'Using fontTools instead of HarfBuzz-Subset for font "%s". This will be unsupported in future versions of '
    "WeasyPrint. Please install HarfBuzz-Subset >= 4.1.0 with your package manager."
)


def _notify(people):
    return notify(users=[people.channel_manager], kind="demo", message=lambda: ("件名", "本文"))


def test_notifications_made_while_email_is_paused_are_kept_but_not_mailed(people_a, django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            with email_paused():
                _notify(people_a)
        assert mail.outbox == []
        assert Notification.objects.filter(user=people_a.channel_manager, kind="demo").count() == 1
        with django_capture_on_commit_callbacks(execute=True):
            _notify(people_a)
        assert [message.to for message in mail.outbox] == [[people_a.channel_manager.email]]


def test_weasyprint_harfbuzz_warning_is_said_once_naming_the_package():
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("kyoso-test-weasyprint")
    logger.propagate = False
    logger.addHandler(Collect())
    logger.addFilter(HarfBuzzOnceFilter())
    for family in ("IPAexGothic", "DejaVu Serif", "IPAexGothic"):
        logger.warning(WEASYPRINT_WARNING, family)
    logger.warning("Something else went wrong")
    assert len(records) == 2
    assert HARFBUZZ_PACKAGE in records[0] and "\n" not in records[0]
    assert records[1] == "Something else went wrong"


def test_the_weasyprint_logger_carries_the_filter():
    assert any(isinstance(f, HarfBuzzOnceFilter) for f in logging.getLogger("weasyprint").filters)


def test_beat_touches_its_heartbeat_on_every_tick(tmp_path, monkeypatch):
    from prm.celery import HeartbeatScheduler, app
    from prm.health import beat_alive, beat_heartbeat_path, main

    monkeypatch.setenv("KYOSO_DATA_DIR", str(tmp_path))
    assert not beat_alive() and main(["beat"]) == 1
    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    try:
        scheduler.tick()
    finally:
        scheduler.close()
    assert beat_heartbeat_path().parent == tmp_path
    assert beat_alive() and main(["beat"]) == 0
    stale = time.time() - 600
    os.utime(beat_heartbeat_path(), (stale, stale))
    assert not beat_alive()
