"""Reads of the enablement app, each with a fixed number of queries however much content there is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from enablement.audience import (
    Viewer,
    announcement_condition,
    audience_condition,
    content_condition,
    course_required,
    sees,
)
from enablement.models import (
    Announcement,
    AnnouncementRead,
    Certification,
    CertificationAward,
    ContentAccess,
    ContentItem,
    Course,
    CourseCompletion,
    LearningPath,
    ModuleProgress,
    PartnerQuestion,
    QuizAttempt,
    SessionSeat,
    StudySession,
)
from enablement.selectors.home import HomeEnablement as HomeEnablement
from enablement.selectors.home import portal_home as portal_home
from enablement.selectors.lookups import (  # noqa: F401
    attempt_of,
    award_of_attempt,
    certification_award_for,
    latest_awards_by_user,
    open_attempt_of,
    published_content_item,
    published_course,
    published_module,
    question_of_partner,
    recent_versions,
    session_with_seat,
)
from partners.models import Partner
from partners.selectors import active_partners_with_user_counts
from prm.accounts.models import User
from prm.inbox import Waiting, partner_scope, waiting
from prm.reads import Read, fetch_rows, local_days
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
        Course.objects.filter(audience_condition(viewer), is_published=True)
        .annotate(module_total=Count("modules", distinct=True), modules_done=_count_of(done),
                  completed=Exists(user.course_completions.filter(course=OuterRef("pk"))))
        .select_related("quiz__certification")
    )
    for course in courses:
        course.required = course_required(course, viewer)  # type: ignore[attr-defined]  # for the template; not a field
        course.percent = course.modules_done * 100 // course.module_total if course.module_total else 0  # type: ignore[attr-defined]
    return sorted(courses, key=lambda c: (not c.required, c.completed, c.position, c.title))  # type: ignore[attr-defined]  # set above


def paths_for(viewer: Viewer) -> QuerySet[LearningPath]:
    return LearningPath.objects.filter(audience_condition(viewer)).prefetch_related("courses")


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


def held_certifications_of(user: User) -> list[Held]:
    """The certifications the user was awarded, each with the latest award, in the certifications' order
    (name); one query. `certifications_of` without the ones never awarded."""
    latest: dict[int, CertificationAward] = {}
    awards = (CertificationAward.objects.filter(user=user).select_related("certification__requires")
              .order_by("certification__name", "certification_id", "-expires_at"))
    for award in awards:
        latest.setdefault(award.certification_id, award)
    return [Held(award.certification, award) for award in latest.values()]


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
    items = library_filter(ContentItem.objects.filter(content_condition(viewer)), query=query, kind=kind, tag=tag)
    return items.order_by(*LIBRARY_SORTS.get(sort, LIBRARY_SORTS["new"]))


def library_tags(viewer: Viewer, limit: int = 30) -> list[str]:
    """The most used tags of the items this viewer may see; one query."""
    sql_items = ContentItem.objects.filter(content_condition(viewer)).values("tags")
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
            .distinct().annotate(seated=Exists(mine), seat_status=Subquery(mine.values("status")[:1]),
                                 seat_count=Count("seats", distinct=True))
            .order_by("-starts_at"))


def session_leads(session_ids: list[int]) -> dict[int, int]:
    """Deals registered by each session's attendees from its start to the end of its lead window (counted by
    deals.selectors.deals_registered_by); two queries."""
    if not session_ids:
        return {}
    from deals.selectors import deals_registered_by

    seats = (SessionSeat.objects.filter(session_id__in=list(session_ids), status=SessionSeat.Status.ATTENDED)
             .values_list("session_id", "user_id", "session__starts_at", "session__ends_at",
                          "session__lead_window_minutes"))
    counts = deals_registered_by([(session, user, starts, ends + timedelta(minutes=minutes))
                                  for session, user, starts, ends, minutes in seats])
    return {session: n for session, n in counts.items() if n}


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


def questions_waiting_for_vendor(*, partner_ids: QuerySet | None = None) -> Waiting[PartnerQuestion]:
    """question_queue's questions, of the given partners, with how many wait in all."""
    return waiting(question_queue().filter(partner_scope(partner_ids)).order_by("escalated_at", "pk"))


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
    items = Announcement.objects.filter(announcement_condition(viewer), published_at__lte=timezone.now()).annotate(
        is_read=Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user)))
    if kind:
        items = items.filter(kind=kind)
    return items.order_by("-published_at")


def partner_viewers() -> list[tuple[Partner, Viewer]]:
    """Every active partner with its audience view (tier read in the same query) and `users`, its number of
    active users; one query."""
    partners = active_partners_with_user_counts(related=["tier_status__tier"])
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


# --------------------------------------------------------------------------- portal home (enablement.selectors.home)


def certification_awards_for_sync(*, partner_id: int | None = None) -> QuerySet[CertificationAward]:
    """Certifications held by partner reps (valid or expired), for an outside system."""
    qs = CertificationAward.objects.select_related("certification")
    return qs.filter(partner_id=partner_id) if partner_id is not None else qs


