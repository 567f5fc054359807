"""Courses, quizzes and certifications through the services: progress, attempts, awards, renewal, reminders."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from enablement import grading, services
from enablement.models import CertificationAward, CourseCompletion, QuizAttempt
from enablement.services.learning import add_months
from incentives import runs
from partners.models import ContactSignal
from programs.models import PartnerTier, Program
from tests.enablement.factories import CertificationFactory, CourseFactory, ModuleFactory, quiz_with_questions
from tests.partners.factories import ContactFactory


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in English; the Japanese ones are the same strings translated."""
    with translation.override("en"):
        yield


def _answers(attempt: QuizAttempt, *, right: int) -> dict[int, set[int]]:
    """Answer the first `right` questions correctly and the rest wrongly."""
    answers = {}
    for n, question_id in enumerate(attempt.question_ids):
        choices = attempt.quiz.questions.get(pk=question_id).choices.all()
        wanted = [c.pk for c in choices if c.correct == (n < right)]
        answers[question_id] = {wanted[0]}
    return answers


def _set_tier(partner, rank: int) -> None:
    tier = Program.objects.get().tiers.get(rank=rank)
    PartnerTier.objects.update_or_create(partner=partner, defaults={"tier": tier})


def test_it_draws_questions_and_shuffles_choices_without_losing_any():
    bank = {q: [q * 10 + c for c in range(4)] for q in range(1, 21)}
    picked, order = grading.draw(bank, 8, random.Random(7))
    assert len(picked) == len(set(picked)) == 8 and set(picked) <= set(bank)
    assert all(sorted(order[str(q)]) == bank[q] for q in picked)
    assert [order[str(q)] for q in picked] != [bank[q] for q in picked]  # shuffled, not the bank's order
    other, _ = grading.draw(bank, 8, random.Random(8))
    assert other != picked


def test_it_grades_multiple_choice_all_or_nothing():
    correct = {1: frozenset({11}), 2: frozenset({21, 22}), 3: frozenset({31})}
    assert grading.grade(correct, {1: frozenset({11}), 2: frozenset({21, 22}), 3: frozenset({31})}) == 100
    assert grading.grade(correct, {1: frozenset({11}), 2: frozenset({21}), 3: frozenset({31})}) == 66
    assert grading.grade(correct, {1: frozenset({11, 12}), 2: frozenset({21, 22, 23}), 3: frozenset({31})}) == 33
    assert grading.grade({}, {}) == 0


def test_add_months_keeps_the_day_or_takes_the_month_end():
    moment = datetime(2026, 1, 31, 9, 0, tzinfo=dt_timezone.utc)
    assert add_months(moment, 1) == datetime(2026, 2, 28, 9, 0, tzinfo=dt_timezone.utc)
    assert add_months(moment, 12) == datetime(2027, 1, 31, 9, 0, tzinfo=dt_timezone.utc)
    assert add_months(datetime(2027, 11, 30, tzinfo=dt_timezone.utc), 3) == datetime(2028, 2, 29, tzinfo=dt_timezone.utc)


