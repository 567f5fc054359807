"""Console: the enablement overview, courses with their modules and progress per rep, quizzes and their
question bank, certifications with their holders, and learning paths."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from enablement import services
from enablement.forms_learning import (
    CertificationForm,
    ChoiceFormSet,
    CourseForm,
    ModuleForm,
    PathCourseFormSet,
    PathForm,
    QuestionForm,
    QuizForm,
)
from enablement.models import (
    Certification,
    CertificationAward,
    ContentAccess,
    ContentItem,
    Course,
    CourseCompletion,
    LearningPath,
    Module,
    ModuleProgress,
    PartnerQuestion,
    PathCourse,
    Question,
    Quiz,
    QuizAttempt,
    QuizAttemptGrant,
    StudySession,
)
from enablement.selectors import Held
from enablement.services import authoring
from partners.models import PartnerType
from prm.accounts.access import console_view
from prm.accounts.models import User
from prm.downloads import file_response

PER_PAGE = 25
EXPIRY_HORIZON = timedelta(days=30)
RECENT = timedelta(days=30)
_EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)


# --------------------------------------------------------------------------- helpers


def _paginate(request: HttpRequest, rows, per_page: int = PER_PAGE):
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def _count(rows: QuerySet) -> Coalesce:
    """A correlated COUNT(*) of `rows` (which use OuterRef), without joins that multiply other counts."""
    return Coalesce(Subquery(rows.order_by().values(key=Value(1)).annotate(n=Count("*")).values("n")[:1],
                             output_field=IntegerField()), 0)


def _type_labels(values: list[str]) -> list[str]:
    labels = dict(PartnerType.choices)
    return [str(labels.get(value, value)) for value in values]


def _quiz_of(course: Course) -> Quiz | None:
    return Quiz.objects.filter(course=course).select_related("certification").first()


def _get_course(pk: int) -> Course:
    return get_object_or_404(Course, pk=pk)


# --------------------------------------------------------------------------- overview


def _overview_stats(now: datetime) -> dict[str, int]:
    """The overview's figures, one COUNT each: a fixed number of queries however much there is."""
    later = CertificationAward.objects.filter(user=OuterRef("user"), certification=OuterRef("certification"),
                                              expires_at__gt=OuterRef("expires_at"))
    return {
        "published_courses": Course.objects.filter(is_published=True).count(),
        "certified_reps": CertificationAward.objects.filter(expires_at__gt=now).values("user").distinct().count(),
        "expiring": CertificationAward.objects.filter(expires_at__gt=now, expires_at__lte=now + EXPIRY_HORIZON)
        .exclude(Exists(later)).count(),
        "content_items": ContentItem.objects.count(),
        "downloads": ContentAccess.objects.filter(action=ContentAccess.Action.DOWNLOAD, at__gte=now - RECENT).count(),
        "upcoming_sessions": StudySession.objects.filter(starts_at__gte=now).count(),
        "questions_waiting": PartnerQuestion.objects.filter(status=PartnerQuestion.Status.WITH_VENDOR).count(),
    }


@console_view
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "enablement/learning/overview.html", {
        "section": "overview", "stats": _overview_stats(now),
        "recent_awards": CertificationAward.objects.select_related("certification", "partner")[:6],
    })


# --------------------------------------------------------------------------- courses


def _courses() -> QuerySet[Course]:
    """Every course with its module, learner and completion counts; one query for the page."""
    return Course.objects.select_related("quiz__certification").annotate(
        module_count=_count(Module.objects.filter(course=OuterRef("pk"))),
        learner_count=Coalesce(Subquery(
            ModuleProgress.objects.filter(module__course=OuterRef("pk")).order_by().values("module__course")
            .annotate(n=Count("user", distinct=True)).values("n")[:1], output_field=IntegerField()), 0),
        completion_count=_count(CourseCompletion.objects.filter(course=OuterRef("pk"))),
    ).order_by("position", "title")


@console_view
@require_GET
def courses(request: HttpRequest) -> HttpResponse:
    page = _paginate(request, _courses(), per_page=50)
    for course in page.object_list:
        course.type_labels = _type_labels(course.partner_types)
        course.required_labels = _type_labels(course.required_for_types)
    return render(request, "enablement/learning/courses.html", {"section": "courses", "page": page})


