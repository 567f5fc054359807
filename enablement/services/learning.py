"""Courses, quizzes and certifications: progress, attempts, awards, renewal and expiry reminders."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enablement import grading
from enablement.audience import Viewer, sees
from enablement.models import (
    Certification,
    CertificationAward,
    Course,
    CourseCompletion,
    Module,
    ModuleProgress,
    Quiz,
    QuizAttempt,
    QuizAttemptGrant,
)
from partners.access import require_vendor_staff
from partners.models import SignalKind
from partners.selectors import partner_for_user
from partners.services import signal_record
from prm import events
from prm import messages as msg
from prm.accounts.models import User
from prm.notifications.services import notify
from prm.tenancy.urls import reverse_path

SUBMIT_GRACE = timedelta(seconds=30)  # a form posted as the clock runs out still counts


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _partner_of(user: User):
    partner = partner_for_user(user)
    if partner is None or not partner.is_active:
        raise PermissionDenied(_("Only partner users take courses."))
    return partner


def check_course_open(*, course: Course, user: User) -> None:
    """Refuse a course the user's partner may not take (unpublished, other type, above its tier)."""
    partner = _partner_of(user)
    viewer = Viewer.of(partner)
    if not course.is_published or not sees(course, viewer):
        if course.is_published and course.min_tier_rank > viewer.rank:
            raise PermissionDenied(_("This course is for partners of a higher tier."))
        raise PermissionDenied(_("This course is not available to your company."))


@transaction.atomic
def module_complete(*, module: Module, user: User) -> CourseCompletion | None:
    """Mark a module done; when it is the course's last, the course is complete (returned once)."""
    course = module.course
    check_course_open(course=course, user=user)
    ModuleProgress.objects.get_or_create(user=user, module=module)
    done = ModuleProgress.objects.filter(user=user, module__course=course).count()
    if done < course.modules.count() or CourseCompletion.objects.filter(user=user, course=course).exists():
        return None
    completion = CourseCompletion.objects.create(user=user, course=course)
    contact = getattr(user, "contact", None)
    signal_record(partner=_partner_of(user), contact=contact, kind=SignalKind.TRAINING_COMPLETED,
                  occurred_at=completion.completed_at, source=f"enablement.CourseCompletion:{completion.pk}")
    return completion


# --------------------------------------------------------------------------- quizzes


def current_award(*, user: User, certification: Certification) -> CertificationAward | None:
    return CertificationAward.objects.filter(user=user, certification=certification).order_by("-expires_at").first()


def renewal_opens(award: CertificationAward) -> datetime:
    return award.expires_at - timedelta(days=award.certification.remind_days_before)


@dataclass(frozen=True)
class Allowance:
    """Where a rep stands with a quiz's attempts since their last pass (renewing starts a fresh allowance)."""

    used: int  # submitted attempts
    allowed: int  # the quiz's limit plus the attempts a channel manager granted
    granted: int
    last_grant: QuizAttemptGrant | None
    waits_waived: bool  # a grant came after the last attempt: the next one may start at once

    @property
    def left(self) -> int:
        return max(self.allowed - self.used, 0)


def quiz_allowance(*, quiz: Quiz, user: User) -> Allowance:
    attempts = QuizAttempt.objects.filter(quiz=quiz, user=user, submitted_at__isnull=False)
    last_pass = attempts.filter(passed=True).order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    grants = QuizAttemptGrant.objects.filter(quiz=quiz, user=user)
    if last_pass is not None:
        attempts, grants = attempts.filter(submitted_at__gt=last_pass), grants.filter(granted_at__gt=last_pass)
    last_attempt = attempts.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    granted = grants.count()
    last_grant = grants.select_related("granted_by").order_by("-granted_at", "-id").first() if granted else None
    return Allowance(used=attempts.count(), allowed=quiz.max_attempts + granted, granted=granted, last_grant=last_grant,
                     waits_waived=last_grant is not None and (last_attempt is None or last_grant.granted_at > last_attempt))


def attempts_counted(*, quiz: Quiz, user: User) -> int:
    """Attempts since the last pass: renewing starts a fresh allowance."""
    return quiz_allowance(quiz=quiz, user=user).used


