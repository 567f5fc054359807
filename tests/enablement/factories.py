from __future__ import annotations

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from enablement.models import (
    Announcement,
    Certification,
    Choice,
    ContentItem,
    ContentVersion,
    Course,
    FaqEntry,
    Module,
    Question,
    Quiz,
    StudySession,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"製品基礎講座 {n}")
    summary = "製品の基本を学ぶ講座です。"


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"第{n}章")
    body = "本文"
    position = factory.Sequence(lambda n: n)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    code = factory.Sequence(lambda n: f"cert-{n}")
    name = factory.Sequence(lambda n: f"認定セールス {n}")
    validity_months = 12


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    certification = factory.SubFactory(CertificationFactory)
    pass_mark = 60
    questions_per_attempt = 5
    max_attempts = 3
    cooldown_hours = 24
    time_limit_minutes = 30


def question(quiz: Quiz, text: str, right: list[str], wrong: list[str]) -> Question:
    """A question with its choices; several right answers make it multiple choice."""
    q = Question.objects.create(quiz=quiz, text=text, multiple=len(right) > 1)
    for label in right:
        Choice.objects.create(question=q, text=label, correct=True)
    for label in wrong:
        Choice.objects.create(question=q, text=label, correct=False)
    return q


def quiz_with_questions(count: int = 5, **fields) -> Quiz:
    quiz = QuizFactory(**fields)
    for n in range(count):
        question(quiz, f"問題{n + 1}", right=[f"正解{n}"], wrong=[f"誤答{n}a", f"誤答{n}b"])
    return quiz


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"提案書テンプレート {n}")
    kind = ContentItem.Kind.PROPOSAL
    tags = factory.LazyFunction(lambda: ["提案"])

    @factory.post_generation
    def with_file(self, create, extracted, **kwargs):
        if create and extracted is not False:
            ContentVersion.objects.create(item=self, number=1, file=ContentFile(PDF, name="proposal.pdf"))
            ContentItem.objects.filter(pk=self.pk).update(current_version=1)
            self.current_version = 1


class StudySessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudySession

    title = factory.Sequence(lambda n: f"新製品勉強会 {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timezone.timedelta(hours=1))
    place = "オンライン"


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcement

    title = factory.Sequence(lambda n: f"お知らせ {n}")
    body = "新しい価格表を公開しました。"


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry

    question = factory.Sequence(lambda n: f"見積もりの有効期限は？ {n}")
    answer = "発行日から30日です。"