def test_finishing_every_module_completes_the_course_once_and_records_a_training_signal(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        contact = ContactFactory(partner=people_a.partner, user=rep)
        first, second = ModuleFactory(), None
        second = ModuleFactory(course=first.course)
        assert services.module_complete(module=first, user=rep) is None
        completion = services.module_complete(module=second, user=rep)
        assert completion is not None and completion.course == first.course
        assert services.module_complete(module=second, user=rep) is None  # again: nothing new
        assert CourseCompletion.objects.filter(user=rep).count() == 1
        signals = ContactSignal.objects.filter(kind="training_completed", contact=contact)
        assert list(signals.values_list("source", flat=True)) == [f"enablement.CourseCompletion:{completion.pk}"]
        contact.refresh_from_db()
        assert contact.stage == "trained"


def test_a_course_above_the_partners_tier_is_refused_with_a_reason_and_records_nothing(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        module = ModuleFactory(course=CourseFactory(min_tier_rank=3))
        with pytest.raises(PermissionDenied, match="higher tier"):
            services.module_complete(module=module, user=rep)
        assert not rep.module_progress.exists()
        _set_tier(people_a.partner, 3)
        services.module_complete(module=module, user=rep)
        assert rep.module_progress.count() == 1
        other_type = ModuleFactory(course=CourseFactory(partner_types=["referral"]))
        with pytest.raises(PermissionDenied, match="not available"):
            services.module_complete(module=other_type, user=rep)
        with pytest.raises(PermissionDenied):
            services.module_complete(module=ModuleFactory(), user=people_a.channel_manager)


def test_passing_the_quiz_grants_the_certification_with_its_validity_and_a_certified_signal(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        ContactFactory(partner=people_a.partner, user=rep)
        quiz = quiz_with_questions(5, pass_mark=80)
        attempt = services.quiz_start(quiz=quiz, user=rep, rng=random.Random(1))
        assert len(attempt.question_ids) == 5 and attempt.deadline > timezone.now()
        assert services.quiz_start(quiz=quiz, user=rep) == attempt  # the open attempt, not a second one
        result = services.quiz_submit(attempt_id=attempt.pk, user=rep, answers=_answers(attempt, right=4))
        assert (result.score, result.passed) == (80, True)
        award = CertificationAward.objects.get(user=rep)
        assert award.certification == quiz.certification and award.partner == people_a.partner
        assert award.expires_at == add_months(award.issued_at, 12) and award.attempt == result
        assert len(award.verification_code) == 12
        assert ContactSignal.objects.filter(kind="certified", source=f"enablement.CertificationAward:{award.pk}").count() == 1
        assert rep.notifications.filter(kind="certified").count() == 1
        blocker = services.quiz_blocker(quiz=quiz, user=rep)
        assert blocker is not None and "Renewal opens" in blocker


def test_a_failed_attempt_waits_for_the_cool_down_and_the_limit_stops_further_attempts(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        quiz = quiz_with_questions(5, max_attempts=2, cooldown_hours=24)
        attempt = services.quiz_start(quiz=quiz, user=rep)
        failed = services.quiz_submit(attempt_id=attempt.pk, user=rep, answers=_answers(attempt, right=1))
        assert (failed.score, failed.passed) == (20, False)
        assert not CertificationAward.objects.exists()
        with pytest.raises(ValidationError, match="try again from"):
            services.quiz_start(quiz=quiz, user=rep)
        QuizAttempt.objects.filter(pk=failed.pk).update(submitted_at=timezone.now() - timedelta(hours=25))
        second = services.quiz_start(quiz=quiz, user=rep)
        services.quiz_submit(attempt_id=second.pk, user=rep, answers=_answers(second, right=0))
        QuizAttempt.objects.filter(pk=second.pk).update(submitted_at=timezone.now() - timedelta(hours=25))
        with pytest.raises(ValidationError, match="used all 2 attempts"):
            services.quiz_start(quiz=quiz, user=rep)
        assert QuizAttempt.objects.filter(user=rep).count() == 2
        with pytest.raises(PermissionDenied):
            services.quiz_grant_attempt(quiz=quiz, user=rep, actor=people_a.partner_admin)
        services.quiz_grant_attempt(quiz=quiz, user=rep, actor=people_a.channel_manager)
        assert services.quiz_blocker(quiz=quiz, user=rep) is None


def test_submitting_twice_or_after_the_time_limit_is_refused_and_records_nothing_wrongly(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        quiz = quiz_with_questions(5)
        attempt = services.quiz_start(quiz=quiz, user=rep)
        answers = _answers(attempt, right=5)
        services.quiz_submit(attempt_id=attempt.pk, user=rep, answers=answers)
        with pytest.raises(ValidationError, match="already submitted"):
            services.quiz_submit(attempt_id=attempt.pk, user=rep, answers=_answers(attempt, right=0))
        attempt.refresh_from_db()
        assert (attempt.score, attempt.passed) == (100, True)
        assert CertificationAward.objects.filter(user=rep).count() == 1

        colleague = people_a.partner_admin
        late = services.quiz_start(quiz=quiz, user=colleague)
        QuizAttempt.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(minutes=5))
        services.quiz_submit(attempt_id=late.pk, user=colleague, answers=_answers(late, right=5))
        late.refresh_from_db()
        assert (late.timed_out, late.passed, late.score, late.answers) == (True, False, 0, {})
        assert not CertificationAward.objects.filter(user=colleague).exists()
        with pytest.raises(PermissionDenied):
            services.quiz_submit(attempt_id=attempt.pk, user=colleague, answers={})


def test_answers_outside_the_attempt_are_refused(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        quiz = quiz_with_questions(6)
        attempt = services.quiz_start(quiz=quiz, user=rep, rng=random.Random(3))
        attempt.question_ids = attempt.question_ids[:3]
        attempt.save(update_fields=["question_ids"])
        stranger = next(q for q in quiz.questions.values_list("pk", flat=True) if q not in attempt.question_ids)
        with pytest.raises(ValidationError, match="do not belong"):
            services.quiz_submit(attempt_id=attempt.pk, user=rep, answers={stranger: set()})
        foreign_choice = quiz.questions.get(pk=stranger).choices.first().pk
        with pytest.raises(ValidationError, match="do not belong"):
            services.quiz_submit(attempt_id=attempt.pk, user=rep, answers={attempt.question_ids[0]: {foreign_choice}})
        attempt.refresh_from_db()
        assert attempt.submitted_at is None


def test_an_advanced_certification_needs_the_lower_one_first(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        basic = CertificationFactory(name="認定ベーシック")
        advanced_quiz = quiz_with_questions(3, certification=CertificationFactory(name="認定アドバンスト", requires=basic))
        blocker = services.quiz_blocker(quiz=advanced_quiz, user=rep)
        assert blocker is not None and "認定ベーシック" in blocker
        with pytest.raises(ValidationError):
            services.quiz_start(quiz=advanced_quiz, user=rep)
        services.certification_award(certification=basic, user=rep)
        assert services.quiz_blocker(quiz=advanced_quiz, user=rep) is None
        CertificationAward.objects.filter(user=rep, certification=basic).update(expires_at=timezone.now() - timedelta(days=1))
        assert "認定ベーシック" in services.quiz_blocker(quiz=advanced_quiz, user=rep)


def test_renewing_before_expiry_runs_on_from_the_current_expiry(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        certification = CertificationFactory(validity_months=12, remind_days_before=30)
        now = timezone.now()
        first = services.certification_award(certification=certification, user=rep, now=now - timedelta(days=350))
        renewed = services.certification_award(certification=certification, user=rep, now=now)
        assert renewed.expires_at == add_months(first.expires_at, 12)
        CertificationAward.objects.all().delete()
        lapsed = services.certification_award(certification=certification, user=rep, now=now - timedelta(days=400))
        assert lapsed.expires_at < now
        again = services.certification_award(certification=certification, user=rep, now=now)
        assert again.expires_at == add_months(now, 12)


def test_reminders_go_once_to_the_holder_and_partner_admins_inside_the_window_only(people_a):
    with tenant_context(people_a.tenant):
        rep, admin = people_a.partner_rep, people_a.partner_admin
        certification = CertificationFactory(validity_months=12, remind_days_before=30)
        now = timezone.now()
        expiring = services.certification_award(certification=certification, user=rep, now=now - timedelta(days=345))
        services.certification_award(certification=certification, user=admin, now=now - timedelta(days=100))
        assert services.certifications_remind(now=now) == 1
        assert rep.notifications.filter(kind="certification_expiring").count() == 1
        assert admin.notifications.filter(kind="certification_expiring").count() == 1  # about the rep's award
        assert services.certifications_remind(now=now) == 0
        expiring.refresh_from_db()
        assert expiring.reminded_at is not None


def test_a_renewed_award_is_not_reminded(people_a):
    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        certification = CertificationFactory(validity_months=12, remind_days_before=30)
        now = timezone.now()
        services.certification_award(certification=certification, user=rep, now=now - timedelta(days=345))
        services.certification_award(certification=certification, user=rep, now=now - timedelta(days=1))
        assert services.certifications_remind(now=now) == 0
        assert not rep.notifications.filter(kind="certification_expiring").exists()


def test_certifications_and_attended_sessions_reach_the_incentive_engine(people_a):
    from tests.enablement.factories import StudySessionFactory

    with tenant_context(people_a.tenant):
        rep = people_a.partner_rep
        award = services.certification_award(certification=CertificationFactory(), user=rep)
        session = StudySessionFactory(starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1))
        seat = services.session_invite(session=session, actor=people_a.channel_manager, users=[rep])[0]
        services.attendance_mark(session=session, actor=people_a.channel_manager, statuses={seat.pk: "attended"})
        events = [e for e in runs.recorded_events(timezone.localdate()) if e.kind in ("certification_earned", "session_attended")]
        signal_ids = dict(ContactSignal.objects.filter(kind__in=["certified", "session_attended"]).values_list("kind", "pk"))
        assert sorted((e.kind, e.event_id) for e in events) == [
            ("certification_earned", f"certification:{signal_ids['certified']}"),
            ("session_attended", f"session:{signal_ids['session_attended']}"),
        ]
        assert award.partner == people_a.partner
