"""Reads of the enablement app, each with a fixed number of queries however much content there is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from enablement.audience import Viewer, announcement_q, audience_q, content_q, course_required, sees
from enablement.models import (
    Announcement,
    AnnouncementRead,
    Certification,
    CertificationAward,
    ContentAccess,
    ContentItem,
    Course,
    LearningPath,
    ModuleProgress,
    PartnerQuestion,
    QuizAttempt,
    SessionSeat,
    StudySession,
)
from partners.models import Partner
from prm.accounts.models import User
from programs.benefits import benefits_of_tier

LIBRARY_SORTS = {"new": ("-updated_at", "-id"), "popular": ("-download_count", "-id"), "title": ("title", "id")}


def _count_of(queryset: QuerySet) -> Coalesce:
    return Coalesce(Subquery(queryset.order_by().values(key=Value(1)).annotate(n=Count("*")).values("n")[:1],
                             output_field=IntegerField()), 0)


# --------------------------------------------------------------------------- learning


def courses_for(user: User, viewer: Viewer) -> list[Course]:
    """Published courses the user's partner may take, each with module totals, the user's progress and
    `required`; two queries."""
    done = ModuleProgress.objects.filter(user=user, module__course=OuterRef("pk"))
    courses = list(
        Course.objects.filter(audience_q(viewer), is_published=True)
        .annotate(module_total=Count("modules", distinct=True), modules_done=_count_of(done),
                  completed=Exists(user.course_completions.filter(course=OuterRef("pk"))))
        .select_related("quiz__certification")
    )
    # `required` and `percent` are set on each instance for the templates; they are not fields.
    for course in courses:
        course.required = course_required(course, viewer)  # type: ignore[attr-defined]
        course.percent = course.modules_done * 100 // course.module_total if course.module_total else 0  # type: ignore[attr-defined]
    return sorted(courses, key=lambda c: (not c.required, c.completed, c.position, c.title))  # type: ignore[attr-defined]


def paths_for(viewer: Viewer) -> QuerySet[LearningPath]:
    return LearningPath.objects.filter(audience_q(viewer)).prefetch_related("courses")


@dataclass(frozen=True)
class Held:
    certification: Certification
    award: CertificationAward | None

    @property
    def state(self) -> str:
        if self.award is None:
            return "none"
        now = timezone.now()
        if self.award.expires_at <= now:
            return "expired"
        if self.award.expires_at - timedelta(days=self.certification.remind_days_before) <= now:
            return "expiring"
        return "valid"


def certifications_of(user: User) -> list[Held]:
    """Every certification with the user's latest award (or None); two queries."""
    latest: dict[int, CertificationAward] = {}
    for award in CertificationAward.objects.filter(user=user).order_by("certification_id", "-expires_at"):
        latest.setdefault(award.certification_id, award)
    return [Held(certification, latest.get(certification.pk))
            for certification in Certification.objects.select_related("requires")]


def attempts_of(user: User, quiz) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(user=user, quiz=quiz, submitted_at__isnull=False).order_by("-submitted_at")


# --------------------------------------------------------------------------- library


def library_filter(items: QuerySet[ContentItem], *, query: str = "", kind: str = "", tag: str = "") -> QuerySet[ContentItem]:
    """Every word of the query in the title, description or tags; then kind and tag."""
    for word in query.split():
        items = items.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(tags__contains=[word]))
    if kind:
        items = items.filter(kind=kind)
    if tag:
        items = items.filter(tags__contains=[tag])
    return items


def library(viewer: Viewer, *, query: str = "", kind: str = "", tag: str = "", sort: str = "new") -> QuerySet[ContentItem]:
    items = library_filter(ContentItem.objects.filter(content_q(viewer)), query=query, kind=kind, tag=tag)
    return items.order_by(*LIBRARY_SORTS.get(sort, LIBRARY_SORTS["new"]))


def library_tags(viewer: Viewer, limit: int = 30) -> list[str]:
    """The most used tags of the items this viewer may see; one query."""
    sql_items = ContentItem.objects.filter(content_q(viewer)).values("tags")
    compiler_sql, params = sql_items.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tag FROM (SELECT unnest(tags) AS tag FROM ({compiler_sql}) AS items) AS t "
                       "GROUP BY tag ORDER BY count(*) DESC, tag LIMIT %s", [*params, limit])
        return [row[0] for row in cursor.fetchall()]


def accesses(*, item: ContentItem | None = None, partner: Partner | None = None,
             action: str = "") -> QuerySet[ContentAccess]:
    """Who viewed or downloaded what and when, newest first (console)."""
    rows = ContentAccess.objects.select_related("item", "user", "contact", "partner", "version")
    if item is not None:
        rows = rows.filter(item=item)
    if partner is not None:
        rows = rows.filter(partner=partner)
    if action:
        rows = rows.filter(action=action)
    return rows.order_by("-at", "-id")


def top_downloaders(item: ContentItem, limit: int = 10) -> QuerySet:
    return (ContentAccess.objects.filter(item=item, action=ContentAccess.Action.DOWNLOAD)
            .values("partner_id", "partner__name").annotate(n=Count("*")).order_by("-n", "partner__name")[:limit])


# --------------------------------------------------------------------------- sessions


