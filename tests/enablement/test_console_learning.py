"""Console pages of enablement learning: overview, courses and modules, progress per rep, quizzes and their
question bank, certifications and learning paths."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from enablement import services
from enablement.models import (
    Certification,
    CertificationAward,
    Choice,
    ContentAccess,
    Course,
    CourseCompletion,
    LearningPath,
    Module,
    PartnerQuestion,
    PathCourse,
    Question,
    Quiz,
    QuizAttempt,
)
from enablement.services import authoring
from tests.enablement.factories import (
    PDF,
    CertificationFactory,
    ContentItemFactory,
    CourseFactory,
    ModuleFactory,
    StudySessionFactory,
    question,
    quiz_with_questions,
)
from tests.factories import PartnerFactory, UserFactory

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
FAR = 987_654  # a primary key tenant A never reaches in a test run: objects of tenant B get it


def _world(tenant, pk: int | None = None) -> dict[str, int]:
    """One of everything the learning pages show, with explicit primary keys when given."""
    ids = {} if pk is None else {"pk": pk}
    with tenant_context(tenant):
        course = CourseFactory(**ids)
        module = ModuleFactory(course=course, **ids)
        certification = CertificationFactory(**ids)
        quiz = Quiz.objects.create(course=course, certification=certification, **ids)
        q = Question.objects.create(quiz=quiz, text="問題", **ids)
        Choice.objects.create(question=q, text="正解", correct=True)
        Choice.objects.create(question=q, text="誤答", correct=False)
        path = LearningPath.objects.create(title="新任者向け", **ids)
        return {"course": course.pk, "module": module.pk, "quiz": quiz.pk, "question": q.pk,
                "certification": certification.pk, "path": path.pk}


# name, the object its pk comes from (None: no argument), methods it answers
PAGES = [
    ("enablement_overview", None, "GET"),
    ("enablement_courses", None, "GET"),
    ("enablement_course_create", None, "GET POST"),
    ("enablement_course", "course", "GET"),
    ("enablement_course_edit", "course", "GET POST"),
    ("enablement_module_create", "course", "GET POST"),
    ("enablement_module_edit", "module", "GET POST"),
    ("enablement_quiz", "course", "GET POST"),
    ("enablement_question_create", "course", "GET POST"),
    ("enablement_question_edit", "question", "GET POST"),
    ("enablement_question_delete", "question", "POST"),
    ("enablement_quiz_retry", "quiz", "POST"),
    ("enablement_certifications", None, "GET"),
    ("enablement_certification_create", None, "GET POST"),
    ("enablement_certification", "certification", "GET"),
    ("enablement_certification_edit", "certification", "GET POST"),
    ("enablement_paths", None, "GET"),
    ("enablement_path_create", None, "GET POST"),
    ("enablement_path_edit", "path", "GET POST"),
]


def _staff(people):
    """A channel manager's browser, in English so messages can be read in assertions."""
    client = people.console(people.channel_manager)
    client.cookies["kyoso_language"] = "en"
    return client


def _url(name: str, key: str | None, ids: dict[str, int]) -> str:
    return reverse(name, urlconf="prm.urls_console", kwargs={"pk": ids[key]} if key else None)


@pytest.mark.parametrize(("name", "key", "methods"), PAGES, ids=[page[0] for page in PAGES])
def test_it_opens_each_page_to_staff_only_and_only_for_its_own_tenant(people_a, people_b, name, key, methods):
    ids = _world(people_a.tenant)
    url = _url(name, key, ids)
    staff = _staff(people_a)
    if "GET" in methods:
        assert staff.get(url).status_code == 200
        assert staff.put(url).status_code == 405
    else:
        assert staff.get(url).status_code == 405
    anonymous = people_a.console().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for persona in (people_a.partner_admin, people_a.partner_rep):
        client = people_a.console(persona)
        assert (client.get(url) if "GET" in methods else client.post(url)).status_code == 403
    if key:
        foreign = _url(name, key, _world(people_b.tenant, pk=FAR))
        with tenant_context(people_a.tenant):
            assert not Course.objects.filter(pk=FAR).exists()
        response = staff.get(foreign) if "GET" in methods else staff.post(foreign, {"user": people_a.partner_rep.pk})
        assert response.status_code == 404


