"""Words the Japanese pages must use: a failed quiz is 不合格 wherever it shows (never 失敗), and a tier change
that was put into effect is 適用済み (応募 is a partner applying to the programme)."""

from __future__ import annotations

from django.utils import translation
from django_tenants.utils import tenant_context

from enablement import services
from partners.models import Stage
from programs.models import TierChange
from tests.enablement.factories import quiz_with_questions

LANGUAGE_COOKIE = "kyoso_language"


def test_a_failed_quiz_reads_fugoukaku_on_every_page_that_shows_it(people_a):
    rep = people_a.partner_rep
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(3, max_attempts=2, cooldown_hours=0)
        attempt = services.quiz_start(quiz=quiz, user=rep)
        services.quiz_submit(attempt_id=attempt.pk, user=rep, answers={})
    console = people_a.console(people_a.channel_manager)
    console.cookies[LANGUAGE_COOKIE] = "ja"
    portal = people_a.portal(rep)
    portal.cookies[LANGUAGE_COOKIE] = "ja"
    pages = [console.get(f"/enablement/courses/{quiz.course_id}/quiz/"), console.get(f"/enablement/courses/{quiz.course_id}/"),
             portal.get(f"/learning/courses/{quiz.course_id}/")]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200 and "不合格" in html and "失敗" not in html, page.request["PATH_INFO"]


def test_an_applied_tier_change_reads_tekiyouzumi_and_an_applicant_stays_oubo():
    with translation.override("ja"):
        assert str(TierChange.Status.APPLIED.label) == "適用済み"
        assert str(Stage.APPLIED.label) == "応募"
    with translation.override("en"):
        assert str(TierChange.Status.APPLIED.label) == "Applied"
