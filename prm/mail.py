"""The one way out for every e-mail: one template, rendered once, sent by a Celery task after commit.

A mail template extends "mail/base.html" and fills two blocks, `subject` and `content` (HTML).
The message is rendered once, as an HTML document in the recipient's language: the subject is
the text of its <title> (with the vendor's name in front), the HTML part is the document itself
and the plain-text part is derived from the same HTML by `html_to_text` (paragraphs, line breaks,
list items kept; every link written out in full). The two parts therefore cannot drift apart.

`send_email` renders once the caller's transaction commits, in the caller's tenant, language and
time zone, and queues `prm.tasks.deliver_email` with plain strings: nothing is rendered or sent for
work that rolls back, the rendering does not lengthen a transaction that holds locks (a deal
registration serialised on its partner renders two mails), and a slow or failing SMTP relay never
holds up a request. The task retries
with exponential back-off and logs one line when it gives up (see prm/tasks.py).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from html import unescape
from html.parser import HTMLParser

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tenants.utils import schema_context


def current_vendor():
    """The vendor whose schema the connection is on, or None on the platform's own schema."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return None
    return tenant


def render_email(template: str, context: dict, language: str, *, vendor=None) -> tuple[str, str, str]:
    """(subject, text, html) of one mail template in one language."""
    with translation.override(language or settings.LANGUAGE_CODE):
        html = render_to_string(template, {**context, "vendor": vendor})
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    subject = " ".join(unescape(title.group(1)).split()) if title else ""
    return subject, html_to_text(html), html


def send_email(to: str | Iterable[str], template: str, context: dict, language: str, *, vendor=None) -> None:
    """Render `template` for the recipient(s) and send it by the e-mail task once the transaction commits."""
    recipients = [to] if isinstance(to, str) else [address for address in to if address]
    if not recipients:
        return
    vendor = vendor if vendor is not None else current_vendor()
    schema = vendor.schema_name if vendor is not None else "public"
    zone = timezone.get_current_timezone()

    def render_and_enqueue() -> None:
        # After commit the caller may have left its tenant (a tenant_context inside the atomic block).
        in_schema = contextlib.nullcontext() if connection.schema_name == schema else schema_context(schema)
        with in_schema, timezone.override(zone):
            render_and_queue(recipients, template, context, language, vendor=vendor, schema=schema)

    transaction.on_commit(render_and_enqueue)


def render_and_queue(recipients: list[str], template: str, context: dict, language: str, *, vendor,
                     schema: str) -> None:
    """Render the message now and queue the e-mail task with it: `send_email` once the caller commits, a worker
    task that renders (prm.notifications.tasks.notification_emails_send) at once."""
    subject, text, html = render_email(template, context, language, vendor=vendor)
    enqueue({"to": recipients, "subject": subject, "text": text, "html": html}, schema)


def enqueue(payload: dict, schema: str = "public"):
    from prm.tasks import deliver_email

    if settings.KYOSO_EMAIL_DELIVERY == "inline":
        return deliver_email.apply(kwargs=payload)
    return deliver_email.apply_async(kwargs=payload, queue=settings.KYOSO_EMAIL_QUEUE or None,
                                     headers={"_schema_name": schema}, ignore_result=True)  # as events.dispatch_soon


_BLOCKS = {"p", "div", "table", "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "section"}
_SKIP = {"head", "title", "style", "script"}


class _TextRenderer(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.links: list[tuple[str, int]] = []

    def _newlines(self, count: int) -> None:
        text = "".join(self.out)
        have = len(text) - len(text.rstrip("\n")) if text.strip() else count
        self.out.append("\n" * max(0, count - have))

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self._newlines(1)
            self.out.append("- ")
        elif tag in _BLOCKS:
            self._newlines(2)
        elif tag == "td" or tag == "th":
            self.out.append(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS:
            self._newlines(2)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = " ".join("".join(self.out[start:]).split())
            if href and not href.startswith(("#", "mailto:")):
                if label and label != href:
                    self.out.append(f" ( {href} )")
                elif not label:
                    self.out.append(href)

    def handle_data(self, data):
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    lines = [line.strip() for line in "".join(renderer.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
