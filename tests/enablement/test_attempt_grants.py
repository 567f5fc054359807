"""A channel manager allows a rep one more quiz attempt, to be taken now: over HTTP as both sides see it, who may
do it, and two grants at the same moment on real parallel connections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation
from django_tenants.utils import schema_context, tenant_context

from enablement import services
from enablement.models import Choice, Quiz, QuizAttempt, QuizAttemptGrant
from partners.models import Partner
from prm.accounts.models import User
from tests.api.parallel import all_at_once
from tests.enablement.factories import quiz_with_questions
from tests.factories import UserFactory

LANGUAGE_COOKIE = "kyoso_language"
FAR = 987_654  # a primary key tenant A never reaches in a test run


def _english(client):
    client.cookies[LANGUAGE_COOKIE] = "en"
    return client


def _fail(quiz, user, *, hours_ago: float = 0) -> QuizAttempt:
    attempt = services.quiz_start(quiz=quiz, user=user)
    failed = services.quiz_submit(attempt_id=attempt.pk, user=user, answers={})
    if hours_ago:
        QuizAttempt.objects.filter(pk=failed.pk).update(submitted_at=timezone.now() - timedelta(hours=hours_ago))
    return failed


def _right_answers(attempt: QuizAttempt) -> dict[str, list[str]]:
    correct = Choice.objects.filter(question_id__in=attempt.question_ids, correct=True)
    return {f"q{choice.question_id}": [str(choice.pk)] for choice in correct}


def test_it_lets_the_rep_try_again_at_once_and_both_sides_see_who_allowed_it(people_a):
    rep, manager = people_a.partner_rep, people_a.channel_manager
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(3, max_attempts=2, cooldown_hours=24, questions_per_attempt=3)
        _fail(quiz, rep, hours_ago=30)
        _fail(quiz, rep)  # the last one: a wait of 24 hours would follow
    portal = _english(people_a.portal(rep))
    course_page = f"/learning/courses/{quiz.course_id}/"
    before = portal.get(course_page).content.decode()
    assert "You have used all 2 attempts" in before and "Start the quiz" not in before
    assert portal.post(f"/learning/courses/{quiz.course_id}/quiz/").status_code == 302
    with tenant_context(people_a.tenant):
        assert QuizAttempt.objects.filter(user=rep).count() == 2  # refused: nothing started

    console = _english(people_a.console(manager))
    granted = console.post(f"/enablement/quizzes/{quiz.pk}/allow-retry/", {"user": rep.pk}, follow=True)
    assert granted.redirect_chain == [(f"/enablement/courses/{quiz.course_id}/", 302)]
    assert [str(m) for m in granted.context["messages"]] == [
        f"{rep.get_full_name()} may take the quiz “{quiz.course.title}” once more now (3 attempts in all)."]
    with tenant_context(people_a.tenant):
        grant = QuizAttemptGrant.objects.get()
        assert (grant.quiz, grant.user, grant.granted_by, grant.attempts_allowed) == (quiz, rep, manager, 3)
        assert timezone.now() - grant.granted_at < timedelta(minutes=1)

    after = portal.get(course_page).content.decode()
    assert "Attempts used: 2 of 3" in after and "allowed you one more attempt" in after and "Start the quiz" in after
    started = portal.post(f"/learning/courses/{quiz.course_id}/quiz/")
    assert started.status_code == 302 and started["Location"].startswith("/learning/attempts/")
    with tenant_context(people_a.tenant):
        third = QuizAttempt.objects.get(user=rep, submitted_at__isnull=True)
        services.quiz_submit(attempt_id=third.pk, user=rep, answers={})
    spent = portal.get(course_page).content.decode()
    assert "You have used all 3 attempts" in spent and "allowed you one more attempt" not in spent


def test_a_grant_waives_the_wait_before_the_limit_and_a_pass_starts_a_fresh_allowance(people_a):
    rep = people_a.partner_rep
    with tenant_context(people_a.tenant), translation.override("en"):
        quiz = quiz_with_questions(3, max_attempts=3, cooldown_hours=24, questions_per_attempt=3)
        _fail(quiz, rep)
        assert "try again from" in services.quiz_blocker(quiz=quiz, user=rep)
        services.quiz_grant_attempt(quiz=quiz, user=rep, actor=people_a.channel_manager)
        allowance = services.quiz_allowance(quiz=quiz, user=rep)
        assert (allowance.used, allowance.allowed, allowance.left, allowance.waits_waived) == (1, 4, 3, True)
        assert services.quiz_blocker(quiz=quiz, user=rep) is None
        _fail(quiz, rep)  # the granted attempt is taken: the wait applies again
        assert not services.quiz_allowance(quiz=quiz, user=rep).waits_waived
        assert "try again from" in services.quiz_blocker(quiz=quiz, user=rep)
    with tenant_context(people_a.tenant):
        QuizAttempt.objects.filter(user=rep).update(submitted_at=timezone.now() - timedelta(days=2))
    portal = _english(people_a.portal(rep))
    started = portal.post(f"/learning/courses/{quiz.course_id}/quiz/")
    attempt_url = started["Location"]
    with tenant_context(people_a.tenant):
        attempt = QuizAttempt.objects.get(user=rep, submitted_at__isnull=True)
        answers = _right_answers(attempt)
    assert portal.post(attempt_url, answers).status_code == 302
    with tenant_context(people_a.tenant):
        allowance = services.quiz_allowance(quiz=quiz, user=rep)
        assert (allowance.used, allowance.allowed, allowance.granted) == (0, 3, 0)


def test_only_the_vendors_staff_grant_and_only_for_an_active_rep_of_their_own_tenant(people_a, people_b):
    rep = people_a.partner_rep
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(3, max_attempts=1, cooldown_hours=0)
        _fail(quiz, rep)
        _fail(quiz, people_a.other_partner_admin)
        leaver = UserFactory(role="partner_rep", partner=people_a.partner, is_active=False)
    url = f"/enablement/quizzes/{quiz.pk}/allow-retry/"
    for persona in (people_a.partner_admin, rep):
        assert people_a.console(persona).post(url, {"user": rep.pk}).status_code == 403
    anonymous = people_a.console().post(url, {"user": rep.pk})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    console = _english(people_a.console(people_a.channel_manager))
    assert console.get(url).status_code == 405
    for target in (people_a.channel_manager.pk, leaver.pk, FAR, "x"):  # staff, inactive, another tenant's, garbage
        refused = console.post(url, {"user": target}, follow=True)
        assert [str(m) for m in refused.context["messages"]] == ["Choose a partner user."]
    with tenant_context(people_a.tenant):
        assert not QuizAttemptGrant.objects.exists()
    with tenant_context(people_b.tenant):
        quiz_with_questions(3, pk=FAR, max_attempts=1)
    with tenant_context(people_a.tenant):
        assert not Quiz.objects.filter(pk=FAR).exists()
    assert console.post(f"/enablement/quizzes/{FAR}/allow-retry/", {"user": rep.pk}).status_code == 404

    assert console.post(url, {"user": rep.pk}).status_code == 302
    other = _english(people_a.portal(people_a.other_partner_admin)).get(f"/learning/courses/{quiz.course_id}/")
    assert "You have used all 1 attempts" in other.content.decode()  # the other partner's rep got nothing
    with tenant_context(people_a.tenant):
        assert list(QuizAttemptGrant.objects.values_list("user", flat=True)) == [rep.pk]
    with tenant_context(people_b.tenant):
        assert not QuizAttemptGrant.objects.exists()


# --------------------------------------------------------------------------- two clicks at once

N = 4


@pytest.fixture
def rep_out_of_attempts(django_db_setup, django_db_blocker):
    """Committed: a quiz of one attempt, a rep who used it and a channel manager."""
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            partner = Partner.objects.create(name="追加受験同時テスト", partner_type="resale", stage="activation")
            rep = UserFactory(email="grant-race-rep@alpha.example", role="partner_rep", partner=partner)
            manager = UserFactory(email="grant-race-cm@alpha.example", role="channel_manager")
            quiz = quiz_with_questions(3, max_attempts=1, cooldown_hours=24)
            _fail(quiz, rep)
        try:
            yield vendor, quiz, rep, manager
        finally:
            with tenant_context(vendor):
                QuizAttemptGrant.objects.filter(quiz=quiz).delete()
                quiz.course.delete()
                certification = quiz.certification
                if certification is not None:
                    certification.delete()
                User.objects.filter(pk__in=[rep.pk, manager.pk]).delete()
                partner.delete()
            connection.set_schema_to_public()


def test_simultaneous_grants_each_give_one_attempt_and_record_their_own_allowance(rep_out_of_attempts, django_db_blocker):
    vendor, quiz, rep, manager = rep_out_of_attempts
    def grant(_n: int) -> BaseException | None:
        with django_db_blocker.unblock():
            connection.set_tenant(vendor)
            try:
                services.quiz_grant_attempt(quiz=quiz, user=rep, actor=manager)
            except BaseException as error:  # reported below
                return error
        return None

    assert all_at_once(grant, range(N)) == [None] * N
    with django_db_blocker.unblock(), tenant_context(vendor):
        recorded = sorted(QuizAttemptGrant.objects.filter(quiz=quiz, user=rep).values_list("attempts_allowed", flat=True))
        assert recorded == [2, 3, 4, 5]  # one each, never the same allowance twice
        allowance = services.quiz_allowance(quiz=quiz, user=rep)
        assert (allowance.used, allowance.allowed, allowance.waits_waived) == (1, 1 + N, True)
