"""Every kind of notification, with its label and its default channel, for the preferences page."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from prm.notifications.models import NotificationPreference

IN_APP, EMAIL, DIGEST = (NotificationPreference.Channel.IN_APP, NotificationPreference.Channel.EMAIL,
                         NotificationPreference.Channel.DIGEST)
STAFF, PARTNER, BOTH = "staff", "partner", "both"


@dataclass(frozen=True)
class Kind:
    label: Promise
    audience: str
    default: str = EMAIL


KINDS: dict[str, Kind] = {
    "deal_registered": Kind(_("A partner registered a deal"), STAFF),
    "deal_win_reported": Kind(_("A partner reported a win"), STAFF),
    "credit_limit": Kind(_("A deal exceeds a partner's credit limit"), STAFF),
    "extension_requested": Kind(_("A partner asked to extend a registration"), STAFF),
    "lead_unplaced": Kind(_("A lead found no partner"), STAFF),
    "lead_accepted": Kind(_("A partner accepted a lead"), STAFF),
    "question_escalated": Kind(_("A partner question was escalated to you"), STAFF),
    "health_alert": Kind(_("A partner's health score fell"), STAFF),
    "bank_account_changed": Kind(_("A partner changed its bank account"), STAFF),
    "tier_changes_pending": Kind(_("Tier changes await your decision"), STAFF, IN_APP),
    "deal_stage": Kind(_("A deal you follow changed stage"), BOTH),
    "certification_expiring": Kind(_("A certification is about to expire"), BOTH),
    "webhook_disabled": Kind(_("A webhook endpoint was disabled after repeated failures"), BOTH),
    "deal_received": Kind(_("Your deal registration was received"), PARTNER),
    "deal_approved": Kind(_("Your deal registration was approved"), PARTNER),
    "deal_rejected": Kind(_("Your deal registration was rejected"), PARTNER),
    "deal_win_confirmed": Kind(_("Your reported win was confirmed"), PARTNER),
    "deal_win_rejected": Kind(_("Your reported win was sent back"), PARTNER),
    "extension_decided": Kind(_("Your extension request was decided"), PARTNER),
    "deal_expiring": Kind(_("Your registration is about to expire"), PARTNER),
    "deal_expired": Kind(_("Your registration expired"), PARTNER),
    "lead_offered": Kind(_("A lead was offered to your company"), PARTNER),
    "question_asked": Kind(_("A colleague asked a question"), PARTNER),
    "question_answered": Kind(_("Your question was answered"), PARTNER),
    "announcement": Kind(_("Announcements"), PARTNER, IN_APP),
    "session_invited": Kind(_("You were invited to a training session"), PARTNER),
    "certified": Kind(_("You earned a certification"), PARTNER),
    "award_published": Kind(_("Your company received an award"), PARTNER),
    "tier_changed": Kind(_("Your company's tier changed"), PARTNER),
    "payout_approved": Kind(_("A payout to your company was approved"), PARTNER),
}


def default_channel(kind: str) -> str:
    known = KINDS.get(kind)
    return known.default if known is not None else EMAIL


def kinds_for(user) -> list[tuple[str, Kind]]:
    """The kinds a person can receive, in the order of the page."""
    audience = STAFF if user.is_vendor_staff else PARTNER
    return [(code, kind) for code, kind in KINDS.items() if kind.audience in (audience, BOTH)]
