"""What the system writes for people to read later — notifications, tier-change reasons — kept as a code
and parameters and written out when shown, in the reader's language (not the writer's).

A stored message is {"code": "deal.approved", "params": {...}}. A parameter is data (a customer's or a
tier's name, a number of days) or a value the reader's language writes its own way: a date, a time, a
month, a number, or a choice label (a deal stage) looked up in the labels an app registered with
`register_labels`. A code nobody knows any more, or missing parameters, shows the text stored beside
the message when it was written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from prm import formatting

MESSAGES: dict[str, str | Promise] = {
    # Deal registrations
    "deal.registered": _("Deal registration to review: %(customer)s"),
    "deal.registered_conflict": _("Deal registration to review (conflict): %(customer)s"),
    "deal.registered.body": _("%(partner)s registered %(customer)s, ¥%(amount)s."),
    "deal.received": _("Registration received: %(customer)s"),
    "deal.received.holder": _("You hold priority for this customer. The channel manager will confirm it."),
    "deal.received.direct": _("The vendor's own sales team is already working with this customer. "
                              "The channel manager will review it."),
    "deal.received.review": _("This customer is already registered. The channel manager will review the registrations."),
    "deal.received.later": _("This customer was registered earlier by someone else. The channel manager will review it."),
    "deal.approved": _("Registration approved: %(customer)s"),
    "deal.valid_until": _("Valid until %(date)s."),
    "deal.rejected": _("Registration rejected: %(customer)s"),
    "deal.stage": _("%(customer)s is now %(stage)s"),
    "deal.win_reported": _("Win to confirm: %(customer)s"),
    "deal.win_reported.body": _("%(partner)s reports %(customer)s won on %(date)s for ¥%(amount)s."),
    "deal.credit_limit": _("Credit limit exceeded: %(partner)s"),
    "deal.credit_limit.body": _("Open amount after this deal: ¥%(after)s of a ¥%(limit)s limit."),
    "deal.win_confirmed": _("Win confirmed: %(customer)s"),
    "deal.win_confirmed.body": _("Won on %(date)s for ¥%(amount)s."),
    "deal.win_rejected": _("Win not confirmed: %(customer)s"),
    "deal.win_rejected.body": _("The deal is back in %(stage)s. %(reason)s"),
    "deal.win_cancelled": _("Won deal cancelled: %(customer)s"),
    "deal.win_cancelled.body": _("The customer cancelled on %(date)s. Commissions already paid for it may be clawed back "
                                 "in the next payout. %(reason)s"),
    "deal.win_corrected": _("Win corrected: %(customer)s"),
    "deal.win_corrected.body": _("Now ¥%(amount)s on %(date)s (was ¥%(before)s on %(before_date)s). The difference is "
                                 "paid or deducted in the next payout. %(reason)s"),
    "deal.win_reopened": _("Win reopened: %(customer)s"),
    "deal.win_reopened.body": _("The win was recorded by mistake; the deal is back in negotiation until %(date)s. "
                                "Commissions paid for the win are deducted in the next payout. %(reason)s"),
    "deal.extension_requested": _("Extension requested: %(customer)s"),
    "deal.extension_requested.body": _("%(days)s more days. %(reason)s"),
    "deal.extension_approved": _("Extension approved: %(customer)s"),
    "deal.extension_declined": _("Extension declined: %(customer)s"),
    "deal.expired": _("Registration expired: %(customer)s"),
    "deal.expired.body": _("Register the customer again if the opportunity is still alive."),
    "deal.expiring": _("Registration expires soon: %(customer)s"),
    "deal.expiring.body": _("Valid until %(date)s. Request an extension if you need more time."),
    # Leads
    "lead.unplaced": _("No partner took the lead %(customer)s"),
    "lead.unplaced.body": _("Every partner that could receive it declined or let the offer expire."),
    "lead.offered": _("New lead for you: %(customer)s"),
    "lead.offered.body": _("Accept or decline by %(deadline)s."),
    "lead.accepted": _("%(partner)s accepted the lead %(customer)s"),
    # Tiers
    "tier.changes_pending": _("%(count)s tier changes wait for approval"),
    "tier.changed": _("Your partner tier is now %(tier)s"),
    "tier.reason.qualifies": _("Qualifies for a higher tier"),
    "tier.reason.grace": _("No longer qualifies; grace period started"),
    "tier.reason.downgrade_due": _("Grace period over; downgrade waiting for approval"),
    "award.published": _("Congratulations: %(award)s"),
    "award.published.body": _("%(partner)s is %(award)s for %(period)s. Thank you for the partnership!"),
    "period.fiscal_year": _("FY%(year)s"),
    # Money
    "payout.approved": _("Payout approved: ¥%(total)s for %(period)s"),
    "payout.approved.body": _("Payment due %(date)s."),
    "statement.disputed": _("%(partner)s disputes its statement for %(period)s"),
    "statement.dispute_resolved": _("Reply to your dispute of the statement for %(period)s"),
    # Enablement
    "session.invited": _("Invitation: %(title)s"),
    "session.invited.body": _("%(when)s · %(place)s"),
    "question.asked": _("A question from %(name)s"),
    "question.escalated": _("Question from %(partner)s"),
    "question.answered": _("Your question was answered"),
    "certified": _("Certified: %(name)s"),
    "certified.body": _("Valid until %(date)s. Your certificate can be downloaded from the portal."),
    "certification.expiring": _("Certification expires on %(date)s: %(name)s"),
    "certification.expiring.body": _("%(holder)s's “%(name)s” expires on %(date)s. Take the renewal quiz in the portal "
                                     "to keep it."),
    # Partners
    "partner.bank_account_changed": _("%(partner)s changed its bank account"),
    "partner.bank_account_changed.body": _("Bank account changed: %(before)s → %(after)s. Approved payouts that are not "
                                           "paid yet stay on the approved account and are left out of transfer files "
                                           "until you re-approve them."),
    # Partner health
    "health.at_risk": _("%(partner)s is at risk (health %(score)s)"),
    "health.dormant": _("%(partner)s has gone dormant (health %(score)s)"),
    "health.fell.body": _("Fell: %(components)s."),
    # Webhooks
    "webhook.disabled": _("Webhook endpoint disabled: %(url)s"),
    "webhook.disabled.body": _("%(reason)s Fix the receiver, then enable the endpoint again; waiting events are sent "
                               "then."),
    "webhook.failed_over": _("A delivery failed %(count)s times over %(hours)s hours."),
    "webhook.failed_in_a_row": _("%(count)s attempts in a row failed."),
}

# Choice labels by name ("deal_stage" → {"won": "Won", …}), registered by the app that owns them.
LABELS: dict[str, Mapping[str, str | Promise]] = {}


def register_labels(name: str, labels: Mapping[str, str | Promise] | Iterable[tuple[str, str | Promise]]) -> None:
    LABELS[name] = dict(labels)


@dataclass(frozen=True)
class Text:
    """A message to store now and write out later, in the language of whoever reads it."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}

    def __str__(self) -> str:
        return render(self.stored())


