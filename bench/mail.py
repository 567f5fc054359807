"""Benchmark of e-mail delivery through the worker."""

from __future__ import annotations

import os
import time

from bench.common import size, solo_worker


def bench_email(runs: int) -> None:
    """E-mail task throughput: N e-mails through prm.tasks.deliver_email on a real Celery worker to a
    local SMTP server started here (prm.smtp_sink), counted when the server has received them all."""

    from django.conf import settings

    from prm.mail import enqueue, render_email
    from prm.notifications.models import Notification
    from prm.smtp_sink import SmtpSink

    count = size(max(50, runs * 50), 5)
    started = time.perf_counter()
    rendered = [render_email("mail/notification.html", {
        "notification": Notification(title=f"商談が承認されました #{n}", body="案件「ベンチ」が承認されました。"),
        "url": f"http://partners.bench.localhost:8000/deals/{n}/"}, "ja") for n in range(count)]
    render_seconds = time.perf_counter() - started
    with SmtpSink() as sink:
        env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
               "EMAIL_PORT": str(sink.port), "KYOSO_EMAIL_DELIVERY": "queue", "LOG_LEVEL": "WARNING"}
        with solo_worker("email", prefix="kyoso-bench-mail", env=env) as queue:
            settings.KYOSO_EMAIL_QUEUE = queue
            settings.KYOSO_EMAIL_DELIVERY = "queue"
            started = time.perf_counter()
            for n, (subject, text, html) in enumerate(rendered):
                enqueue({"to": [f"partner{n}@bench.example"], "subject": subject, "text": text, "html": html})
            queued_seconds = time.perf_counter() - started
            if not sink.wait_for(count, timeout=600):
                raise SystemExit(f"email: only {len(sink.messages)} of {count} e-mails arrived in 10 minutes")
            seconds = time.perf_counter() - started
    print(f"email: {count} e-mails rendered (one template, HTML + text) at {count / render_seconds:,.0f}/s; "
          f"queued at {count / queued_seconds:,.0f}/s; sent by the Celery task (one solo worker, one SMTP "
          f"connection per e-mail, local SMTP server) at {count / seconds:,.1f} e-mails/s")
