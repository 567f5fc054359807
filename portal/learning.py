"""Portal: courses, modules, quizzes and the rep's certifications; the team's learning for partner admins."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from enablement import selectors, services
from enablement.audience import Viewer
from enablement.models import Course, Module, QuizAttempt
from portal.access import or_404, portal_view
from prm.accounts.models import User
from prm.downloads import file_response


def _course_for(request: HttpRequest, pk: int) -> Course:
    """The one access helper for a course: published, and open to the user's partner (type and tier)."""
    course = or_404(selectors.published_course(pk))
    services.check_course_open(course=course, user=request.user)
    return course


@portal_view
@require_GET
def learning(request: HttpRequest) -> HttpResponse:
    viewer = Viewer.of(request.partner)
    return render(request, "portal/learning/index.html", {
        "courses": selectors.courses_for(request.user, viewer),
        "paths": selectors.paths_for(viewer),
        "held": selectors.certifications_of(request.user),
        "viewer": viewer,
    })


@portal_view
@require_GET
def course(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for(request, pk)
    modules = list(course.modules.all())
    done = set(request.user.module_progress.filter(module__course=course).values_list("module_id", flat=True))
    quiz = getattr(course, "quiz", None)
    context = {"course": course, "modules": modules, "done": done, "quiz": quiz,
               "all_done": len(done) >= len(modules) > 0}
    if quiz is not None:
        context.update({
            "blocker": services.quiz_blocker(quiz=quiz, user=request.user),
            "attempts": selectors.attempts_of(request.user, quiz)[:10],
            "allowance": services.quiz_allowance(quiz=quiz, user=request.user),
            "open_attempt": selectors.open_attempt_of(request.user, quiz),
        })
    return render(request, "portal/learning/course.html", context)


def _module_for(request: HttpRequest, pk: int) -> Module:
    module = or_404(selectors.published_module(pk))
    services.check_course_open(course=module.course, user=request.user)
    return module


@portal_view
@require_GET
def module(request: HttpRequest, pk: int) -> HttpResponse:
    module = _module_for(request, pk)
    modules = list(module.course.modules.all())
    index = next(i for i, m in enumerate(modules) if m.pk == module.pk)
    return render(request, "portal/learning/module.html", {
        "module": module, "course": module.course, "index": index + 1, "total": len(modules),
        "previous": modules[index - 1] if index else None,
        "next": modules[index + 1] if index + 1 < len(modules) else None,
        "is_done": request.user.module_progress.filter(module=module).exists(),
    })


@portal_view
@require_safe
def module_file(request: HttpRequest, pk: int, which: str) -> HttpResponseBase:
    module = _module_for(request, pk)
    field = {"document": module.document, "video": module.video_file}.get(which)
    return file_response(request, field, as_attachment=which == "document")


@portal_view
@require_POST
def module_done(request: HttpRequest, pk: int) -> HttpResponse:
    module = _module_for(request, pk)
    completion = services.module_complete(module=module, user=request.user)
    if completion is not None:
        messages.success(request, _("Course completed: %(title)s") % {"title": module.course.title})
    following = module.course.modules.filter(position__gt=module.position).order_by("position", "id").first()
    if following is not None and completion is None:
        return redirect("portal_module", pk=following.pk)
    return redirect("portal_course", pk=module.course_id)


@portal_view
@require_POST
def quiz_start(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for(request, pk)
    quiz = getattr(course, "quiz", None)
    if quiz is None:
        raise Http404
    try:
        attempt = services.quiz_start(quiz=quiz, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal_course", pk=course.pk)
    return redirect("portal_attempt", pk=attempt.pk)


def _attempt_for(request: HttpRequest, pk: int) -> QuizAttempt:
    return or_404(selectors.attempt_of(pk, user=request.user))


@portal_view
@require_http_methods(["GET", "POST"])
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt_for(request, pk)
    if request.method == "POST":
        answers: dict[int, set[int]] = {}
        try:
            for question_id in attempt.question_ids:
                answers[question_id] = {int(value) for value in request.POST.getlist(f"q{question_id}")}
            attempt = services.quiz_submit(attempt_id=attempt.pk, user=request.user, answers=answers)
        except ValueError:
            messages.error(request, _("The answers could not be read. Please try again."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("portal_course", pk=attempt.quiz.course_id)
        else:
            if attempt.timed_out:
                messages.error(request, _("The time limit ran out at %(time)s; the answers were not graded and the "
                                          "attempt counts.") % {"time": date_format(timezone.localtime(attempt.deadline),
                                                                                    "TIME_FORMAT")})
            return redirect("portal_attempt", pk=attempt.pk)
    questions = {q.pk: q for q in attempt.quiz.questions.filter(pk__in=attempt.question_ids).prefetch_related("choices")}
    rows = []
    for question_id in attempt.question_ids:
        question = questions.get(question_id)
        if question is None:
            continue
        by_id = {choice.pk: choice for choice in question.choices.all()}
        order = attempt.choice_order.get(str(question_id), list(by_id))
        chosen = set(attempt.answers.get(str(question_id), []))
        rows.append({"question": question, "choices": [by_id[c] for c in order if c in by_id], "chosen": chosen})
    award = None
    if attempt.passed and attempt.quiz.certification_id:
        award = selectors.award_of_attempt(attempt)
    return render(request, "portal/learning/attempt.html", {
        "attempt": attempt, "rows": rows, "quiz": attempt.quiz, "award": award,
        "finished": attempt.submitted_at is not None,
    })


@portal_view(admin_only=True)
@require_GET
def team_learning(request: HttpRequest) -> HttpResponse:
    """The partner admin's view of their colleagues' courses and certifications."""
    people = (User.objects.filter(partner_membership__partner=request.partner).order_by("full_name_kana", "email")
              .annotate(courses_done=Count("course_completions", distinct=True),
                        modules_done=Count("module_progress", distinct=True),
                        attempts=Count("quiz_attempts", filter=Q(quiz_attempts__submitted_at__isnull=False), distinct=True),
                        best_score=Max("quiz_attempts__score")))
    awards = selectors.latest_awards_by_user(request.partner)
    rows = [{"user": user, "awards": awards.get(user.pk, [])} for user in people]
    from enablement.selectors import reps_with_valid_certification
    from prm import figures

    today = timezone.localdate()
    certified = reps_with_valid_certification([request.partner.pk], timezone.now()).get(request.partner.pk, 0)
    return render(request, "portal/learning/team.html", {"rows": rows, "certified_reps": certified,
                                                         "window": figures.as_of(today), "partner": request.partner})