def text(code: str, **params: Any) -> Text:
    if code not in MESSAGES:
        raise KeyError(f"no message {code!r} in prm.messages.MESSAGES")
    return Text(code, params)


# Parameters the reader's language writes its own way.
def day(value: date | None) -> dict[str, str] | str:
    return {"date": value.isoformat()} if value is not None else "—"


def moment(value: datetime) -> dict[str, str]:
    return {"datetime": value.isoformat()}


def month(value: date) -> dict[str, str]:
    return {"month": value.replace(day=1).isoformat()}


def number(value: int | None) -> dict[str, int]:
    return {"number": int(value or 0)}


def label(name: str, value: str) -> dict[str, str]:
    return {"label": name, "value": value}


def labels(name: str, values: Iterable[str]) -> dict[str, Any]:
    return {"label": name, "values": list(values)}


def _written(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    if "code" in value:  # a message inside a message (a webhook's reason for being disabled)
        return render(value)
    if "date" in value:
        return formatting.format_date(date.fromisoformat(value["date"]))
    if "datetime" in value:
        return formatting.format_datetime(datetime.fromisoformat(value["datetime"]))
    if "month" in value:
        return formatting.format_month(date.fromisoformat(value["month"]))
    if "number" in value:
        return formatting.format_number(value["number"])
    if "label" in value:
        known = LABELS.get(value["label"], {})
        if "values" in value:
            return ", ".join(str(known.get(item, item)) for item in value["values"]) or "-"
        return str(known.get(value.get("value", ""), value.get("value", "")))
    return str(value)


def render(message: Mapping[str, Any] | None, fallback: str = "") -> str:
    """`message` in the active language; `fallback` when it names no known message or cannot be written out."""
    if not message:
        return fallback
    template = MESSAGES.get(message.get("code") or "")
    if template is None:
        return fallback
    try:
        params = {name: _written(value) for name, value in (message.get("params") or {}).items()}
        written = str(template)
        return written % params if "%(" in written else written
    except (KeyError, TypeError, ValueError):
        return fallback


# Which messages a notification's title or body can be, for `recognise`.
NOTIFICATION_BODIES = tuple(code for code in MESSAGES if code.endswith(".body") or code.startswith("deal.received.")
                            or code == "deal.valid_until")
NOTIFICATION_TITLES = tuple(code for code in MESSAGES if code not in NOTIFICATION_BODIES
                            and not code.startswith(("tier.reason.", "webhook.failed", "period.")))
TIER_REASONS = tuple(code for code in MESSAGES if code.startswith("tier.reason."))


def recognise(written: str, codes: Iterable[str], languages: Iterable[str] = ("ja", "en")) -> dict[str, Any] | None:
    """The message among `codes` that, in one of `languages`, reads exactly `written`: for migrations that
    turn texts stored before messages were kept into messages. Dates and choice labels found in it become
    parameters again; anything else stays as written."""
    # The most specific wording first: "%(customer)s is now %(stage)s" must not take "Win confirmed: …".
    ordered = sorted(codes, key=lambda code: -len(re.sub(r"%\(\w+\)s", "", str(MESSAGES[code]))))
    for language in languages:
        with translation.override(language):
            for code in ordered:
                found = _pattern(str(MESSAGES[code])).fullmatch(written)
                if found:
                    return {"code": code, "params": {name: _parameter(value) for name, value in found.groupdict().items()}}
    return None


@functools.lru_cache(maxsize=1024)
def _pattern(template: str) -> re.Pattern:
    """The template as a regular expression, each placeholder a named group (a repeated one must repeat)."""
    seen: set[str] = set()

    def group(match: re.Match) -> str:
        name = match.group(1)
        if name in seen:
            return f"(?P={name})"
        seen.add(name)
        return f"(?P<{name}>.*?)"

    return re.compile(re.sub(r"%\\\(([a-z_]+)\\\)s", group, re.escape(template)), flags=re.DOTALL)


def _parameter(written: str) -> Any:
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})|(\d{4})年(\d{1,2})月(\d{1,2})日", written)
    if found:
        parts = found.groups()[:3] if found.group(1) else found.groups()[3:]
        return day(date(*(int(part) for part in parts)))
    for name, known in LABELS.items():
        for value, text_ in known.items():
            if str(text_) == written:
                return label(name, value)
    return written
