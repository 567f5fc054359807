"""E-mail: one path (prm.mail) out through the Celery task, absolute links, each person's choice per kind."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from prm.mail import render_email, send_email
from prm.notifications import services
from prm.notifications.models import Notification, NotificationPreference
from prm.smtp_sink import SmtpSink
from tests.db_url import subprocess_database_url


def _notify(users, url="/deals/42/", kind="deal_stage"):
    services.notify(users=users, kind=kind, url=url, message=lambda: ("商談のステージが変わりました", "受注見込みになりました"))


def test_no_sender_bypasses_the_mail_task():
    root = Path(settings.BASE_DIR)
    offenders = []
    sources = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("tests", "node_modules", "migrations")]
        sources += [Path(folder) / name for name in files if name.endswith(".py")]
    assert len(sources) > 50
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if "fail_silently" in text or re.search(r"from django\.core\.mail import .*\bsend_(mass_)?mail\b", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_subject_text_and_html_come_from_one_template(people_a):
    with tenant_context(people_a.tenant):
        subject, text, html = render_email("mail/notification.html", {
            "notification": Notification(title="承認されました", body="一行目\n二行目"),
            "url": "http://partners.alpha.localhost:8000/deals/7/"}, "ja", vendor=people_a.tenant)
    assert subject == "[株式会社アルファ] 承認されました"
    assert "<a href=\"http://partners.alpha.localhost:8000/deals/7/\">" in html and 'lang="ja"' in html
    assert "一行目\n二行目" in text and "http://partners.alpha.localhost:8000/deals/7/" in text
    assert "<" not in text and "承認されました" in text


def test_links_are_absolute_on_each_recipients_own_site_and_in_their_language(
        people_a, mailoutbox, django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        people_a.partner_rep.language = "en"
        people_a.partner_rep.save(update_fields=["language"])
        with django_capture_on_commit_callbacks(execute=True):
            _notify([people_a.channel_manager, people_a.partner_rep])
            assert not mailoutbox  # nothing leaves before the transaction commits
    mails = {mail.to[0]: mail for mail in mailoutbox}
    assert set(mails) == {people_a.channel_manager.email, people_a.partner_rep.email}
    staff, partner = mails[people_a.channel_manager.email], mails[people_a.partner_rep.email]
    assert "http://alpha.localhost:8000/deals/42/" in staff.body
    assert "http://partners.alpha.localhost:8000/deals/42/" in partner.body
    assert "http://alpha.localhost:8000/notifications/preferences/" in staff.body
    for mail in (staff, partner):
        assert mail.subject == "[株式会社アルファ] 商談のステージが変わりました"
        ((html, mimetype),) = mail.alternatives
        assert mimetype == "text/html" and 'href="http' in html and 'href="/' not in html
    assert 'lang="en"' in partner.alternatives[0][0] and 'lang="ja"' in staff.alternatives[0][0]


def test_the_notifications_of_one_transaction_are_mailed_by_one_task_and_a_rollback_mails_nothing(
        people_a, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    with tenant_context(people_a.tenant):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            _notify([people_a.channel_manager], kind="deal_stage")
            _notify([people_a.partner_rep], url="/deals/43/", kind="deal_approved")
            try:
                with transaction.atomic():
                    _notify([people_a.partner_admin], kind="deal_stage")
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
        assert len(callbacks) == 1  # the rolled-back savepoint's callback is gone with its notification
        assert not Notification.objects.filter(user=people_a.partner_admin).exists()
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([people_a.channel_manager.email,
                                                                 people_a.partner_rep.email])
    assert "http://partners.alpha.localhost:8000/deals/43/" in next(
        mail.body for mail in mailoutbox if mail.to == [people_a.partner_rep.email])


def test_in_app_only_sends_nothing_and_the_digest_sends_one_mail_with_every_item(
        people_a, mailoutbox, django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        services.preferences_set(user=people_a.partner_rep, channels={"deal_stage": "in_app", "deal_approved": "digest",
                                                                      "deal_rejected": "digest"})
        with django_capture_on_commit_callbacks(execute=True):
            _notify([people_a.partner_rep], kind="deal_stage")
            for n in range(3):
                _notify([people_a.partner_rep], url=f"/deals/{n + 1}/", kind="deal_approved")
            _notify([people_a.partner_rep], kind="deal_rejected")
        assert Notification.objects.filter(user=people_a.partner_rep).count() == 5  # all in the app
        assert mailoutbox == []
        with django_capture_on_commit_callbacks(execute=True):
            assert services.digest_send() == 1
        (digest,) = mailoutbox
        assert digest.to == [people_a.partner_rep.email] and "[株式会社アルファ]" in digest.subject
        assert digest.body.count("商談のステージが変わりました") == 4
        for n in (1, 2, 3):
            assert f"http://partners.alpha.localhost:8000/deals/{n}/" in digest.body
        with django_capture_on_commit_callbacks(execute=True):
            assert services.digest_send() == 0  # each notification goes out once
        assert len(mailoutbox) == 1


@pytest.mark.parametrize("site", ["console", "portal"])
def test_each_person_sets_their_preferences_on_their_own_site(people_a, site):
    user = people_a.channel_manager if site == "console" else people_a.partner_rep
    client = getattr(people_a, site)(user)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    fields = set(page.context["form"].fields)
    assert ("deal_registered" in fields) == (site == "console") and ("deal_approved" in fields) == (site == "portal")
    assert "deal_stage" in fields
    data = {name: "email" for name in fields} | {"deal_stage": "digest"}
    assert client.post("/notifications/preferences/", data).status_code == 302
    with tenant_context(people_a.tenant):
        assert services.preferences_of(user)["deal_stage"] == "digest"
        saved = NotificationPreference.objects.filter(user=user).count()
    for hostile in ("\x00", "²", "-1", str(2**63), "9" * 20, "0001-01-01", "x" * 10_000, "DIGEST"):
        response = client.post("/notifications/preferences/", data | {"deal_stage": hostile})
        assert response.status_code == 400, hostile
    with tenant_context(people_a.tenant):
        assert services.preferences_of(user)["deal_stage"] == "digest"
        assert NotificationPreference.objects.filter(user=user).count() == saved


def _mail_worker(queue: str, port: int, log: Path, **extra) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "DJANGO_SETTINGS_MODULE": "prm.settings.test",
           "REDIS_URL": os.environ.get("REDIS_URL", settings.REDIS_URL),
           "KYOSO_TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "KYOSO_EMAIL_RETRY_SECONDS": "1", **extra}
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "prm", "worker", "--pool=solo", "-Q", queue,
                             "-n", f"{queue}@{socket.gethostname()}", "--without-mingle", "--without-gossip",
                             "--loglevel=WARNING"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _send_through(queue, settings, vendor, django_capture_on_commit_callbacks):
    settings.KYOSO_EMAIL_DELIVERY = "queue"
    settings.KYOSO_EMAIL_QUEUE = queue
    with tenant_context(vendor), django_capture_on_commit_callbacks(execute=True):
        send_email("rep@partner.example", "mail/notification.html", {
            "notification": Notification(title="再送テスト", body="本文"), "url": "http://partners.alpha.localhost:8000/x/"},
            "ja", vendor=vendor)


def _stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@pytest.mark.worker
def test_a_refused_smtp_connection_is_retried_by_the_task_on_a_real_worker(
        people_a, settings, tmp_path, django_capture_on_commit_callbacks):
    queue = f"kyoso-mail-{uuid.uuid4().hex[:8]}"
    with SmtpSink(refuse=1) as sink:
        worker = _mail_worker(queue, sink.port, tmp_path / "worker.log", KYOSO_EMAIL_MAX_RETRIES="3")
        try:
            _send_through(queue, settings, people_a.tenant, django_capture_on_commit_callbacks)
            assert sink.wait_for(1, timeout=90), (tmp_path / "worker.log").read_text()
        finally:
            _stop(worker)
    assert sink.attempts == 2  # refused once, delivered on the retry
    message = message_from_bytes(sink.messages[0], policy=default_policy)
    assert message["To"] == "rep@partner.example" and message["Subject"] == "[株式会社アルファ] 再送テスト"
    assert message.get_body(("plain",)).get_content().count("http://partners.alpha.localhost:8000/x/") == 1
    assert 'href="http://partners.alpha.localhost:8000/x/"' in message.get_body(("html",)).get_content()
    assert "retrying" in (tmp_path / "worker.log").read_text()


@pytest.mark.worker
def test_the_task_logs_a_line_when_it_gives_up(people_a, settings, tmp_path, django_capture_on_commit_callbacks):
    queue = f"kyoso-mail-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with SmtpSink(refuse_always=True) as sink:
        worker = _mail_worker(queue, sink.port, log, KYOSO_EMAIL_MAX_RETRIES="2")
        try:
            _send_through(queue, settings, people_a.tenant, django_capture_on_commit_callbacks)
            deadline = time.monotonic() + 90
            while "giving up" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        finally:
            _stop(worker)
    line = next(line for line in log.read_text().splitlines() if "giving up" in line)
    assert "ERROR" in line and "after 3 attempts" in line and "rep@partner.example" in line
    assert sink.attempts == 3 and sink.messages == []