# --------------------------------------------------------------------------- figures (see prm.figures)
#
# A certified rep on a day: a person who is an active user and a member of the partner (partners owns
# the membership: partners.selectors.member_pairs), holding on that day a certification of that partner
# that was issued and has not expired; each person counts once however many certifications they hold.
# `partner_ids=None` covers every partner of the vendor.


def _award_scope(partner_ids):
    awards = CertificationAward.objects.filter(user__is_active=True)
    return awards if partner_ids is None else awards.filter(partner_id__in=list(partner_ids))


def _member_awards(partner_ids, condition: str, params: dict[str, object], counted: str) -> dict[int, int]:
    """partner id → `counted` (an aggregate over the awards `a`) of the awards meeting `condition` held by the
    partner's active members, in one statement with partners' membership relation."""
    return _member_awards_read(partner_ids, condition, params, counted).run()


def _member_awards_read(partner_ids, condition: str, params: dict[str, object], counted: str) -> Read[dict[int, int]]:
    from partners.selectors import member_pairs_sql

    members, member_params = member_pairs_sql(partner_ids)
    return Read(f"""
        WITH members AS ({members})
        SELECT a.partner_id, {counted}
          FROM enablement_certificationaward a
          JOIN members m ON m.partner_id = a.partner_id AND m.user_id = a.user_id
         WHERE {condition}
         GROUP BY a.partner_id""", {**params, **member_params}, dict)


def reps_with_valid_certification(partner_ids, at) -> dict[int, int]:
    """partner id → certified reps at the instant `at` (a datetime)."""
    return reps_with_valid_certification_read(partner_ids, at).run()


def reps_with_valid_certification_read(partner_ids, at) -> Read[dict[int, int]]:
    """reps_with_valid_certification's statement, for a page that sends it with others (prm.reads.Later)."""
    return _member_awards_read(partner_ids, "a.issued_at <= %(at)s AND a.expires_at > %(at)s", {"at": at},
                               "count(DISTINCT a.user_id)")


def reps_certified_between(partner_ids, start, end) -> dict[int, int]:
    """partner id → people who earned a certification from `start` to `end` (local days, both included)."""
    since, until = local_days(start, end)
    return _member_awards(partner_ids, "a.issued_at >= %(since)s AND a.issued_at < %(until)s",
                          {"since": since, "until": until}, "count(DISTINCT a.user_id)")


def certifications_earned_between(partner_ids, start, end) -> dict[int, int]:
    """partner id → certifications its members earned from `start` to `end` (each award counts)."""
    since, until = local_days(start, end)
    return _member_awards(partner_ids, "a.issued_at >= %(since)s AND a.issued_at < %(until)s",
                          {"since": since, "until": until}, "count(*)")


def first_certifications(partner_ids) -> dict[int, object]:
    """partner id → when its first certification was issued (to anyone, valid or not)."""
    from django.db.models import Min

    rows = _award_scope(partner_ids).order_by().values("partner_id").annotate(first=Min("issued_at"))
    return {row["partner_id"]: row["first"] for row in rows}


def quiz_results_since(partner_ids, since) -> dict[int, tuple[int, int]]:
    """partner id → (quiz attempts, passed) its active members submitted since `since`; one statement."""
    from partners.selectors import member_pairs_sql

    members, member_params = member_pairs_sql(partner_ids)
    return {partner_id: (int(attempts), int(passed)) for partner_id, attempts, passed in fetch_rows(f"""
        WITH members AS ({members})
        SELECT m.partner_id, count(*), count(*) FILTER (WHERE q.passed)
          FROM enablement_quizattempt q
          JOIN members m ON m.user_id = q.user_id
         WHERE q.submitted_at >= %(since)s
         GROUP BY m.partner_id""", {"since": since, **member_params})}


def nth_rep_first_certified(partner_ids, n: int) -> dict[int, object]:
    """partner id → the instant the partner's n-th person earned a first certification (with the partner):
    the certification badge of programs.recognition. Partners with fewer are left out."""
    rows = fetch_rows("""
        WITH ids(partner_id) AS (SELECT unnest(%(ids)s::bigint[]))
        SELECT ids.partner_id,
          (SELECT first_at FROM (SELECT MIN(a.issued_at) AS first_at FROM enablement_certificationaward a
                                  WHERE a.partner_id = ids.partner_id GROUP BY a.user_id ORDER BY 1
                                 OFFSET %(skip)s LIMIT 1) nth)
        FROM ids""", {"ids": list(partner_ids), "skip": n - 1})
    return {pk: at for pk, at in rows if at is not None}