# --------------------------------------------------------------------------- overview


def test_it_counts_what_matters_on_the_overview(people_a):
    now = timezone.now()
    with tenant_context(people_a.tenant):
        CourseFactory.create_batch(2)
        CourseFactory(is_published=False)
        certification = CertificationFactory()
        partner = people_a.partner

        def award(user, days):
            return CertificationAward.objects.create(certification=certification, user=user, partner=partner,
                                                     holder_name=user.full_name, expires_at=now + timedelta(days=days))

        award(people_a.partner_rep, 10)  # valid, expiring within 30 days
        award(people_a.partner_admin, 200)
        award(people_a.partner_admin, 20)  # an older award the renewal replaced: not expiring
        award(UserFactory(role="partner_rep", partner=partner), -5)  # expired: not certified
        item = ContentItemFactory()
        ContentItemFactory()
        for days_ago in (1, 3, 45):
            ContentAccess.objects.create(item=item, user=people_a.partner_rep, partner=partner, action="download",
                                         at=now - timedelta(days=days_ago))
        ContentAccess.objects.create(item=item, user=people_a.partner_rep, partner=partner, action="view")
        StudySessionFactory()
        StudySessionFactory(starts_at=now - timedelta(days=3))
        PartnerQuestion.objects.create(partner=partner, asked_by=people_a.partner_rep, text="?", status="vendor")
        PartnerQuestion.objects.create(partner=partner, asked_by=people_a.partner_rep, text="?", status="manager")
    response = _staff(people_a).get("/enablement/")
    assert response.context["stats"] == {
        "published_courses": 2, "certified_reps": 2, "expiring": 1, "content_items": 2, "downloads": 2,
        "upcoming_sessions": 1, "questions_waiting": 1}
    page = response.content.decode()
    for name in ("enablement_courses", "enablement_certifications", "enablement_paths"):
        assert f'href="{reverse(name, urlconf="prm.urls_console")}"' in page
    assert 'href="/enablement/"' in page and "bi-mortarboard" in page


def _grow(count: int) -> None:
    """Courses with modules, a quiz, completions and awards; the kind of data a list page repeats over."""
    partner = PartnerFactory()
    for n in range(count):
        quiz = quiz_with_questions(2)
        ModuleFactory.create_batch(2, course=quiz.course)
        rep = UserFactory(role="partner_rep", partner=partner)
        CourseCompletion.objects.create(user=rep, course=quiz.course)
        CertificationAward.objects.create(certification=quiz.certification, user=rep, partner=partner,
                                          holder_name=f"認定者{n}", expires_at=timezone.now() + timedelta(days=20))


@pytest.mark.parametrize("url", ["/enablement/", "/enablement/courses/", "/enablement/certifications/"])
def test_it_keeps_list_pages_to_a_fixed_number_of_queries(people_a, url):
    client = _staff(people_a)
    client.get(url)  # caches the tenant's settings once, outside the measurement
    counts = []
    for batch in (2, 10):
        with tenant_context(people_a.tenant):
            _grow(batch)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    if url == "/enablement/courses/":
        assert len(response.context["page"].object_list) == 12


# --------------------------------------------------------------------------- courses and modules


def test_it_creates_and_edits_a_course_with_its_audience(people_a):
    client = _staff(people_a)
    refused = client.post("/enablement/courses/new/", {"title": "", "min_tier_rank": "0", "position": "0"})
    assert refused.status_code == 200 and "title" in refused.context["form"].errors
    with tenant_context(people_a.tenant):
        assert not Course.objects.exists()
    response = client.post("/enablement/courses/new/", {
        "title": "提案力強化講座", "summary": "提案の型を学ぶ", "position": "3", "is_published": "on",
        "partner_types": ["resale", "distributor"], "min_tier_rank": "2",
        "required_for_types": ["resale"], "required_from_tier_rank": "3"})
    with tenant_context(people_a.tenant):
        course = Course.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/enablement/courses/{course.pk}/"
    assert (course.title, course.position, course.is_published, course.partner_types, course.min_tier_rank,
            course.required_for_types, course.required_from_tier_rank) == (
        "提案力強化講座", 3, True, ["resale", "distributor"], 2, ["resale"], 3)
    form_page = client.get(f"/enablement/courses/{course.pk}/edit/").content.decode()
    assert 'type="checkbox" name="partner_types" value="resale"' in form_page
    client.post(f"/enablement/courses/{course.pk}/edit/", {"title": "提案力強化講座 改訂版", "position": "3",
                                                           "min_tier_rank": "0"})
    with tenant_context(people_a.tenant):
        course.refresh_from_db()
    assert (course.title, course.is_published, course.partner_types, course.required_from_tier_rank) == (
        "提案力強化講座 改訂版", False, [], None)
    listing = client.get("/enablement/courses/").content.decode()
    assert "提案力強化講座 改訂版" in listing


