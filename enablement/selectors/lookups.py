"""Per-request reads of the enablement tables for the portal: one course, module, quiz attempt, certificate,
library item, question or study session, each with what its page shows joined in. None when it is not there
or not the caller's to see, so the page answers 404 alike for both."""

from __future__ import annotations

from django.db.models import QuerySet

from enablement.models import (
    CertificationAward,
    ContentItem,
    ContentVersion,
    Course,
    Module,
    PartnerQuestion,
    Quiz,
    QuizAttempt,
    StudySession,
)
from partners.models import Partner
from prm.accounts.models import User


def published_course(pk: int) -> Course | None:
    """A published course with its quiz's certification and what that certification requires."""
    return Course.objects.select_related("quiz__certification__requires").filter(pk=pk, is_published=True).first()


def published_module(pk: int) -> Module | None:
    """A module of a published course, with its course."""
    return Module.objects.select_related("course").filter(pk=pk, course__is_published=True).first()


def attempt_of(pk: int, *, user: User) -> QuizAttempt | None:
    """One of the user's own quiz attempts, with its quiz's course and certification."""
    return QuizAttempt.objects.select_related("quiz__course", "quiz__certification").filter(pk=pk, user=user).first()


def open_attempt_of(user: User, quiz: Quiz) -> QuizAttempt | None:
    """The user's attempt of the quiz that is started and not yet submitted."""
    return QuizAttempt.objects.filter(quiz=quiz, user=user, submitted_at__isnull=True).first()


def award_of_attempt(attempt: QuizAttempt) -> CertificationAward | None:
    """The certificate a passed attempt earned."""
    return CertificationAward.objects.filter(attempt=attempt).first()


def certification_award_for(pk: int, *, partner: Partner, holder: User | None) -> CertificationAward | None:
    """A certificate of the partner, with its certification and partner; `holder` set: only if it is theirs."""
    awards = CertificationAward.objects.select_related("certification", "partner").filter(partner=partner)
    if holder is not None:
        awards = awards.filter(user=holder)
    return awards.filter(pk=pk).first()


def latest_awards_by_user(partner: Partner) -> dict[int, list[CertificationAward]]:
    """user id → the latest award of each certification they hold at the partner (valid or expired), by
    certification name; one query."""
    awards: dict[int, list[CertificationAward]] = {}
    for award in CertificationAward.objects.filter(partner=partner).select_related("certification").order_by(
            "user_id", "certification__name", "-expires_at"):
        held = awards.setdefault(award.user_id, [])
        if not held or held[-1].certification_id != award.certification_id:
            held.append(award)
    return awards


def published_content_item(pk: int) -> ContentItem | None:
    """A published item of the content library."""
    return ContentItem.objects.filter(pk=pk, is_published=True).first()


def recent_versions(item: ContentItem, limit: int = 10) -> QuerySet[ContentVersion]:
    """A content item's latest versions, newest first."""
    return ContentVersion.objects.filter(item=item).order_by("-number")[:limit]


def question_of_partner(pk: int, *, partner: Partner) -> PartnerQuestion | None:
    """A question asked by one of the partner's people."""
    return PartnerQuestion.objects.filter(pk=pk, partner=partner).first()


def session_with_seat(pk: int, *, user: User) -> StudySession | None:
    """A study session the user holds a seat in."""
    return StudySession.objects.filter(pk=pk, seats__user=user).first()