def attendance_streak_completed(partner_ids, n: int, now) -> dict[int, object]:
    """partner id → the start of the study session that completed the partner's first run of `n` sessions in a
    row attended by one of its members (of the sessions its members were invited to, up to `now`)."""
    from partners.selectors import member_pairs_sql

    members, member_params = member_pairs_sql(partner_ids, active_only=False)
    rows = fetch_rows(f"""
        WITH ids(partner_id) AS (SELECT unnest(%(ids)s::bigint[])),
             members(partner_id, user_id) AS ({members})
        SELECT ids.partner_id,
          (SELECT MIN(starts_at) FROM (
               SELECT starts_at, ROW_NUMBER() OVER (PARTITION BY misses ORDER BY starts_at, id) AS n
                 FROM (SELECT s.id, s.starts_at, BOOL_OR(seat.status = 'attended') AS attended,
                              SUM(CASE WHEN BOOL_OR(seat.status = 'attended') THEN 0 ELSE 1 END)
                                  OVER (ORDER BY s.starts_at, s.id) AS misses
                         FROM enablement_studysession s
                         JOIN enablement_sessionseat seat ON seat.session_id = s.id
                         JOIN members m ON m.user_id = seat.user_id AND m.partner_id = ids.partner_id
                        WHERE s.kind = 'study' AND s.starts_at <= %(now)s
                        GROUP BY s.id, s.starts_at) sessions
                WHERE attended) runs
            WHERE n = %(sessions)s)
        FROM ids""", {"ids": list(partner_ids), **member_params, "now": now, "sessions": n})
    return {pk: at for pk, at in rows if at is not None}


def certifications_expiring_between(partner_ids, after, until) -> dict[int, int]:
    """partner id → its certifications still valid at `after` that expire by `until` (instants)."""
    awards = CertificationAward.objects.filter(expires_at__gt=after, expires_at__lte=until)
    if partner_ids is not None:
        awards = awards.filter(partner_id__in=list(partner_ids))
    return dict(awards.order_by().values("partner_id").annotate(n=Count("pk")).values_list("partner_id", "n"))


# --------------------------------------------------------------------------- a period's learning (QBR pack)
#
# "People of the partner" are the users who are its members (the membership is partners'; its relation on the
# user is followed in the join). Periods are instants: `since` included, `until` excluded.


def _members_of(partner_ids) -> Q:
    return Q() if partner_ids is None else Q(user__partner_membership__partner_id__in=list(partner_ids))


_MEMBER_PARTNER = "user__partner_membership__partner_id"


def certification_holders(partner_id: int, at, limit: int = 12) -> list[CertificationAward]:
    """The partner's certifications still valid at `at`, by holder and certification name."""
    return list(CertificationAward.objects.filter(partner_id=partner_id, expires_at__gt=at)
                .select_related("certification").order_by("holder_name", "certification__name")[:limit])


def courses_completed_between(partner_ids, since, until) -> dict[int, int]:
    """partner id → courses its people completed in the period."""
    return dict(CourseCompletion.objects.filter(_members_of(partner_ids), completed_at__gte=since,
                                                completed_at__lt=until)
                .order_by().values(_MEMBER_PARTNER).annotate(n=Count("pk")).values_list(_MEMBER_PARTNER, "n"))


def quiz_attempts_between(partner_ids, since, until) -> dict[int, tuple[int, int]]:
    """partner id → (quiz attempts its people submitted in the period, of which passed)."""
    rows = (QuizAttempt.objects.filter(_members_of(partner_ids), submitted_at__gte=since, submitted_at__lt=until)
            .order_by().values(_MEMBER_PARTNER).annotate(taken=Count("pk"), passed=Count("pk", filter=Q(passed=True))))
    return {row[_MEMBER_PARTNER]: (row["taken"], row["passed"]) for row in rows}


def downloads_between(partner_ids, since, until) -> dict[int, int]:
    """partner id → content downloads by its people in the period."""
    accesses = ContentAccess.objects.filter(action=ContentAccess.Action.DOWNLOAD, at__gte=since, at__lt=until)
    if partner_ids is not None:
        accesses = accesses.filter(partner_id__in=list(partner_ids))
    return dict(accesses.order_by().values("partner_id").annotate(n=Count("pk")).values_list("partner_id", "n"))


def top_downloads(partner_id: int, since, until, limit: int = 5) -> list[tuple[str, int]]:
    """(title, downloads) of the content the partner downloaded most in the period."""
    return list(ContentAccess.objects.filter(partner_id=partner_id, action=ContentAccess.Action.DOWNLOAD,
                                             at__gte=since, at__lt=until)
                .values("item__title").annotate(n=Count("pk")).order_by("-n", "item__title")
                .values_list("item__title", "n")[:limit])


def session_attendance_between(partner_ids, since, until) -> dict[int, tuple[int, int, int]]:
    """partner id → (study sessions in the period its people were invited to, sessions they attended, people
    who attended one)."""
    in_period = Q(session__starts_at__gte=since, session__starts_at__lt=until)
    attended = in_period & Q(status=SessionSeat.Status.ATTENDED)
    rows = (SessionSeat.objects.filter(_members_of(partner_ids)).filter(in_period).order_by().values(_MEMBER_PARTNER)
            .annotate(invited=Count("session", distinct=True), attended=Count("session", filter=attended, distinct=True),
                      people=Count("user", filter=attended, distinct=True)))
    return {row[_MEMBER_PARTNER]: (row["invited"], row["attended"], row["people"]) for row in rows}