def _module(kind: str, **extra) -> dict:
    return {"title": "製品デモ", "kind": kind, "minutes": "15", "position": "", "body": "", "video_url": "", **extra}


def test_it_adds_modules_of_every_kind_in_order(people_a):
    with tenant_context(people_a.tenant):
        course = CourseFactory()
    client = _staff(people_a)
    base = f"/enablement/courses/{course.pk}/modules/new/"
    assert client.post(base, _module("text", body="本文です")).status_code == 302
    assert client.post(base, _module("video", video_url="https://video.example.jp/demo")).status_code == 302
    assert client.post(base, _module("video", video_file=SimpleUploadedFile("demo.mp4", MP4))).status_code == 302
    assert client.post(base, _module("document", document=SimpleUploadedFile("sheet.pdf", PDF))).status_code == 302
    missing = client.post(base, _module("video"))
    assert "video_url" in missing.context["form"].errors
    with tenant_context(people_a.tenant):
        modules = list(course.modules.order_by("position"))
        assert [(m.kind, m.position) for m in modules] == [("text", 0), ("video", 1), ("video", 2), ("document", 3)]
        assert modules[2].video_file.name.endswith(".mp4") and modules[3].document.read().startswith(b"%PDF")
    detail = client.get(f"/enablement/courses/{course.pk}/").content.decode()
    assert f"/enablement/modules/{modules[3].pk}/file/document/" in detail
    download = client.get(f"/enablement/modules/{modules[3].pk}/file/document/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert client.get(f"/enablement/modules/{modules[0].pk}/file/document/").status_code == 404
    partner_user = people_a.console(people_a.partner_admin)
    assert partner_user.get(f"/enablement/modules/{modules[3].pk}/file/document/").status_code == 403


@pytest.mark.parametrize(("field", "name", "content", "limit"), [
    ("video_file", "demo.avi", MP4, None),
    ("video_file", "demo.mp4", MP4, "VIDEO_MAX_BYTES"),
    ("document", "sheet.exe", PDF, None),
    ("document", "sheet.pdf", PDF, "DOCUMENT_MAX_BYTES"),
])
def test_it_refuses_a_bad_upload_on_its_field_and_saves_nothing(people_a, monkeypatch, field, name, content, limit):
    if limit:
        monkeypatch.setattr(authoring, limit, 16)
    with tenant_context(people_a.tenant):
        module = ModuleFactory(title="元の題名")
    client = _staff(people_a)
    kind = "video" if field == "video_file" else "document"
    created = client.post(f"/enablement/courses/{module.course_id}/modules/new/",
                          _module(kind, **{field: SimpleUploadedFile(name, content)}))
    edited = client.post(f"/enablement/modules/{module.pk}/edit/",
                         _module(kind, title="新しい題名", **{field: SimpleUploadedFile(name, content)}))
    for response in (created, edited):
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert list(errors) == [field]
        assert ("not allowed" if limit is None else "the limit is 16") in errors[field][0]
        assert "invalid-feedback" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert Module.objects.count() == 1
        module.refresh_from_db()
        assert (module.title, module.kind, module.video_file.name, module.document.name) == ("元の題名", "text", "", "")


# --------------------------------------------------------------------------- progress per rep


def _pass(quiz: Quiz, user) -> QuizAttempt:
    attempt = services.quiz_start(quiz=quiz, user=user)
    answers = {qid: set(Choice.objects.filter(question_id=qid, correct=True).values_list("pk", flat=True))
               for qid in attempt.question_ids}
    return services.quiz_submit(attempt_id=attempt.pk, user=user, answers=answers)


def _fail(quiz: Quiz, user) -> QuizAttempt:
    attempt = services.quiz_start(quiz=quiz, user=user)
    return services.quiz_submit(attempt_id=attempt.pk, user=user, answers={})


def test_it_shows_progress_per_rep_and_allows_another_attempt(people_a):
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(4, cooldown_hours=0, max_attempts=2, questions_per_attempt=4)
        course = quiz.course
        modules = ModuleFactory.create_batch(3, course=course)
        ModuleFactory(course=CourseFactory())  # progress elsewhere does not count
        finisher, struggler, other = people_a.partner_rep, people_a.partner_admin, people_a.other_partner_admin
        for module in modules:
            services.module_complete(module=module, user=finisher)
        _fail(quiz, finisher)
        _pass(quiz, finisher)
        services.module_complete(module=modules[0], user=struggler)
        _fail(quiz, struggler)
        _fail(quiz, struggler)
        services.module_complete(module=modules[1], user=other)
        assert services.quiz_blocker(quiz=quiz, user=struggler) is not None
        completed = CourseCompletion.objects.get(user=finisher, course=course).completed_at
    client = _staff(people_a)
    response = client.get(f"/enablement/courses/{course.pk}/")
    rows = {rep.pk: rep for rep in response.context["page"].object_list}
    assert set(rows) == {finisher.pk, struggler.pk, other.pk}
    got = {pk: (r.partner_membership.partner.name, r.modules_done, r.completed_at, r.best_score, r.attempts_used,
                r.attempts_total, r.has_passed, r.attempts_allowed) for pk, r in rows.items()}
    assert got == {
        finisher.pk: (people_a.partner.name, 3, completed, 100, 0, 2, True, 2),
        struggler.pk: (people_a.partner.name, 1, None, 0, 2, 2, False, 2),
        other.pk: (people_a.other_partner.name, 1, None, None, 0, 0, False, 2),
    }
    with tenant_context(people_a.tenant):
        for rep in (finisher, struggler, other):
            assert rows[rep.pk].attempts_used == services.attempts_counted(quiz=quiz, user=rep)
    page = response.content.decode()
    assert page.count('name="user"') == 1 and f'value="{struggler.pk}"' in page
    retried = client.post(f"/enablement/quizzes/{quiz.pk}/allow-retry/", {"user": struggler.pk})
    assert retried.status_code == 302 and retried["Location"] == f"/enablement/courses/{course.pk}/"
    with tenant_context(people_a.tenant):
        assert services.quiz_blocker(quiz=quiz, user=struggler) is None
    after = client.get(f"/enablement/courses/{course.pk}/")
    row = {r.pk: r for r in after.context["page"].object_list}[struggler.pk]
    assert (row.attempts_used, row.attempts_granted, row.attempts_allowed) == (2, 1, 3)
    assert f"One more allowed by {people_a.channel_manager.full_name}" in after.content.decode()
    assert client.post(f"/enablement/quizzes/{quiz.pk}/allow-retry/", {"user": people_a.channel_manager.pk},
                       follow=True).status_code == 200
    with tenant_context(people_a.tenant):
        assert quiz.grants.count() == 1  # staff are not reps: nothing granted


def test_it_paginates_the_learners(people_a):
    with tenant_context(people_a.tenant):
        module = ModuleFactory()
        for _ in range(27):
            services.module_complete(module=module, user=UserFactory(role="partner_rep", partner=people_a.partner))
    client = _staff(people_a)
    first = client.get(f"/enablement/courses/{module.course_id}/")
    second = client.get(f"/enablement/courses/{module.course_id}/?page=2")
    assert len(first.context["page"].object_list) == 25 and len(second.context["page"].object_list) == 2


# --------------------------------------------------------------------------- quizzes and the question bank


def test_it_creates_then_edits_the_quiz_of_a_course(people_a):
    with tenant_context(people_a.tenant):
        course = CourseFactory()
        certification = CertificationFactory()
    client = _staff(people_a)
    settings = {"certification": certification.pk, "pass_mark": "70", "questions_per_attempt": "5",
                "max_attempts": "3", "cooldown_hours": "12", "time_limit_minutes": "20"}
    assert client.post(f"/enablement/courses/{course.pk}/quiz/", {**settings, "pass_mark": "120"}).context[
        "form"].errors["pass_mark"]
    assert client.post(f"/enablement/courses/{course.pk}/quiz/", settings).status_code == 302
    client.post(f"/enablement/courses/{course.pk}/quiz/", {**settings, "certification": "", "pass_mark": "90"})
    with tenant_context(people_a.tenant):
        quiz = Quiz.objects.get(course=course)
        assert (quiz.certification, quiz.pass_mark, quiz.cooldown_hours, quiz.time_limit_minutes) == (None, 90, 12, 20)


def _choices(rows: list[tuple], initial: int = 0, question_pk: int | None = None) -> dict:
    data = {"choices-TOTAL_FORMS": str(len(rows)), "choices-INITIAL_FORMS": str(initial),
            "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000"}
    for index, (text, correct, *rest) in enumerate(rows):
        data[f"choices-{index}-text"] = text
        if correct:
            data[f"choices-{index}-correct"] = "on"
        if rest:
            pk, delete = rest
            data[f"choices-{index}-id"] = str(pk)
            data[f"choices-{index}-question"] = str(question_pk)
            if delete:
                data[f"choices-{index}-DELETE"] = "on"
    return data


@pytest.mark.parametrize(("multiple", "rows", "message"), [
    (False, [("ひとつだけ", True), ("", False)], "at least two choices"),
    (False, [("甲", False), ("乙", False)], "at least one choice as correct"),
    (False, [("甲", True), ("乙", True), ("丙", False)], "exactly one correct choice; 2 are marked"),
])
def test_it_refuses_a_question_with_bad_choices(people_a, multiple, rows, message):
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(0)
    data = {"text": "正しいものは？", **({"multiple": "on"} if multiple else {}), **_choices(rows)}
    response = _staff(people_a).post(
        f"/enablement/courses/{quiz.course_id}/quiz/questions/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and message in errors[0]
    assert message in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not Question.objects.exists() and not Choice.objects.exists()


def test_it_adds_edits_and_deletes_questions_keeping_choice_ids(people_a):
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(0)
    client = _staff(people_a)
    created = client.post(f"/enablement/courses/{quiz.course_id}/quiz/questions/new/", {
        "text": "正しいものをすべて選んでください", "multiple": "on",
        **_choices([("甲", True), ("乙", True), ("丙", False), ("", False)])})
    assert created.status_code == 302 and created["Location"] == f"/enablement/courses/{quiz.course_id}/quiz/"
    with tenant_context(people_a.tenant):
        q = Question.objects.get()
        first, second, third = q.choices.order_by("pk")
        assert q.multiple and [(c.text, c.correct) for c in (first, second, third)] == [
            ("甲", True), ("乙", True), ("丙", False)]
    edited = client.post(f"/enablement/quiz-questions/{q.pk}/edit/", {
        "text": "正しいものを選んでください",
        **_choices([("甲", True, first.pk, False), ("乙（改）", False, second.pk, False), ("丙", False, third.pk, True),
                    ("丁", False)], initial=3, question_pk=q.pk)})
    assert edited.status_code == 302
    with tenant_context(people_a.tenant):
        q.refresh_from_db()
        assert (q.text, q.multiple) == ("正しいものを選んでください", False)
        kept = list(q.choices.order_by("pk").values_list("pk", "text", "correct"))
        assert kept[:2] == [(first.pk, "甲", True), (second.pk, "乙（改）", False)]
        assert [row[1:] for row in kept[2:]] == [("丁", False)] and kept[2][0] != third.pk
    page = client.get(f"/enablement/courses/{quiz.course_id}/quiz/").content.decode()
    assert "正しいものを選んでください" in page and "乙（改）" in page
    assert client.post(f"/enablement/quiz-questions/{q.pk}/delete/").status_code == 302
    with tenant_context(people_a.tenant):
        assert not Question.objects.exists()


def test_it_keeps_a_question_a_rep_is_answering(people_a):
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(1)
        attempt = services.quiz_start(quiz=quiz, user=people_a.partner_rep)
        q = Question.objects.get()
    client = _staff(people_a)
    response = client.post(f"/enablement/quiz-questions/{q.pk}/delete/", follow=True)
    assert "answering this question right now" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert Question.objects.filter(pk=q.pk).exists()
        QuizAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    client.post(f"/enablement/quiz-questions/{q.pk}/delete/")
    with tenant_context(people_a.tenant):
        assert not Question.objects.filter(pk=q.pk).exists()


def test_it_lists_each_attempt_on_the_quiz_page(people_a):
    with tenant_context(people_a.tenant):
        quiz = quiz_with_questions(2, cooldown_hours=0)
        _fail(quiz, people_a.partner_rep)
        passed = _pass(quiz, people_a.partner_rep)
        late = services.quiz_start(quiz=quiz, user=people_a.partner_admin)
        QuizAttempt.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(minutes=5))
        assert services.quiz_submit(attempt_id=late.pk, user=people_a.partner_admin, answers={}).timed_out
        services.quiz_start(quiz=quiz, user=people_a.other_partner_admin)
    response = _staff(people_a).get(f"/enablement/courses/{quiz.course_id}/quiz/")
    rows = [(a.user_id, a.score, a.passed, a.timed_out, a.submitted_at is None) for a in response.context["page"]]
    assert rows[0] == (people_a.other_partner_admin.pk, None, False, False, True)
    assert sorted(rows[1:]) == sorted([(people_a.partner_rep.pk, 0, False, False, False),
                                       (people_a.partner_rep.pk, 100, True, False, False),
                                       (people_a.partner_admin.pk, 0, False, True, False)])
    page = response.content.decode()
    assert "Timed out" in page
    assert passed.passed


# --------------------------------------------------------------------------- certifications


def test_it_creates_certifications_and_refuses_a_requirement_loop(people_a):
    client = _staff(people_a)
    base = {"description": "", "validity_months": "12", "remind_days_before": "30"}
    client.post("/enablement/certifications/new/", {**base, "code": "basic", "name": "基礎認定"})
    with tenant_context(people_a.tenant):
        basic = Certification.objects.get(code="basic")
    client.post("/enablement/certifications/new/", {**base, "code": "advanced", "name": "上級認定",
                                                      "requires": basic.pk})
    with tenant_context(people_a.tenant):
        advanced = Certification.objects.get(code="advanced")
        assert advanced.requires == basic
    loop = client.post(f"/enablement/certifications/{basic.pk}/edit/", {**base, "code": "basic", "name": "基礎認定",
                                                                         "requires": advanced.pk})
    assert loop.status_code == 200
    assert "loop" in loop.context["form"].errors["requires"][0]
    itself = client.post(f"/enablement/certifications/{basic.pk}/edit/", {**base, "code": "basic", "name": "基礎認定",
                                                                           "requires": basic.pk})
    assert "requires" in itself.context["form"].errors
    with tenant_context(people_a.tenant):
        basic.refresh_from_db()
        assert basic.requires is None
        expert = CertificationFactory(requires=advanced)
        with pytest.raises(ValidationError) as refused:
            authoring.certification_save(actor=people_a.channel_manager, certification=basic, requires=expert)
        assert "requires" in refused.value.error_dict
        with pytest.raises(ValidationError) as self_required, translation.override("en"):
            authoring.certification_save(actor=people_a.channel_manager, certification=basic, requires=basic)
        assert "itself" in self_required.value.error_dict["requires"][0].messages[0]
        with pytest.raises(PermissionDenied):
            authoring.certification_save(actor=people_a.partner_admin, code="x", name="x")
    duplicate = client.post("/enablement/certifications/new/", {**base, "code": "basic", "name": "別"})
    assert "code" in duplicate.context["form"].errors


def test_it_shows_holders_by_the_state_of_their_latest_award(people_a):
    now = timezone.now()
    with tenant_context(people_a.tenant):
        certification = CertificationFactory(remind_days_before=30)
        partner = people_a.partner

        def award(user, days, code=None):
            extra = {"verification_code": code} if code else {}
            return CertificationAward.objects.create(certification=certification, user=user, partner=partner,
                                                     holder_name=user.full_name, expires_at=now + timedelta(days=days),
                                                     **extra)

        award(people_a.partner_rep, -300)
        award(people_a.partner_rep, 200, code="RENEWED00001")  # renewed: valid, counted once
        award(people_a.partner_admin, 10, code="EXPIRING0001")
        award(UserFactory(role="partner_rep", partner=partner), -1, code="EXPIRED00001")
    client = _staff(people_a)
    listing = client.get("/enablement/certifications/")
    row = next(c for c in listing.context["rows"] if c.pk == certification.pk)
    assert row.holders == {"valid": 2, "expiring": 1, "expired": 1}
    detail = client.get(f"/enablement/certifications/{certification.pk}/")
    states = {award.verification_code: award.state for award in detail.context["page"]}
    assert states == {"RENEWED00001": "valid", "EXPIRING0001": "expiring", "EXPIRED00001": "expired"}
    assert "RENEWED00001" in detail.content.decode()


# --------------------------------------------------------------------------- learning paths


def _path_rows(rows: list[tuple]) -> dict:
    data = {"courses-TOTAL_FORMS": str(len(rows)), "courses-INITIAL_FORMS": "0", "courses-MIN_NUM_FORMS": "0",
            "courses-MAX_NUM_FORMS": "1000"}
    for index, (course, position) in enumerate(rows):
        data[f"courses-{index}-course"] = str(course or "")
        data[f"courses-{index}-position"] = str(position or "")
    return data


def test_it_creates_and_edits_a_learning_path_in_order(people_a):
    with tenant_context(people_a.tenant):
        basics, selling, advanced = CourseFactory(title="基礎"), CourseFactory(title="販売"), CourseFactory(title="応用")
    client = _staff(people_a)
    created = client.post("/enablement/paths/new/", {
        "title": "新任営業向け", "description": "最初の一か月", "partner_types": ["resale"], "min_tier_rank": "1",
        **_path_rows([(selling.pk, 2), (basics.pk, 1), (None, None), (advanced.pk, None)])})
    assert created.status_code == 302
    with tenant_context(people_a.tenant):
        path = LearningPath.objects.get()
        assert (path.title, path.partner_types, path.min_tier_rank) == ("新任営業向け", ["resale"], 1)
        assert list(PathCourse.objects.filter(path=path).order_by("position").values_list("course__title", flat=True)) == [
            "基礎", "販売", "応用"]
    form_page = client.get(f"/enablement/paths/{path.pk}/edit/")
    assert [f.initial.get("course") for f in form_page.context["formset"].forms[:3]] == [basics.pk, selling.pk, advanced.pk]
    twice = client.post(f"/enablement/paths/{path.pk}/edit/", {
        "title": "新任営業向け", "min_tier_rank": "0", **_path_rows([(basics.pk, 1), (basics.pk, 2)])})
    assert twice.status_code == 200, (twice.status_code, twice.get("Location"))
    assert "only once" in twice.context["form"].non_field_errors()[0]
    client.post(f"/enablement/paths/{path.pk}/edit/", {
        "title": "新任営業向け", "min_tier_rank": "0", **_path_rows([(advanced.pk, 1), (basics.pk, 2)])})
    with tenant_context(people_a.tenant):
        assert list(PathCourse.objects.filter(path=path).order_by("position").values_list("course__title", flat=True)) == [
            "応用", "基礎"]
    listing = client.get("/enablement/paths/").content.decode()
    assert listing.index("応用") < listing.index("基礎")


def test_authoring_is_for_vendor_staff_only(people_a):
    with tenant_context(people_a.tenant):
        course = CourseFactory()
        quiz = quiz_with_questions(1, course=course)
        q = question(quiz, "追加", right=["甲"], wrong=["乙"])
        rep = people_a.partner_rep
        calls = [
            lambda: authoring.course_save(actor=rep, title="x"),
            lambda: authoring.module_save(actor=rep, course=course, title="x", kind="text", body="x"),
            lambda: authoring.quiz_save(actor=rep, course=course),
            lambda: authoring.question_save(actor=rep, quiz=quiz, text="x", multiple=False, choices=[]),
            lambda: authoring.question_delete(actor=rep, question=q),
            lambda: authoring.path_save(actor=rep, courses=[], title="x"),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
        assert Question.objects.filter(pk=q.pk).exists() and Course.objects.count() == 1