def quiz_blocker(*, quiz: Quiz, user: User, now: datetime | None = None) -> str | None:
    """Why the user may not start an attempt now, in words, or None."""
    now = now or timezone.now()
    certification = quiz.certification
    if certification is not None:
        required = certification.requires
        if required is not None:
            prerequisite = current_award(user=user, certification=required)
            if prerequisite is None or prerequisite.expires_at <= now:
                return _("This certification needs a valid “%(name)s” certification first.") % {
                    "name": required.name}
        award = current_award(user=user, certification=certification)
        if award is not None and award.expires_at > now and renewal_opens(award) > now:
            return _("You are certified until %(date)s. Renewal opens on %(opens)s.") % {
                "date": date_format(timezone.localtime(award.expires_at), "DATE_FORMAT"),
                "opens": date_format(timezone.localtime(renewal_opens(award)), "DATE_FORMAT")}
    elif QuizAttempt.objects.filter(quiz=quiz, user=user, passed=True).exists():
        return _("You have already passed this quiz.")
    allowance = quiz_allowance(quiz=quiz, user=user)
    if allowance.used >= allowance.allowed:
        return _("You have used all %(count)s attempts. Ask your channel manager to allow another one.") % {
            "count": allowance.allowed}
    last = QuizAttempt.objects.filter(quiz=quiz, user=user, submitted_at__isnull=False).order_by("-submitted_at").first()
    if (last is not None and last.submitted_at is not None and not last.passed and quiz.cooldown_hours
            and not allowance.waits_waived):
        ready = last.submitted_at + timedelta(hours=quiz.cooldown_hours)
        if ready > now:
            return _("You can try again from %(time)s.") % {
                "time": date_format(timezone.localtime(ready), "DATETIME_FORMAT")}
    return None


@transaction.atomic
def quiz_start(*, quiz: Quiz, user: User, rng: random.Random | None = None) -> QuizAttempt:
    """Start an attempt, or return the open one; questions and choices in a fresh random order."""
    check_course_open(course=quiz.course, user=user)
    open_attempt = QuizAttempt.objects.filter(quiz=quiz, user=user, submitted_at__isnull=True).first()
    if open_attempt is not None:
        if open_attempt.deadline + SUBMIT_GRACE > timezone.now():
            return open_attempt
        _expire(open_attempt)
    blocker = quiz_blocker(quiz=quiz, user=user)
    if blocker:
        raise ValidationError(blocker)
    bank: dict[int, list[int]] = {}
    for question_id, choice_id in quiz.questions.values_list("pk", "choices__pk").order_by("pk", "choices__pk"):
        if choice_id is not None:
            bank.setdefault(question_id, []).append(choice_id)
    if not bank:
        raise ValidationError(_("This quiz has no questions yet."))
    question_ids, order = grading.draw(bank, quiz.questions_per_attempt, rng or random.SystemRandom())
    now = timezone.now()
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(quiz=quiz, user=user, started_at=now, question_ids=question_ids,
                                              choice_order=order, deadline=now + timedelta(minutes=quiz.time_limit_minutes))
    except IntegrityError:  # a second tab started one at the same moment
        return QuizAttempt.objects.get(quiz=quiz, user=user, submitted_at__isnull=True)


def _expire(attempt: QuizAttempt) -> None:
    attempt.submitted_at, attempt.timed_out, attempt.score, attempt.passed = attempt.deadline, True, 0, False
    attempt.save(update_fields=["submitted_at", "timed_out", "score", "passed"])


@transaction.atomic
def quiz_submit(*, attempt_id: int, user: User, answers: dict[int, set[int]]) -> QuizAttempt:
    """Grade an attempt once. Late: saved as timed out, answers not graded (check `timed_out`); twice: refused."""
    attempt = QuizAttempt.objects.select_for_update(of=("self",)).select_related("quiz__certification").get(pk=attempt_id)
    if attempt.user_id != user.pk:
        raise PermissionDenied
    if attempt.submitted_at is not None:
        raise ValidationError(_("This attempt was already submitted on %(time)s; it was not graded again.") % {
            "time": date_format(timezone.localtime(attempt.submitted_at), "DATETIME_FORMAT")})
    now = timezone.now()
    if now > attempt.deadline + SUBMIT_GRACE:
        _expire(attempt)  # returned, not raised: the expiry must be saved
        return attempt
    asked = set(attempt.question_ids)
    stray = set(answers) - asked
    if stray:
        raise ValidationError(_("The answers do not belong to this attempt."))
    correct: dict[int, set[int]] = {question_id: set() for question_id in asked}
    for question_id, choice_id in attempt.quiz.questions.filter(pk__in=asked, choices__correct=True).values_list(
            "pk", "choices__pk"):
        correct[question_id].add(choice_id)
    offered = {int(q): set(choices) for q, choices in attempt.choice_order.items()}
    for question_id, chosen in answers.items():
        if not chosen <= offered.get(question_id, set()):
            raise ValidationError(_("The answers do not belong to this attempt."))
    attempt.answers = {str(q): sorted(chosen) for q, chosen in answers.items()}
    attempt.score = grading.grade({q: frozenset(c) for q, c in correct.items()},
                                  {q: frozenset(c) for q, c in answers.items()})
    attempt.passed = attempt.score >= attempt.quiz.pass_mark
    attempt.submitted_at = now
    attempt.save(update_fields=["answers", "score", "passed", "submitted_at"])
    if attempt.passed and attempt.quiz.certification is not None:
        certification_award(certification=attempt.quiz.certification, user=user, attempt=attempt)
    return attempt


