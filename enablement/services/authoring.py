"""Vendor authoring of learning: courses, modules, quizzes with their question bank, certifications, paths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from enablement.models import (
    Certification,
    Choice,
    Course,
    LearningPath,
    Module,
    PathCourse,
    Question,
    Quiz,
    QuizAttempt,
)
from enablement.services.learning import SUBMIT_GRACE
from partners.access import require_vendor_staff
from prm.accounts.models import User
from prm.uploads import DOCUMENTS, VIDEOS, check_upload

VIDEO_MAX_BYTES = 500 * 1024 * 1024
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024


def _assign(obj, fields: dict) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


# --------------------------------------------------------------------------- courses and modules


@transaction.atomic
def course_save(*, actor: User, course: Course | None = None, **fields) -> Course:
    """Create a course or change one; required-for and audience rules are plain fields."""
    require_vendor_staff(actor)
    course = course or Course()
    _assign(course, fields)
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def module_save(*, actor: User, course: Course, module: Module | None = None, video_file: UploadedFile | None = None,
                document: UploadedFile | None = None, **fields) -> Module:
    """Create or change a module. An upload of the wrong type or over the limit is refused on its field and
    nothing is saved; a video needs a link or a file, a document a file, a text module its text."""
    require_vendor_staff(actor)
    if video_file is not None:
        check_upload(video_file, field="video_file", allowed=VIDEOS, max_bytes=VIDEO_MAX_BYTES)
    if document is not None:
        check_upload(document, field="document", allowed=DOCUMENTS, max_bytes=DOCUMENT_MAX_BYTES)
    if module is None:
        module = Module(course=course)
        if fields.get("position") is None:  # a new module goes last unless placed
            highest = course.modules.aggregate(highest=Max("position"))["highest"]
            fields["position"] = 0 if highest is None else highest + 1
    elif module.course_id != course.pk:
        raise PermissionDenied
    if fields.get("position") is None:
        fields.pop("position", None)
    _assign(module, fields)
    if video_file is not None:
        module.video_file = video_file
    if document is not None:
        module.document = document
    if module.kind == Module.Kind.VIDEO and not (module.video_url or module.video_file):
        raise ValidationError({"video_url": _("Give a video link or upload a video file.")})
    if module.kind == Module.Kind.DOCUMENT and not module.document:
        raise ValidationError({"document": _("Upload the document.")})
    if module.kind == Module.Kind.TEXT and not module.body.strip():
        raise ValidationError({"body": _("Write the text of the module.")})
    module.full_clean()
    module.save()
    return module


# --------------------------------------------------------------------------- quizzes


@transaction.atomic
def quiz_save(*, actor: User, course: Course, quiz: Quiz | None = None, **fields) -> Quiz:
    """The course's quiz settings; a course has at most one quiz."""
    require_vendor_staff(actor)
    if quiz is None:
        quiz = Quiz.objects.filter(course=course).first() or Quiz(course=course)
    elif quiz.course_id != course.pk:
        raise PermissionDenied
    _assign(quiz, fields)
    quiz.full_clean()
    quiz.save()
    return quiz


@dataclass(frozen=True)
class ChoiceInput:
    """One answer of a question as the editor sent it; `pk` for a choice that exists already."""

    text: str
    correct: bool
    pk: int | None = None


def check_choices(*, multiple: bool, choices: Sequence[ChoiceInput]) -> None:
    if len(choices) < 2:
        raise ValidationError({"choices": _("Give at least two choices.")})
    correct = sum(1 for choice in choices if choice.correct)
    if correct == 0:
        raise ValidationError({"choices": _("Mark at least one choice as correct.")})
    if not multiple and correct != 1:
        raise ValidationError({"choices": _(
            "A single-answer question needs exactly one correct choice; %(count)s are marked. "
            "Tick “several answers are correct” or unmark the others.") % {"count": correct}})


@transaction.atomic
def question_save(*, actor: User, quiz: Quiz, text: str, multiple: bool, choices: Sequence[ChoiceInput],
                  question: Question | None = None) -> Question:
    """Create or change a question with all its choices. Choices keep their ids when edited, so attempts under
    way are graded against the same answers; choices left out are removed."""
    require_vendor_staff(actor)
    choices = [ChoiceInput(text=c.text.strip(), correct=c.correct, pk=c.pk) for c in choices if c.text.strip()]
    check_choices(multiple=multiple, choices=choices)
    if question is None:
        question = Question(quiz=quiz)
    elif question.quiz_id != quiz.pk:
        raise PermissionDenied
    question.text, question.multiple = text, multiple
    question.full_clean()
    question.save()
    existing = {choice.pk: choice for choice in question.choices.all()} if question.pk else {}
    kept: set[int] = set()
    for data in choices:
        choice = existing.get(data.pk) if data.pk is not None else None
        if data.pk is not None and choice is None:
            raise ValidationError({"choices": _("A choice does not belong to this question; reload the page.")})
        choice = choice or Choice(question=question)
        choice.text, choice.correct = data.text, data.correct
        choice.full_clean()
        choice.save()
        kept.add(choice.pk)
    question.choices.exclude(pk__in=kept).delete()
    return question


def _in_open_attempts(question: Question) -> bool:
    live_after = timezone.now() - SUBMIT_GRACE
    return QuizAttempt.objects.filter(quiz=question.quiz_id, submitted_at__isnull=True, deadline__gt=live_after,
                                      question_ids__contains=[question.pk]).exists()


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    """Remove a question from the bank; refused while a rep has it in an attempt under way."""
    require_vendor_staff(actor)
    if _in_open_attempts(question):
        raise ValidationError(_("A rep is answering this question right now; delete it after the attempt ends."))
    question.delete()


# --------------------------------------------------------------------------- certifications


def _creates_cycle(certification: Certification, requires: Certification) -> bool:
    """Whether requiring `requires` would make `certification` (indirectly) require itself; one query."""
    if certification.pk is None:
        return False
    parents = dict(Certification.objects.values_list("pk", "requires_id"))
    parents[certification.pk] = requires.pk
    seen: set[int] = set()
    node: int | None = requires.pk
    while node is not None and node not in seen:
        if node == certification.pk:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


@transaction.atomic
def certification_save(*, actor: User, certification: Certification | None = None, **fields) -> Certification:
    """Create or change a certification. An advanced certification (上位認定資格) names the one it needs;
    a certification may not need itself, directly or through others."""
    require_vendor_staff(actor)
    certification = certification or Certification()
    requires = fields.get("requires")
    if requires is not None:
        if certification.pk is not None and requires.pk == certification.pk:
            raise ValidationError({"requires": _("A certification cannot require itself.")})
        if _creates_cycle(certification, requires):
            raise ValidationError({"requires": _(
                "“%(name)s” already needs this certification (directly or through others); requiring it "
                "would make a loop nobody could complete.") % {"name": requires.name}})
    _assign(certification, fields)
    certification.full_clean()
    certification.save()
    return certification


# --------------------------------------------------------------------------- learning paths


@transaction.atomic
def path_save(*, actor: User, courses: Sequence[Course], path: LearningPath | None = None, **fields) -> LearningPath:
    """Create or change a learning path with its courses in the given order."""
    require_vendor_staff(actor)
    if len({course.pk for course in courses}) != len(courses):
        raise ValidationError({"courses": _("Each course can appear only once in a path.")})
    path = path or LearningPath()
    _assign(path, fields)
    path.full_clean()
    path.save()
    PathCourse.objects.filter(path=path).delete()
    PathCourse.objects.bulk_create(
        [PathCourse(path=path, course=course, position=index) for index, course in enumerate(courses)])
    return path