def sessions_for(user: User, partner: Partner) -> QuerySet[StudySession]:
    """Sessions a partner user may see: open ones, their company's, and any they hold a seat in."""
    mine = SessionSeat.objects.filter(session=OuterRef("pk"), user=user)
    return (StudySession.objects.filter(Q(partner__isnull=True) | Q(partner=partner) | Q(seats__user=user))
            .distinct().annotate(seated=Exists(mine), seat_count=Count("seats", distinct=True))
            .order_by("-starts_at"))


def session_leads(session_ids: list[int]) -> dict[int, int]:
    """Deals registered by each session's attendees from its start to the end of its lead window; one query."""
    if not session_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.id, count(DISTINCT d.id)
              FROM enablement_studysession s
              JOIN enablement_sessionseat seat ON seat.session_id = s.id AND seat.status = 'attended'
              JOIN deals_dealregistration d ON d.registered_by_id = seat.user_id
               AND d.registered_at >= s.starts_at
               AND d.registered_at <= s.ends_at + make_interval(mins => s.lead_window_minutes)
             WHERE s.id = ANY(%s)
             GROUP BY s.id
            """,
            [list(session_ids)],
        )
        return dict(cursor.fetchall())


def sessions_console() -> QuerySet[StudySession]:
    return StudySession.objects.select_related("partner", "host").annotate(
        invited=Count("seats", distinct=True),
        attended=Count("seats", filter=Q(seats__status=SessionSeat.Status.ATTENDED), distinct=True),
    ).order_by("-starts_at")


# --------------------------------------------------------------------------- questions


def questions_for_partner_user(user: User, partner: Partner, *, manager: bool) -> QuerySet[PartnerQuestion]:
    questions = PartnerQuestion.objects.filter(partner=partner).select_related("asked_by", "answered_by")
    return questions if manager else questions.filter(asked_by=user)


def question_queue() -> QuerySet[PartnerQuestion]:
    """Escalated questions waiting for the vendor, longest waiting first."""
    return (PartnerQuestion.objects.filter(status=PartnerQuestion.Status.WITH_VENDOR)
            .select_related("partner", "asked_by").order_by("escalated_at"))


def answer_times() -> dict[str, timedelta | None]:
    """Average time to an answer over the last 90 days, by who answered; one query."""
    since = timezone.now() - timedelta(days=90)
    rows = PartnerQuestion.objects.filter(status=PartnerQuestion.Status.ANSWERED, answered_at__gte=since)
    from django.db.models import Avg

    result = rows.aggregate(manager=Avg(F("answered_at") - F("asked_at"), filter=Q(answered_by_vendor=False)),
                            vendor=Avg(F("answered_at") - F("escalated_at"), filter=Q(answered_by_vendor=True)))
    return result


# --------------------------------------------------------------------------- announcements


def announcements_for(user: User, viewer: Viewer, *, kind: str | None = None) -> QuerySet[Announcement]:
    items = Announcement.objects.filter(announcement_q(viewer), published_at__lte=timezone.now()).annotate(
        is_read=Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user)))
    if kind:
        items = items.filter(kind=kind)
    return items.order_by("-published_at")


def partner_viewers() -> list[tuple[Partner, Viewer]]:
    """Every active partner with its audience view (tier read in the same query) and `users`, its number of
    active users; one query."""
    partners = (Partner.objects.active().select_related("tier_status__tier")
                .annotate(users=Count("memberships", filter=Q(memberships__user__is_active=True))))
    result = []
    for partner in partners:
        status = getattr(partner, "tier_status", None)
        result.append((partner, Viewer.of_benefits(partner.partner_type, benefits_of_tier(status.tier if status else None))))
    return result


def announcement_audience(announcement: Announcement) -> list[User]:
    """The active partner users whose company the announcement targets (type, tier, early access)."""
    chosen = [partner.pk for partner, viewer in partner_viewers() if sees(announcement, viewer)]
    return list(User.objects.filter(partner_membership__partner__in=chosen, is_active=True))


def announcements_console() -> QuerySet[Announcement]:
    return Announcement.objects.annotate(read_count=Count("reads")).order_by("-published_at")


# --------------------------------------------------------------------------- portal home


@dataclass
class HomeEnablement:
    announcements: list
    unread: int
    sessions: list
    required_open: list
    certifications: list
    new_content: list
    questions_waiting: int


def portal_home(user: User, partner: Partner, viewer: Viewer, *, manager: bool) -> HomeEnablement:
    """What the portal home shows of enablement; a fixed number of queries."""
    now = timezone.now()
    announcements = announcements_for(user, viewer)
    unread = announcements.filter(is_read=False).count()  # type: ignore[misc]  # annotated by announcements_for
    sessions = list(sessions_for(user, partner).filter(ends_at__gte=now).order_by("starts_at")[:3])
    courses = courses_for(user, viewer)
    required_open = [course for course in courses if course.required and not course.completed][:4]  # type: ignore[attr-defined]
    certifications = [held for held in certifications_of(user) if held.award is not None]
    waiting = (PartnerQuestion.objects.filter(partner=partner, status=PartnerQuestion.Status.WITH_MANAGER).count()
               if manager else 0)
    return HomeEnablement(
        announcements=list(announcements[:3]), unread=unread, sessions=sessions, required_open=required_open,
        certifications=certifications, new_content=list(library(viewer)[:4]), questions_waiting=waiting)


def certification_awards_for_sync(*, partner_id: int | None = None) -> QuerySet[CertificationAward]:
    """Certifications held by partner reps (valid or expired), for an outside system."""
    qs = CertificationAward.objects.select_related("certification")
    return qs.filter(partner_id=partner_id) if partner_id is not None else qs