# --------------------------------------------------------------------------- certifications


def holder_name(user: User) -> str:
    """The name printed on a certificate: the account's, else the contact record's; never the e-mail address."""
    contact = getattr(user, "contact", None)
    return user.full_name or (contact.full_name if contact is not None else "") or user.email.split("@")[0]


@transaction.atomic
def certification_award(*, certification: Certification, user: User, attempt: QuizAttempt | None = None,
                        now: datetime | None = None) -> CertificationAward:
    """Award or renew: a renewal before expiry runs on from the current expiry, so nobody loses days."""
    partner = _partner_of(user)
    now = now or timezone.now()
    required = certification.requires
    if required is not None:
        prerequisite = current_award(user=user, certification=required)
        if prerequisite is None or prerequisite.expires_at <= now:
            raise ValidationError(_("This certification needs a valid “%(name)s” certification first.") % {
                "name": required.name})
    previous = current_award(user=user, certification=certification)
    starts = previous.expires_at if previous is not None and previous.expires_at > now else now
    award = CertificationAward.objects.create(
        certification=certification, user=user, partner=partner, holder_name=holder_name(user), issued_at=now,
        expires_at=add_months(starts, certification.validity_months), attempt=attempt)
    signal_record(partner=partner, contact=getattr(user, "contact", None), kind=SignalKind.CERTIFIED, occurred_at=now,
                  source=f"enablement.CertificationAward:{award.pk}")
    events.publish("certification.earned", object_type="certification_award", object_id=award.pk,
                   partner_id=getattr(partner, "pk", None), data={
                       "id": award.pk, "partner_id": getattr(partner, "pk", None), "user_id": user.pk,
                       "holder_name": award.holder_name, "certification": {
                           "id": certification.pk, "code": certification.code, "name": certification.name},
                       "issued_at": award.issued_at, "expires_at": award.expires_at,
                       "renewal": previous is not None})
    notify(users=[user], kind="certified", url=reverse_path("portal_learning", "portal"),
           message=(msg.text("certified", name=certification.name),
                    msg.text("certified.body", date=msg.day(timezone.localtime(award.expires_at).date()))))
    return award


def certifications_remind(*, now: datetime | None = None) -> int:
    """Tell holders (and their partner admins) once that a certification expires soon and is not renewed."""
    now = now or timezone.now()
    sent = 0
    due = (CertificationAward.objects.filter(reminded_at__isnull=True, expires_at__gt=now, user__is_active=True)
           .select_related("certification", "user", "partner"))
    for award in due.iterator(chunk_size=500):
        if renewal_opens(award) > now:
            continue
        if CertificationAward.objects.filter(user=award.user_id, certification=award.certification_id,
                                             expires_at__gt=award.expires_at).exists():
            CertificationAward.objects.filter(pk=award.pk).update(reminded_at=now)  # already renewed
            continue
        admins = User.objects.filter(partner_membership__partner=award.partner_id, role="partner_admin", is_active=True)
        expiry = msg.day(timezone.localtime(award.expires_at).date())
        notify(users=[award.user, *admins], kind="certification_expiring", url=reverse_path("portal_learning", "portal"),
               message=(msg.text("certification.expiring", date=expiry, name=award.certification.name),
                        msg.text("certification.expiring.body", holder=award.holder_name,
                                 name=award.certification.name, date=expiry)))
        CertificationAward.objects.filter(pk=award.pk).update(reminded_at=now)
        sent += 1
    return sent


@transaction.atomic
def quiz_grant_attempt(*, quiz: Quiz, user: User, actor: User) -> QuizAttemptGrant:
    """A channel manager allows a rep one more attempt, to be taken now: on top of the limit, without the wait.

    Grants for a quiz are serialised on its row, so two clicks at once give two attempts, each grant recording
    the allowance it made (4 then 5, never 4 twice); the rep sees it on the course page of the portal."""
    require_vendor_staff(actor)
    if not user.is_partner_user or not user.is_active:
        raise ValidationError(_("Only an active partner user can be allowed another attempt."))
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    allowance = quiz_allowance(quiz=quiz, user=user)
    return QuizAttemptGrant.objects.create(quiz=quiz, user=user, granted_by=actor, granted_at=timezone.now(),
                                           attempts_allowed=allowance.allowed + 1)
