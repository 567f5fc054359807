"""Console upkeep of the FAQ and announcements, and the console-only reads of the library, sessions and
announcement receipts (each a fixed number of queries).

The partner-facing verbs (content, sessions, questions, publishing) live in the sibling modules; these are
the small staff-only writes the console pages need besides them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import CharField, Count, F, Func, QuerySet
from django.utils import timezone

from enablement import selectors
from enablement.audience import sees
from enablement.models import (
    Announcement,
    AnnouncementRead,
    ContentAccess,
    ContentItem,
    FaqEntry,
    PartnerQuestion,
    StudySession,
)
from enablement.services.library import _clean_tags
from enablement.services.questions import faq_filter
from enablement.services.sessions import lead_window
from partners.access import require_vendor_staff
from partners.models import Partner
from prm.accounts.models import User

# --------------------------------------------------------------------------- FAQ


@transaction.atomic
def faq_save(*, actor: User, entry: FaqEntry | None = None, question: str, answer: str, tags=(),
             is_published: bool = True) -> FaqEntry:
    """Create an FAQ entry, or change one."""
    require_vendor_staff(actor)
    entry = entry or FaqEntry()
    entry.question, entry.answer = question.strip(), answer.strip()
    entry.tags, entry.is_published = _clean_tags(tags), is_published
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def faq_unpublish(*, actor: User, entry: FaqEntry) -> FaqEntry:
    """Take an entry out of the partners' FAQ search; it stays in the console and can be published again."""
    require_vendor_staff(actor)
    entry.is_published = False
    entry.save(update_fields=["is_published"])
    return entry


# --------------------------------------------------------------------------- announcements


ANNOUNCEMENT_FIELDS = ("kind", "title", "body", "partner_types", "min_tier_rank", "early_access", "target_date",
                       "published_at")


@transaction.atomic
def announcement_update(*, actor: User, announcement: Announcement, **fields) -> Announcement:
    """Correct an announcement; read receipts stay (partners are not notified again)."""
    require_vendor_staff(actor)
    unknown = set(fields) - set(ANNOUNCEMENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown announcement fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(announcement, name, value)
    announcement.full_clean()
    announcement.save()
    return announcement


# --------------------------------------------------------------------------- console reads


def tier_labels() -> dict[int, str]:
    """Tier names by rank across active programmes ("Silver / Partner+"), for showing a minimum rank; one query."""
    from programs.selectors import rank_labels

    return rank_labels()


def library_console(*, query: str = "", kind: str = "", tag: str = "") -> QuerySet[ContentItem]:
    """Every item, published or not, newest change first."""
    from enablement.selectors import library_filter

    return library_filter(ContentItem.objects.all(), query=query, kind=kind, tag=tag).order_by("-updated_at", "-id")


def library_all_tags() -> list[str]:
    """Every tag in use, alphabetically; one query."""
    unnest = Func(F("tags"), function="unnest", output_field=CharField())
    return list(ContentItem.objects.annotate(tag=unnest).values_list("tag", flat=True).order_by("tag").distinct())


def access_log(*, partner: Partner | None = None, action: str = "", item_query: str = "",
               since: date | None = None, until: date | None = None) -> QuerySet[ContentAccess]:
    """Views and downloads across the library; dates are whole days in the current (vendor) time zone."""
    rows = selectors.accesses(partner=partner, action=action)
    for word in item_query.split():
        rows = rows.filter(item__title__icontains=word)
    zone = timezone.get_current_timezone()
    if since is not None:
        rows = rows.filter(at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        rows = rows.filter(at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return rows


def session_lead_deals(session: StudySession) -> list:
    """The deals the session's attendees registered inside its lead window (the ones session_leads counts)."""
    from deals.selectors import deals_registered_by_users
    from enablement.models import SessionSeat

    start, end = lead_window(session)
    attendees = SessionSeat.objects.filter(session=session, status=SessionSeat.Status.ATTENDED).values("user_id")
    return deals_registered_by_users(attendees, since=start, until=end)


def recently_answered(limit: int = 20) -> QuerySet[PartnerQuestion]:
    return (PartnerQuestion.objects.filter(status=PartnerQuestion.Status.ANSWERED)
            .select_related("partner", "asked_by", "answered_by", "faq").order_by("-answered_at", "-pk")[:limit])


def faq_console(query: str = "") -> QuerySet[FaqEntry]:
    """Every FAQ entry, unpublished ones too, with how many partner questions it came from."""
    entries = FaqEntry.objects.annotate(question_count=Count("from_questions"))
    return faq_filter(entries, query).order_by("-created_at", "-pk")


def announcement_audience_sizes(announcements) -> dict[int, int]:
    """How many partner users each announcement reaches (the rule of announcement_audience); one query for
    any number of announcements."""
    viewers = selectors.partner_viewers()
    # partner_viewers annotates each partner with its number of users.
    return {a.pk: sum(partner.users for partner, viewer in viewers if sees(a, viewer)) for a in announcements}  # type: ignore[attr-defined]


@dataclass
class Receipts:
    read: list[AnnouncementRead]
    unread: list[User]
    audience_size: int


def announcement_receipts(announcement: Announcement) -> Receipts:
    """Who read it (with their company) and who in its audience has not yet; a fixed number of queries."""
    from django.db.models import prefetch_related_objects

    audience = selectors.announcement_audience(announcement)
    prefetch_related_objects(audience, "partner_membership__partner")
    read = list(AnnouncementRead.objects.filter(announcement=announcement)
                .select_related("user__partner_membership__partner").order_by("-read_at", "-id"))
    read_ids = {row.user_id for row in read}
    unread = sorted((user for user in audience if user.pk not in read_ids),
                    key=lambda user: (user.partner_membership.partner.name, user.full_name, user.email))
    return Receipts(read=read, unread=unread, audience_size=len(audience))