def _course_form_page(request: HttpRequest, course: Course | None) -> HttpResponse:
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        try:
            saved = authoring.course_save(actor=request.user, course=course, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Course “%(title)s” saved.") % {"title": saved.title})
            return redirect("enablement_course", pk=saved.pk)
    return render(request, "enablement/learning/course_form.html", {
        "section": "courses", "form": form, "course": course})


@console_view
@require_http_methods(["GET", "POST"])
def course_create(request: HttpRequest) -> HttpResponse:
    return _course_form_page(request, None)


@console_view
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _course_form_page(request, _get_course(pk))


def _learners(course: Course, quiz: Quiz | None) -> QuerySet[User]:
    """Every partner user who started the course (a module done or a quiz attempt), with their progress;
    one query per page. `attempts_used` and `attempts_granted` count like services.quiz_allowance: since the
    last pass."""
    started = ModuleProgress.objects.filter(module__course=course).values("user")
    who = Q(pk__in=started)
    if quiz is not None:
        who |= Q(pk__in=QuizAttempt.objects.filter(quiz=quiz).values("user"))
    users = (User.objects.filter(who, partner_membership__isnull=False)
             .select_related("partner_membership__partner")
             .annotate(modules_done=_count(ModuleProgress.objects.filter(user=OuterRef("pk"), module__course=course)),
                       completed_at=Subquery(CourseCompletion.objects.filter(user=OuterRef("pk"), course=course)
                                             .values("completed_at")[:1])))
    if quiz is not None:
        submitted = QuizAttempt.objects.filter(quiz=quiz, user=OuterRef("pk"), submitted_at__isnull=False)
        grants = QuizAttemptGrant.objects.filter(quiz=quiz, user=OuterRef("pk"))
        users = users.annotate(
            best_score=Subquery(submitted.order_by(F("score").desc(nulls_last=True)).values("score")[:1]),
            attempts_total=_count(submitted),
            has_passed=Exists(submitted.filter(passed=True)),
            counted_since=Coalesce(Subquery(submitted.filter(passed=True).order_by("-submitted_at")
                                            .values("submitted_at")[:1]), Value(_EPOCH)),
        ).annotate(
            attempts_used=_count(submitted.filter(submitted_at__gt=OuterRef("counted_since"))),
            attempts_granted=_count(grants.filter(granted_at__gt=OuterRef("counted_since"))),
            last_granted_at=Subquery(grants.order_by("-granted_at", "-id").values("granted_at")[:1]),
            last_granted_by=Subquery(grants.order_by("-granted_at", "-id").values("granted_by__full_name")[:1]),
        )
    return users.order_by("partner_membership__partner__name", "full_name", "pk")


@console_view
@require_GET
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = _get_course(pk)
    quiz = _quiz_of(course)
    modules = list(course.modules.all())
    page = _paginate(request, _learners(course, quiz))
    for learner in page.object_list:
        if quiz is not None:
            learner.attempts_allowed = quiz.max_attempts + learner.attempts_granted
    return render(request, "enablement/learning/course_detail.html", {
        "section": "courses", "course": course, "quiz": quiz, "modules": modules, "page": page,
        "type_labels": _type_labels(course.partner_types), "required_labels": _type_labels(course.required_for_types),
        "question_count": quiz.questions.count() if quiz else 0,
    })


def _module_form_page(request: HttpRequest, course: Course, module: Module | None) -> HttpResponse:
    form = ModuleForm(request.POST or None, request.FILES or None, instance=module)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name]
                  for name in ("title", "kind", "minutes", "position", "body", "video_url")}
        try:
            saved = authoring.module_save(actor=request.user, course=course, module=module,
                                          video_file=request.FILES.get("video_file"),
                                          document=request.FILES.get("document"), **fields)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Module “%(title)s” saved.") % {"title": saved.title})
            return redirect("enablement_course", pk=course.pk)
    return render(request, "enablement/learning/module_form.html", {
        "section": "courses", "form": form, "course": course, "module": module})


@console_view
@require_http_methods(["GET", "POST"])
def module_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _module_form_page(request, _get_course(pk), None)


@console_view
@require_http_methods(["GET", "POST"])
def module_edit(request: HttpRequest, pk: int) -> HttpResponse:
    module = get_object_or_404(Module.objects.select_related("course"), pk=pk)
    return _module_form_page(request, module.course, module)


