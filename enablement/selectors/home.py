"""What the portal home shows of enablement, in fixed hand-written statements: the home is every partner rep's
first page, and compiling its six ORM queries cost several times their round trips. Each read keeps the rule of
the full list it shortens (announcements_for, sessions_for, courses_for, held_certifications_of, library): the
audience through enablement.audience, a course's being required through course_required."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.utils import timezone

from enablement.audience import Viewer, announcement_sql, audience_sql, content_sql, course_required
from enablement.models import (
    Announcement,
    Certification,
    CertificationAward,
    ContentItem,
    Course,
    PartnerQuestion,
    StudySession,
)
from partners.models import Partner
from prm.accounts.models import User
from prm.reads import ModelRows, fetch_rows

_ANNOUNCEMENT, _SESSION, _COURSE = ModelRows(Announcement), ModelRows(StudySession), ModelRows(Course)
_AWARD, _CERTIFICATION, _ITEM = ModelRows(CertificationAward), ModelRows(Certification), ModelRows(ContentItem)


@dataclass
class HomeEnablement:
    announcements: list
    unread: int
    sessions: list
    required_open: list
    certifications: list
    new_content: list
    questions_waiting: int


@cache
def _announcements_sql(audience: str) -> str:
    # The newest three, each carrying the number unread among all those the viewer may see (a window over the
    # whole result, counted before the limit).
    return f"""
        SELECT {_ANNOUNCEMENT.columns('a')}, read.is_read, count(*) FILTER (WHERE NOT read.is_read) OVER ()
          FROM enablement_announcement a
          CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM enablement_announcementread r
                                              WHERE r.announcement_id = a.id AND r.user_id = %(user)s) AS is_read) read
         WHERE {audience} AND a.published_at <= %(now)s
         ORDER BY a.published_at DESC
         LIMIT 3"""


def _announcements(user: User, viewer: Viewer, now) -> tuple[list[Announcement], int]:
    audience, params = announcement_sql(viewer, "a")
    announcements, unread = [], 0
    for row in fetch_rows(_announcements_sql(audience), {**params, "user": user.pk, "now": now}):
        announcement = _ANNOUNCEMENT.instance(row[:-2])
        announcement.is_read, unread = row[-2:]  # type: ignore[attr-defined]  # as announcements_for annotates it
        announcements.append(announcement)
    return announcements, unread


@cache
def _sessions_sql() -> str:
    return f"""
        SELECT {_SESSION.columns('s')}, seat.seated
          FROM enablement_studysession s
          CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM enablement_sessionseat x
                                              WHERE x.session_id = s.id AND x.user_id = %(user)s) AS seated) seat
         WHERE (s.partner_id IS NULL OR s.partner_id = %(partner)s OR seat.seated) AND s.ends_at >= %(now)s
         ORDER BY s.starts_at
         LIMIT 3"""


def _sessions(user: User, partner: Partner, now) -> list[StudySession]:
    sessions = []
    for row in fetch_rows(_sessions_sql(), {"user": user.pk, "partner": partner.pk, "now": now}):
        session = _SESSION.instance(row[:-1])
        session.seated = row[-1]  # type: ignore[attr-defined]  # as sessions_for annotates it
        sessions.append(session)
    return sessions


@cache
def _open_courses_sql(audience: str) -> str:
    # The published courses the viewer may see and the user has not completed, with their modules and the user's.
    return f"""
        SELECT {_COURSE.columns('c')},
               (SELECT count(*) FROM enablement_module m WHERE m.course_id = c.id),
               (SELECT count(*) FROM enablement_moduleprogress p JOIN enablement_module m ON m.id = p.module_id
                 WHERE m.course_id = c.id AND p.user_id = %(user)s)
          FROM enablement_course c
         WHERE {audience} AND c.is_published
           AND NOT EXISTS (SELECT 1 FROM enablement_coursecompletion d WHERE d.course_id = c.id AND d.user_id = %(user)s)"""


def _required_open(user: User, viewer: Viewer, limit: int) -> list[Course]:
    """courses_for's required courses the user has not completed, in its order (position, title)."""
    audience, params = audience_sql(viewer, "c")
    courses = []
    for row in fetch_rows(_open_courses_sql(audience), {**params, "user": user.pk}):
        course = _COURSE.instance(row[:-2])
        if course_required(course, viewer):
            course.module_total, course.modules_done = row[-2:]  # type: ignore[attr-defined]  # as courses_for
            courses.append(course)
    return sorted(courses, key=lambda c: (c.position, c.title))[:limit]


@cache
def _certifications_sql() -> str:
    # The latest award of each certification the user holds, in the certifications' order (name).
    return f"""
        SELECT DISTINCT ON (c.name, c.id) {_AWARD.columns('a')}, {_CERTIFICATION.columns('c')}
          FROM enablement_certificationaward a JOIN enablement_certification c ON c.id = a.certification_id
         WHERE a.user_id = %(user)s
         ORDER BY c.name, c.id, a.expires_at DESC"""


def _certifications(user: User) -> list:
    from enablement.selectors import Held

    held = []
    width = len(_AWARD.fields)
    for row in fetch_rows(_certifications_sql(), {"user": user.pk}):
        award, certification = _AWARD.instance(row[:width]), _CERTIFICATION.instance(row[width:])
        held.append(Held(certification, award))
    return held


@cache
def _new_content_sql(content: str) -> str:
    return f"""SELECT {_ITEM.columns('i')} FROM enablement_contentitem i WHERE {content}
                ORDER BY i.updated_at DESC, i.id DESC LIMIT %(limit)s"""


def _new_content(viewer: Viewer, limit: int) -> list[ContentItem]:
    """library(viewer)'s first items (the newest)."""
    content, params = content_sql(viewer, "i")
    return [_ITEM.instance(row) for row in fetch_rows(_new_content_sql(content), {**params, "limit": limit})]


_WAITING_SQL = """SELECT count(*) FROM enablement_partnerquestion q
                   WHERE q.partner_id = %(partner)s AND q.status = %(status)s"""


def portal_home(user: User, partner: Partner, viewer: Viewer, *, manager: bool) -> HomeEnablement:
    """What the portal home shows of enablement; five statements (six for a manager)."""
    now = timezone.now()
    announcements, unread = _announcements(user, viewer, now)
    waiting = (fetch_rows(_WAITING_SQL, {"partner": partner.pk, "status": PartnerQuestion.Status.WITH_MANAGER})[0][0]
               if manager else 0)
    return HomeEnablement(
        announcements=announcements, unread=unread, sessions=_sessions(user, partner, now),
        required_open=_required_open(user, viewer, 4), certifications=_certifications(user),
        new_content=_new_content(viewer, 4), questions_waiting=waiting)
