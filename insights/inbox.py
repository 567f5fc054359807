"""The console home's work inbox: what waits for the vendor, read from the app that owns each kind of work.

Every list comes from its owner's selector (one query each, the same with ten items or ten thousand); this
module only puts them side by side with the words and links a channel manager acts on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from deals import selectors as deal_selectors
from enablement import selectors as enablement_selectors
from incentives import selectors as incentive_selectors
from incentives import views as incentive_views
from insights import selectors as insight_selectors
from partners import selectors as partner_selectors
from prm.formatting import format_date, format_yen
from prm.inbox import Waiting
from programs import selectors as program_selectors

SCOPES = ("mine", "all")


@dataclass(frozen=True)
class InboxRow:
    title: str
    partner: str
    url: str
    age: str  # how long it has waited, in the reader's language ("3日"), or what stands for it (a due date)


@dataclass(frozen=True)
class InboxCard:
    key: str
    title: str | Promise
    icon: str
    url: str  # the page where all of them are worked
    total: int
    rows: list[InboxRow]


def _age(since: datetime, now: datetime) -> str:
    return timesince(since, now, depth=1)


def _card(key: str, title: Promise, icon: str, url_name: str, found: Waiting, row: Callable[[Model], InboxRow]
          ) -> InboxCard:
    return InboxCard(key=key, title=title, icon=icon, url=reverse(url_name), total=found.total,
                     rows=[row(item) for item in found.items])


def default_scope(user) -> str:
    """A vendor admin oversees the whole channel; a channel manager starts with the partners they own."""
    return "all" if user.is_vendor_admin else "mine"


def work_inbox(*, owner_id: int | None, today: date | None = None) -> list[InboxCard]:
    """Every kind of waiting work, of the partners `owner_id` owns (None: of every partner)."""
    now = timezone.now()
    today = today or timezone.localdate()
    ids: QuerySet | None = None if owner_id is None else partner_selectors.partner_ids_owned_by(user_id=owner_id)

    def deal_url(pk: int) -> str:
        return reverse("deal_detail", args=[pk])

    cards = [
        _card("registrations", _("Deal registrations to approve"), "clipboard-check", "deal_queue",
              deal_selectors.registrations_awaiting_approval(partner_ids=ids),
              lambda d: InboxRow(d.customer_name, d.partner.name, deal_url(d.pk), _age(d.registered_at, now))),
        _card("extensions", _("Extensions to approve"), "calendar-plus", "deal_queue",
              deal_selectors.extensions_awaiting_approval(partner_ids=ids),
              lambda e: InboxRow(e.deal.customer_name, e.deal.partner.name, deal_url(e.deal_id),
                                 _age(e.requested_at, now))),
        _card("tier_changes", _("Tier changes to approve"), "trophy", "program_changes",
              program_selectors.tier_changes_awaiting_approval(partner_ids=ids),
              lambda c: InboxRow(f"{c.from_tier or '—'} → {c.to_tier or '—'}", c.partner.name,
                                 reverse("program_changes"), _age(c.detected_at, now))),
        _card("mdf_requests", _("MDF requests to review"), "megaphone", "incentives_mdf",
              incentive_selectors.mdf_requests_awaiting_review(partner_ids=ids),
              lambda r: InboxRow(f"{r.activity} · {format_yen(r.budget)}", r.partner.name, reverse("incentives_mdf"),
                                 _age(r.created_at, now))),
        _card("mdf_claims", _("MDF claims to review"), "receipt", "incentives_mdf",
              incentive_selectors.mdf_claims_awaiting_review(partner_ids=ids),
              lambda c: InboxRow(f"{c.request.activity} · {format_yen(c.amount)}", c.request.partner.name,
                                 reverse("incentives_mdf"), _age(c.submitted_at, now))),
        _card("payouts", _("Payouts to review or due this week"), "cash-coin", "incentives_payouts",
              incentive_selectors.payouts_awaiting_action(partner_ids=ids, due_by=today + timedelta(days=7)),
              lambda p: InboxRow(f"{p.get_status_display()} · {format_yen(p.total)}", p.partner.name,
                                 reverse(incentive_views.payout_detail, args=[p.pk]),  # by view: the name reads as a table
                                 str(_("due %(date)s") % {"date": format_date(p.due_date)}))),
        _card("leads", _("Leads past their acceptance SLA"), "hourglass-split", "lead_list",
              deal_selectors.lead_offers_past_sla(partner_ids=ids),
              lambda o: InboxRow(o.lead.customer_name, o.partner.name, reverse("lead_list"),
                                 _age(o.expires_at, now))),
        _card("questions", _("Partner questions waiting for you"), "question-circle", "question_queue",
              enablement_selectors.questions_waiting_for_vendor(partner_ids=ids),
              lambda q: InboxRow(_shorten(q.text), q.partner.name, reverse("question_queue"),
                                 _age(q.escalated_at or q.asked_at, now))),
        _card("at_risk", _("Partners at risk"), "heart-pulse", "partner_list",
              insight_selectors.partners_at_risk(partner_ids=ids),
              lambda h: InboxRow(str(_("Health %(score)s") % {"score": h.score}), h.partner.name,
                                 reverse("partner_detail", args=[h.partner_id]), "")),
    ]
    return cards


def _shorten(text: str, length: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def waiting_total(cards: Iterable[InboxCard]) -> int:
    return sum(card.total for card in cards)