@console_view
@require_safe
def module_file(request: HttpRequest, pk: int, which: str) -> HttpResponseBase:
    """The uploaded video or document of a module, for the vendor to check what reps get."""
    module = get_object_or_404(Module, pk=pk)
    stored = {"document": module.document, "video": module.video_file}.get(which)
    return file_response(request, stored, as_attachment=which == "document")


# --------------------------------------------------------------------------- quizzes


class GrantAttemptForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(partner_membership__isnull=False, is_active=True))


@console_view
@require_POST
def quiz_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Allow one rep one more attempt of the quiz, to be taken now."""
    quiz = get_object_or_404(Quiz.objects.select_related("course"), pk=pk)
    form = GrantAttemptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a partner user."))
    else:
        rep = form.cleaned_data["user"]
        try:
            grant = services.quiz_grant_attempt(quiz=quiz, user=rep, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s may take the quiz “%(quiz)s” once more now (%(allowed)s attempts in all).") % {
                "name": rep.get_full_name(), "quiz": quiz.course.title, "allowed": grant.attempts_allowed})
    return redirect("enablement_course", pk=quiz.course_id)


@console_view
@require_http_methods(["GET", "POST"])
def quiz_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = _get_course(pk)
    quiz = _quiz_of(course)
    form = QuizForm(request.POST or None, instance=quiz)
    if request.method == "POST" and form.is_valid():
        try:
            quiz = authoring.quiz_save(actor=request.user, course=course, quiz=quiz, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Quiz settings saved."))
            return redirect("enablement_quiz", pk=course.pk)
    questions = quiz.questions.prefetch_related("choices") if quiz else Question.objects.none()
    attempts = QuizAttempt.objects.none()
    if quiz is not None:  # attempts under way first, then the latest submitted
        attempts = (QuizAttempt.objects.filter(quiz=quiz).select_related("user__partner_membership__partner")
                    .order_by(F("submitted_at").desc(nulls_first=True), "-started_at"))
    return render(request, "enablement/learning/quiz.html", {
        "section": "courses", "course": course, "quiz": quiz, "form": form, "questions": questions,
        "page": _paginate(request, attempts)})


def _choice_inputs(formset) -> list[authoring.ChoiceInput]:
    """The choices as the editor left them: existing ones (unless ticked for removal) and filled-in new rows."""
    choices = []
    for row in formset.forms:
        if row.cleaned_data.get("DELETE") or not (row.instance.pk or row.has_changed()):
            continue
        choices.append(authoring.ChoiceInput(text=row.cleaned_data.get("text", ""),
                                             correct=row.cleaned_data.get("correct", False), pk=row.instance.pk))
    return choices


def _question_form_page(request: HttpRequest, quiz: Quiz, question: Question | None) -> HttpResponse:
    instance = question or Question(quiz=quiz)
    form = QuestionForm(request.POST or None, instance=question)
    formset = ChoiceFormSet(request.POST or None, instance=instance, prefix="choices")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            authoring.question_save(actor=request.user, quiz=quiz, question=question, text=form.cleaned_data["text"],
                                    multiple=form.cleaned_data["multiple"], choices=_choice_inputs(formset))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Question saved."))
            return redirect("enablement_quiz", pk=quiz.course_id)
    return render(request, "enablement/learning/question_form.html", {
        "section": "courses", "quiz": quiz, "course": quiz.course, "question": question, "form": form,
        "formset": formset})


@console_view
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = get_object_or_404(Quiz.objects.select_related("course"), course_id=pk)
    return _question_form_page(request, quiz, None)


@console_view
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("quiz__course"), pk=pk)
    return _question_form_page(request, question.quiz, question)


@console_view
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("quiz"), pk=pk)
    course_id = question.quiz.course_id
    try:
        authoring.question_delete(actor=request.user, question=question)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Question deleted."))
    return redirect("enablement_quiz", pk=course_id)


# --------------------------------------------------------------------------- certifications


def _holder_counts(now: datetime) -> dict[int, dict[str, int]]:
    """Per certification, holders by the state of their latest award: valid, expiring within the
    certification's reminder window, expired; one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH latest AS (
                SELECT DISTINCT ON (certification_id, user_id) certification_id, expires_at
                  FROM enablement_certificationaward
                 ORDER BY certification_id, user_id, expires_at DESC
            )
            SELECT l.certification_id,
                   count(*) FILTER (WHERE l.expires_at > %(now)s),
                   count(*) FILTER (WHERE l.expires_at > %(now)s
                                      AND l.expires_at <= %(now)s + make_interval(days => c.remind_days_before)),
                   count(*) FILTER (WHERE l.expires_at <= %(now)s)
              FROM latest l JOIN enablement_certification c ON c.id = l.certification_id
             GROUP BY l.certification_id
            """,
            {"now": now},
        )
        return {row[0]: {"valid": row[1], "expiring": row[2], "expired": row[3]} for row in cursor.fetchall()}


@console_view
@require_GET
def certifications(request: HttpRequest) -> HttpResponse:
    rows = list(Certification.objects.select_related("requires").order_by("name"))
    counts = _holder_counts(timezone.now())
    empty = {"valid": 0, "expiring": 0, "expired": 0}
    for certification in rows:
        certification.holders = counts.get(certification.pk, empty)
    return render(request, "enablement/learning/certifications.html", {"section": "certifications", "rows": rows})


def _certification_form_page(request: HttpRequest, certification: Certification | None) -> HttpResponse:
    form = CertificationForm(request.POST or None, instance=certification)
    if request.method == "POST" and form.is_valid():
        try:
            saved = authoring.certification_save(actor=request.user, certification=certification, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Certification “%(name)s” saved.") % {"name": saved.name})
            return redirect("enablement_certification", pk=saved.pk)
    return render(request, "enablement/learning/certification_form.html", {
        "section": "certifications", "form": form, "certification": certification})


@console_view
@require_http_methods(["GET", "POST"])
def certification_create(request: HttpRequest) -> HttpResponse:
    return _certification_form_page(request, None)


@console_view
@require_http_methods(["GET", "POST"])
def certification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _certification_form_page(request, get_object_or_404(Certification, pk=pk))


@console_view
@require_GET
def certification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certification = get_object_or_404(Certification.objects.select_related("requires"), pk=pk)
    latest = (CertificationAward.objects.filter(certification=certification)
              .order_by("user_id", "-expires_at").distinct("user_id").values("pk"))
    holders = (CertificationAward.objects.filter(pk__in=Subquery(latest)).select_related("partner")
               .order_by("-expires_at", "-pk"))
    page = _paginate(request, holders)
    for award in page.object_list:
        award.state = Held(certification, award).state
    return render(request, "enablement/learning/certification_detail.html", {
        "section": "certifications", "certification": certification, "page": page,
        "quizzes": certification.quizzes.select_related("course"),
        "advanced": certification.advanced.all()})


# --------------------------------------------------------------------------- learning paths


@console_view
@require_GET
def paths(request: HttpRequest) -> HttpResponse:
    steps = Prefetch("pathcourse_set", queryset=PathCourse.objects.select_related("course").order_by("position"),
                     to_attr="steps")
    rows = list(LearningPath.objects.prefetch_related(steps).order_by("title"))
    for path in rows:
        path.type_labels = _type_labels(path.partner_types)
    return render(request, "enablement/learning/paths.html", {"section": "paths", "rows": rows})


def _path_form_page(request: HttpRequest, path: LearningPath | None) -> HttpResponse:
    form = PathForm(request.POST or None, instance=path)
    initial = ([{"course": step.course_id, "position": step.position + 1}
                for step in PathCourse.objects.filter(path=path).order_by("position")] if path else [])
    formset = PathCourseFormSet(request.POST or None, initial=initial, prefix="courses",
                                form_kwargs={"courses": Course.objects.order_by("position", "title")})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = authoring.path_save(actor=request.user, path=path, courses=formset.ordered_courses(),
                                        **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Learning path “%(title)s” saved.") % {"title": saved.title})
            return redirect("enablement_paths")
    return render(request, "enablement/learning/path_form.html", {
        "section": "paths", "form": form, "formset": formset, "path": path})


@console_view
@require_http_methods(["GET", "POST"])
def path_create(request: HttpRequest) -> HttpResponse:
    return _path_form_page(request, None)


@console_view
@require_http_methods(["GET", "POST"])
def path_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _path_form_page(request, get_object_or_404(LearningPath, pk=pk))

