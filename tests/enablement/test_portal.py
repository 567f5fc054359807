"""The enablement pages of the partner portal: who sees what, what gets recorded, and query budgets."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals.models import DealRegistration
from enablement import services
from enablement.models import (
    AnnouncementRead,
    ContentAccess,
    ContentItem,
    PartnerQuestion,
    QuizAttempt,
    SessionSeat,
)
from partners.models import ContactRole, ContactSignal
from programs.models import PartnerTier, Program
from tests.enablement.factories import (
    AnnouncementFactory,
    ContentItemFactory,
    CourseFactory,
    FaqEntryFactory,
    ModuleFactory,
    StudySessionFactory,
    quiz_with_questions,
)
from tests.partners.factories import ContactFactory


def _set_tier(partner, rank: int) -> None:
    PartnerTier.objects.update_or_create(partner=partner, defaults={"tier": Program.objects.get().tiers.get(rank=rank)})


def test_it_lists_only_the_courses_open_to_the_partner_and_marks_required_ones(people_a):
    with tenant_context(people_a.tenant):
        required = CourseFactory(title="必修：製品基礎", required_for_types=["resale"])
        CourseFactory(title="紹介パートナー向け", partner_types=["referral"])
        CourseFactory(title="ゴールド限定", min_tier_rank=3)
        CourseFactory(title="非公開講座", is_published=False)
        ModuleFactory(course=required)
    page = people_a.portal(people_a.partner_rep).get("/learning/").content.decode()
    assert "必修：製品基礎" in page and "紹介パートナー向け" not in page
    assert "ゴールド限定" not in page and "非公開講座" not in page
    assert ("Required" in page) != ("必須" in page)  # the badge, in whichever language is active


def test_a_course_above_the_tier_answers_403_with_the_reason(people_a):
    with tenant_context(people_a.tenant):
        gated = CourseFactory(title="ゴールド限定", min_tier_rank=3)
        module = ModuleFactory(course=gated)
    client = people_a.portal(people_a.partner_rep)
    for url in (f"/learning/courses/{gated.pk}/", f"/learning/modules/{module.pk}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "上位ランク" in response.content.decode() or "higher tier" in response.content.decode()
    assert client.post(f"/learning/modules/{module.pk}/done/").status_code == 403
    with tenant_context(people_a.tenant):
        assert not people_a.partner_rep.module_progress.exists()
        _set_tier(people_a.partner, 3)
    assert client.get(f"/learning/courses/{gated.pk}/").status_code == 200


def test_a_rep_works_through_modules_and_passes_the_quiz_over_http(people_a):
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(4, pass_mark=75)
        first = ModuleFactory(course=quiz.course, title="概要")
        second = ModuleFactory(course=quiz.course, title="価格")
    client = people_a.portal(people_a.partner_rep)
    assert client.get(f"/learning/modules/{first.pk}/").status_code == 200
    assert client.post(f"/learning/modules/{first.pk}/done/")["Location"] == f"/learning/modules/{second.pk}/"
    assert client.post(f"/learning/modules/{second.pk}/done/")["Location"] == f"/learning/courses/{quiz.course.pk}/"
    assert client.get(f"/learning/modules/{first.pk}/done/").status_code == 405
    started = client.post(f"/learning/courses/{quiz.course.pk}/quiz/")
    with tenant_context(people_a.tenant):
        attempt = QuizAttempt.objects.get(user=people_a.partner_rep)
        right = {q: quiz.questions.get(pk=q).choices.get(correct=True).pk for q in attempt.question_ids}
    assert started["Location"] == f"/learning/attempts/{attempt.pk}/"
    form = client.get(started["Location"]).content.decode()
    assert all(f'name="q{q}"' in form for q in attempt.question_ids)
    answers = {f"q{q}": str(c) for q, c in right.items()}
    done = client.post(f"/learning/attempts/{attempt.pk}/", answers, follow=True).content.decode()
    assert "100%" in done
    again = client.post(f"/learning/attempts/{attempt.pk}/", answers, follow=True).content.decode()
    assert "提出済み" in again or "already submitted" in again
    with tenant_context(people_a.tenant):
        attempt.refresh_from_db()
        assert (attempt.score, attempt.passed) == (100, True)
        assert people_a.partner_rep.certifications.count() == 1
        assert people_a.partner_rep.course_completions.filter(course=quiz.course).exists()
    # Someone else's attempt is not found, not shown.
    assert people_a.portal(people_a.partner_admin).get(f"/learning/attempts/{attempt.pk}/").status_code == 404
    assert people_a.portal(people_a.partner_admin).post(f"/learning/attempts/{attempt.pk}/", answers).status_code == 404


def test_a_late_submission_says_so_and_grades_nothing(people_a):
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(3)
        attempt = services.quiz_start(quiz=quiz, user=people_a.partner_rep, rng=random.Random(2))
        QuizAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=10))
        answers = {f"q{q}": str(quiz.questions.get(pk=q).choices.get(correct=True).pk) for q in attempt.question_ids}
    page = people_a.portal(people_a.partner_rep).post(f"/learning/attempts/{attempt.pk}/", answers, follow=True)
    assert "制限時間" in page.content.decode() or "time limit ran out" in page.content.decode()
    with tenant_context(people_a.tenant):
        attempt.refresh_from_db()
        assert attempt.timed_out and not attempt.passed and not people_a.partner_rep.certifications.exists()


def test_the_library_hides_gated_and_foreign_items_and_records_every_view_and_download(people_a):
    with tenant_context(people_a.tenant):
        contact = ContactFactory(partner=people_a.partner, user=people_a.partner_rep)
        open_item = ContentItemFactory(title="標準提案書", tags=["提案", "製造業"])
        gated = ContentItemFactory(title="競合比較（限定）", gated=True, kind=ContentItem.Kind.COMPARISON)
        ContentItemFactory(title="代理店専用スクリプト", partner_types=["agency"])
    client = people_a.portal(people_a.partner_rep)
    page = client.get("/library/").content.decode()
    assert "標準提案書" in page and "競合比較（限定）" not in page and "代理店専用スクリプト" not in page
    assert "#製造業" in page
    assert client.get(f"/library/{gated.pk}/").status_code == 403
    assert client.get(f"/library/{gated.pk}/download/").status_code == 403
    assert client.get(f"/library/{open_item.pk}/").status_code == 200
    download = client.get(f"/library/{open_item.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert 'attachment; filename="proposal' in download["Content-Disposition"]
    with tenant_context(people_a.tenant):
        rows = list(ContentAccess.objects.order_by("id").values_list("item_id", "action", "contact_id", "partner_id"))
        assert rows == [(open_item.pk, "view", contact.pk, people_a.partner.pk),
                        (open_item.pk, "download", contact.pk, people_a.partner.pk)]
        open_item.refresh_from_db()
        assert (open_item.view_count, open_item.download_count) == (1, 1)
        assert ContactSignal.objects.filter(kind="content_downloaded", contact=contact).count() == 1
        _set_tier(people_a.partner, 3)
    assert "競合比較（限定）" in client.get("/library/").content.decode()
    assert client.get(f"/library/{gated.pk}/download/").status_code == 200


def test_library_search_tag_and_kind_filters(people_a):
    with tenant_context(people_a.tenant):
        ContentItemFactory(title="製造業向け導入事例", kind=ContentItem.Kind.CASE_STUDY, tags=["製造業"])
        ContentItemFactory(title="小売向けトークスクリプト", kind=ContentItem.Kind.TALK_SCRIPT, tags=["小売"])
    client = people_a.portal(people_a.partner_rep)
    by_word = client.get("/library/", {"q": "導入事例"}).content.decode()
    assert "製造業向け導入事例" in by_word and "小売向け" not in by_word
    by_tag = client.get("/library/", {"tag": "小売"}).content.decode()
    assert "小売向けトークスクリプト" in by_tag and "製造業向け導入事例" not in by_tag
    by_kind = client.get("/library/", {"kind": "case_study"}).content.decode()
    assert "製造業向け導入事例" in by_kind and "小売向け" not in by_kind
    fragment = client.get("/library/", {"q": "小売"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "小売向けトークスクリプト" in fragment.content.decode()
    assert fragment["Vary"].count("HX-Request") == 1


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_portal_home_and_library_take_the_same_number_of_queries_as_content_grows(people_a):
    client = people_a.portal(people_a.partner_rep)
    with tenant_context(people_a.tenant):
        _set_tier(people_a.partner, 3)
        ContentItemFactory()
        AnnouncementFactory()
        StudySessionFactory()
        CourseFactory()
    small = {url: _queries(client, url) for url in ("/", "/library/", "/learning/", "/news/", "/sessions/")}
    with tenant_context(people_a.tenant):
        for n in range(30):
            item = ContentItemFactory(tags=[f"tag{n}", "共通"])
            services.content_access_record(item=item, user=people_a.partner_rep, action="download")
            AnnouncementFactory(early_access=n % 2 == 0)
            session = StudySessionFactory()
            services.session_join(session=session, user=people_a.partner_rep)
            ModuleFactory(course=CourseFactory(required_for_types=["resale"]))
        services.certification_award(certification=quiz_with_questions(2).certification, user=people_a.partner_rep)
        PartnerQuestion.objects.create(partner=people_a.partner, asked_by=people_a.partner_rep, text="質問です。")
    large = {url: _queries(client, url) for url in small}
    assert large == small


def test_study_sessions_join_and_the_register_your_leads_step(people_a):
    now = timezone.now()
    with tenant_context(people_a.tenant):
        upcoming = StudySessionFactory(title="新製品勉強会", capacity=1)
        other_partner_only = StudySessionFactory(title="他社向けキックオフ", partner=people_a.other_partner)
        running = StudySessionFactory(title="進行中の勉強会", starts_at=now - timedelta(minutes=50),
                                      ends_at=now + timedelta(minutes=10))
        SessionSeat.objects.create(session=running, user=people_a.partner_rep, status="attended")
        DealRegistration.objects.create(partner=people_a.partner, registered_by=people_a.partner_rep, customer_name="顧客A",
                                        name_key="a", amount=1_000_000, expected_close=now.date(),
                                        registered_at=now - timedelta(minutes=5))
    client = people_a.portal(people_a.partner_rep)
    listing = client.get("/sessions/").content.decode()
    assert "新製品勉強会" in listing and "他社向けキックオフ" not in listing
    assert client.get(f"/sessions/{other_partner_only.pk}/").status_code == 404
    assert client.post(f"/sessions/{other_partner_only.pk}/join/").status_code == 404
    assert client.post(f"/sessions/{upcoming.pk}/join/").status_code == 302
    assert client.get(f"/sessions/{upcoming.pk}/join/").status_code == 405
    full = people_a.portal(people_a.partner_admin).post(f"/sessions/{upcoming.pk}/join/", follow=True).content.decode()
    assert "満席" in full or "full" in full
    step = client.get(f"/sessions/{running.pk}/").content.decode()
    assert f"/deals/new/?session={running.pk}" in step
    assert "1件の案件" in step or "1 deal" in step
    with tenant_context(people_a.tenant):
        assert list(upcoming.seats.values_list("user_id", flat=True)) == [people_a.partner_rep.pk]


def test_the_question_path_from_rep_to_manager_to_vendor(people_a):
    with tenant_context(people_a.tenant):
        FaqEntryFactory(question="見積もりの有効期限は？", answer="発行日から30日です。")
        ContactFactory(partner=people_a.partner, user=people_a.partner_admin, role=ContactRole.SALES_MANAGER)
    rep, manager = people_a.portal(people_a.partner_rep), people_a.portal(people_a.partner_admin)
    assert "発行日から30日です" in rep.get("/faq/", {"q": "有効期限"}).content.decode()
    assert "発行日から30日です" not in rep.get("/faq/", {"q": "請求書"}).content.decode()
    assert rep.post("/faq/", {"text": "?"}).status_code == 200  # too short: the form says so, nothing saved
    rep.post("/faq/", {"text": "複数年契約の値引きはできますか？"})
    with tenant_context(people_a.tenant):
        question = PartnerQuestion.objects.get()
        assert question.status == "manager"
        assert people_a.partner_admin.notifications.filter(kind="question_asked").count() == 1
    assert rep.post(f"/questions/{question.pk}/answer/", {"answer": "自分で答える"}).status_code == 403
    assert people_a.portal(people_a.other_partner_admin).post(
        f"/questions/{question.pk}/escalate/").status_code == 404
    waiting = manager.get("/questions/").content.decode()
    assert "複数年契約の値引きはできますか？" in waiting
    manager.post(f"/questions/{question.pk}/escalate/")
    with tenant_context(people_a.tenant):
        question.refresh_from_db()
        assert question.status == "vendor" and question.escalated_at is not None
        assert people_a.channel_manager.notifications.filter(kind="question_escalated").count() == 1
        services.question_answer(question=question, actor=people_a.channel_manager, answer="3年契約で5%引きです。")
    mine = rep.get("/questions/").content.decode()
    assert "3年契約で5%引きです。" in mine
    with tenant_context(people_a.tenant):
        assert people_a.partner_rep.notifications.filter(kind="question_answered").count() == 1


def test_a_manager_answers_directly(people_a):
    with tenant_context(people_a.tenant):
        question = services.question_ask(actor=people_a.partner_rep, text="デモ環境はどこで申し込めますか？")
    people_a.portal(people_a.partner_admin).post(f"/questions/{question.pk}/answer/", {"answer": "ポータルの申請フォームからです。"})
    with tenant_context(people_a.tenant):
        question.refresh_from_db()
        assert (question.status, question.answered_by, question.answered_by_vendor) == (
            "answered", people_a.partner_admin, False)


def test_announcements_are_targeted_and_read_receipts_recorded_once(people_a):
    with tenant_context(people_a.tenant):
        news = AnnouncementFactory(title="価格改定のお知らせ")
        AnnouncementFactory(title="紹介パートナー向け", partner_types=["referral"])
        early = AnnouncementFactory(title="次期バージョンの先行情報", kind="roadmap", early_access=True)
        AnnouncementFactory(title="予約投稿", published_at=timezone.now() + timedelta(days=1))
    client = people_a.portal(people_a.partner_rep)
    page = client.get("/news/").content.decode()
    assert "価格改定のお知らせ" in page and "紹介パートナー向け" not in page
    assert "次期バージョンの先行情報" not in page and "予約投稿" not in page
    assert client.get(f"/news/{early.pk}/").status_code == 404
    client.get(f"/news/{news.pk}/")
    client.get(f"/news/{news.pk}/")
    with tenant_context(people_a.tenant):
        assert AnnouncementRead.objects.filter(announcement=news).count() == 1
        _set_tier(people_a.partner, 3)
    assert "次期バージョンの先行情報" in client.get("/news/", {"kind": "roadmap"}).content.decode()


def test_team_learning_is_for_partner_admins_and_their_company_only(people_a):
    with tenant_context(people_a.tenant):
        services.certification_award(certification=quiz_with_questions(1).certification, user=people_a.partner_rep)
        services.certification_award(certification=quiz_with_questions(1).certification,
                                     user=people_a.other_partner_admin)
    assert people_a.portal(people_a.partner_rep).get("/learning/team/").status_code == 403
    page = people_a.portal(people_a.partner_admin).get("/learning/team/").content.decode()
    assert people_a.partner_rep.get_full_name() in page
    assert people_a.other_partner_admin.get_full_name() not in page


def test_nothing_of_another_tenant_is_reachable(people_a, people_b):
    with tenant_context(people_b.tenant):
        item = ContentItemFactory()
        module = ModuleFactory()
        session = StudySessionFactory()
        news = AnnouncementFactory()
        question = PartnerQuestion.objects.create(partner=people_b.partner, asked_by=people_b.partner_rep, text="別テナント")
    client = people_a.portal(people_a.partner_admin)
    for url in (f"/library/{item.pk}/", f"/library/{item.pk}/download/", f"/learning/modules/{module.pk}/",
                f"/learning/courses/{module.course_id}/", f"/sessions/{session.pk}/", f"/news/{news.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/questions/{question.pk}/answer/", {"answer": "x"}).status_code == 404


def test_registering_from_a_session_reopens_the_form_for_the_next_lead(people_a):
    now = timezone.now()
    with tenant_context(people_a.tenant):
        running = StudySessionFactory(title="キックオフ", starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(minutes=30))
        SessionSeat.objects.create(session=running, user=people_a.partner_rep)
        foreign = StudySessionFactory(title="他社の会")
    client = people_a.portal(people_a.partner_rep)
    assert "キックオフ" in client.get(f"/deals/new/?session={running.pk}").content.decode()
    assert "他社の会" not in client.get(f"/deals/new/?session={foreign.pk}").content.decode()
    response = client.post(f"/deals/new/?session={running.pk}", {
        "customer_name": "株式会社勉強会商事", "amount": "1200000", "expected_close": (now + timedelta(days=60)).date().isoformat(),
        "role_lead": "partner", "role_proposal": "partner", "role_contract": "partner", "role_billing": "partner",
        "role_support": "partner"})
    assert response.status_code == 302 and response["Location"] == f"/deals/new/?session={running.pk}"
    with tenant_context(people_a.tenant):
        from enablement.selectors import session_leads

        SessionSeat.objects.filter(session=running).update(status="attended")
        assert session_leads([running.pk]) == {running.pk: 1}


def test_the_home_reads_the_held_certifications_as_the_learning_page_does(people_a, django_assert_num_queries):
    from enablement.models import CertificationAward
    from enablement.selectors import certifications_of, held_certifications_of
    from tests.enablement.factories import CertificationFactory

    now = timezone.now()
    rep = people_a.partner_rep
    with tenant_context(people_a.tenant):
        zeta, alpha, never = CertificationFactory(name="Zeta 認定"), CertificationFactory(name="Alpha 認定"), CertificationFactory()
        for certification, days in ((zeta, 10), (zeta, 300), (alpha, -5)):
            CertificationAward.objects.create(certification=certification, user=rep, partner=people_a.partner,
                                              holder_name=rep.full_name, expires_at=now + timedelta(days=days))
        CertificationAward.objects.create(certification=never, user=people_a.partner_admin, partner=people_a.partner,
                                          holder_name="他の人", expires_at=now + timedelta(days=30))
        expected = [(held.certification.pk, held.award.pk, held.state) for held in certifications_of(rep)
                    if held.award is not None]
        with django_assert_num_queries(1):
            held = [(h.certification.pk, h.award.pk, h.state, h.certification.requires) for h in held_certifications_of(rep)]
    assert [row[:3] for row in held] == expected
    assert [row[0] for row in held] == [alpha.pk, zeta.pk]
    assert [row[2] for row in held] == ["expired", "valid"]


def test_the_home_counts_unread_announcements_among_all_not_only_the_three_shown(people_a):
    import re

    from django.utils import translation

    from enablement.models import AnnouncementRead
    from tests.enablement.factories import AnnouncementFactory

    now = timezone.now()
    rep = people_a.partner_rep
    with tenant_context(people_a.tenant):
        items = [AnnouncementFactory(title=f"告知{n}", published_at=now - timedelta(hours=n)) for n in range(6)]
        for item in (items[0], items[5]):  # one of the three shown, one older
            AnnouncementRead.objects.create(announcement=item, user=rep)
    connection.set_schema_to_public()
    with translation.override("en"):
        html = people_a.portal(rep).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "4 unread" in html or "未読4件" in html
    assert "告知0" in html and "告知2" in html and "告知3" not in html
    with tenant_context(people_a.tenant):
        AnnouncementRead.objects.bulk_create([AnnouncementRead(announcement=item, user=rep) for item in items[1:5]])
    connection.set_schema_to_public()
    with translation.override("en"):
        html = people_a.portal(rep).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert not re.search(r"\b\d+ unread|未読\d+件", html)
