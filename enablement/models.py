"""Enablement: courses, quizzes, certifications, the content library, study sessions, the
question path (FAQ → the partner's sales manager → the vendor) and announcements."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.bounds import MAX_COUNT

USER = settings.AUTH_USER_MODEL


class Audience(models.Model):
    """Who may see something: partner types (empty = all) and a minimum tier rank (0 = all)."""

    partner_types = ArrayField(models.CharField(max_length=20), default=list, blank=True, verbose_name=_("partner types"))
    min_tier_rank = models.PositiveSmallIntegerField(_("minimum tier rank"), default=0,
                                                     help_text=_("0: every partner; 2: Silver and above in the default programme."))

    class Meta:
        abstract = True


# --------------------------------------------------------------------------- learning


class Course(Audience):
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    required_for_types = ArrayField(models.CharField(max_length=20), default=list, blank=True,
                                    verbose_name=_("required for partner types"))
    required_from_tier_rank = models.PositiveSmallIntegerField(_("required from tier rank"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Module(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(_("text"), blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    video_file = models.FileField(_("video file"), upload_to="enablement/videos/", blank=True)
    document = models.FileField(_("document"), upload_to="enablement/documents/", blank=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=10)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return self.title


class LearningPath(Audience):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    courses = models.ManyToManyField(Course, through="PathCourse", related_name="paths")

    class Meta:
        ordering = ["title"]
        verbose_name = _("learning path")
        verbose_name_plural = _("learning paths")

    def __str__(self) -> str:
        return self.title


class PathCourse(models.Model):
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, db_index=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["path", "position"]
        constraints = [models.UniqueConstraint(fields=["path", "course"], name="course_once_per_path")]


class ModuleProgress(models.Model):
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="module_progress", db_index=False)
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "module"], name="module_done_once")]


class CourseCompletion(models.Model):
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="course_completions", db_index=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="course_done_once")]


class Certification(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    validity_months = models.PositiveSmallIntegerField(_("valid for (months)"), default=12, validators=[MinValueValidator(1)])
    requires = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="advanced",
                                 verbose_name=_("requires (上位認定資格)"))
    remind_days_before = models.PositiveSmallIntegerField(_("remind this many days before expiry"), default=30)

    class Meta:
        ordering = ["name"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self) -> str:
        return self.name


class Quiz(models.Model):
    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="quiz")
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, null=True, blank=True, related_name="quizzes",
                                      verbose_name=_("passing grants"))
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80, validators=[MaxValueValidator(100)])
    questions_per_attempt = models.PositiveSmallIntegerField(_("questions per attempt"), default=10, validators=[MinValueValidator(1)])
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=3, validators=[MinValueValidator(1)])
    cooldown_hours = models.PositiveSmallIntegerField(_("wait between attempts (hours)"), default=24)
    time_limit_minutes = models.PositiveSmallIntegerField(_("time limit (minutes)"), default=30, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return str(self.course)


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(_("question"))
    multiple = models.BooleanField(_("several answers are correct"), default=False)

    class Meta:
        ordering = ["quiz", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("choice"), max_length=300)
    correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["question", "id"]


class QuizAttempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="quiz_attempts")
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    question_ids = models.JSONField(default=list)
    choice_order = models.JSONField(default=dict)
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    timed_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["quiz", "user"], condition=Q(submitted_at__isnull=True),
                                               name="one_open_attempt")]


class QuizAttemptGrant(models.Model):
    """One more attempt a channel manager allowed a rep, on top of the quiz's limit and usable at once (the wait
    after a failed attempt is waived until the rep's next attempt). Kept as the record of who allowed it, when,
    for whom, and how many attempts the rep was allowed with it; a pass starts a fresh allowance."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="grants", db_index=False)
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    attempts_allowed = models.PositiveSmallIntegerField(null=True, editable=False)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["quiz", "user", "-granted_at"], name="quiz_grant_latest")]


def new_verification_code() -> str:
    return secrets.token_hex(6).upper()


class CertificationAward(models.Model):
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, related_name="awards")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="certifications", db_index=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="certifications")
    holder_name = models.CharField(max_length=150)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    verification_code = models.CharField(max_length=12, unique=True, default=new_verification_code)
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)

    # Kept by a database trigger on every UPDATE too: the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["updated_at", "id"], name="certificationaward_changed"),
                   models.Index(fields=["user", "certification", "-expires_at"]), models.Index(fields=["expires_at"])]

    @property
    def is_valid(self) -> bool:
        return self.expires_at > timezone.now()


# --------------------------------------------------------------------------- library


class ContentItem(Audience):
    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("Proposal template")
        TALK_SCRIPT = "talk_script", _("Talk script")
        CASE_STUDY = "case_study", _("Case study")
        COMPARISON = "comparison", _("Comparison sheet")
        BROCHURE = "brochure", _("Brochure")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("tags"))
    gated = models.BooleanField(_("gated (tier benefit)"), default=False,
                                help_text=_("Only partners whose tier grants access to gated content may open it."))
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    current_version = models.PositiveSmallIntegerField(default=0, editable=False)
    view_count = models.PositiveIntegerField(default=0, editable=False)
    download_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("content item")
        verbose_name_plural = _("content items")
        indexes = [models.Index(fields=["kind", "-updated_at"]), GinIndex(fields=["tags"], name="content_tags_gin")]

    def __str__(self) -> str:
        return self.title


class ContentVersion(models.Model):
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="versions", db_index=False)
    number = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to="enablement/library/")
    notes = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="content_version_unique")]


class ContentAccess(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        DOWNLOAD = "download", _("Downloaded")

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="accesses", db_index=False)
    version = models.ForeignKey(ContentVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("partners.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="content_accesses", db_index=False)
    action = models.CharField(max_length=10, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["item", "-at"]), models.Index(fields=["partner", "-at"]),
                   models.Index(fields=["-at", "-id"], name="content_access_recent")]


# --------------------------------------------------------------------------- sessions


class StudySession(models.Model):
    class Kind(models.TextChoices):
        STUDY = "study", _("Study session (勉強会)")
        KICKOFF = "kickoff", _("Kickoff")
        WEBINAR = "webinar", _("Webinar")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STUDY)
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="study_sessions", verbose_name=_("for partner (empty: open to all)"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place or meeting link"), max_length=300, blank=True)
    join_url = models.URLField(
        _("join link"), max_length=500, blank=True, validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("An http or https address. Shown to registered people from 30 minutes before the start until the end."))
    agenda = models.TextField(_("agenda"), blank=True)
    host = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("host"))
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True, help_text=_("Empty: no limit."),
                                           validators=[MinValueValidator(1), MaxValueValidator(MAX_COUNT)])
    lead_window_minutes = models.PositiveSmallIntegerField(
        _("lead registration window after the end (minutes)"), default=60,
        help_text=_("Deals and leads attendees register from the start until this long after the end count for the session."))

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("study session")
        verbose_name_plural = _("study sessions")

    def __str__(self) -> str:
        return self.title


class SessionSeat(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        REGISTERED = "registered", _("Registered")
        ATTENDED = "attended", _("Attended")
        ABSENT = "absent", _("Absent")

    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="seats", db_index=False)
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="session_seats")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="one_seat_per_person")]


# --------------------------------------------------------------------------- FAQ and questions


class FaqEntry(models.Model):
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("tags"))
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ")

    def __str__(self) -> str:
        return self.question


class PartnerQuestion(models.Model):
    class Status(models.TextChoices):
        WITH_MANAGER = "manager", _("With your sales manager")
        WITH_VENDOR = "vendor", _("Escalated to the vendor")
        ANSWERED = "answered", _("Answered")

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="questions_asked")
    text = models.TextField(_("your question"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WITH_MANAGER)
    asked_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by_vendor = models.BooleanField(default=False)
    faq = models.ForeignKey(FaqEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="from_questions")

    class Meta:
        ordering = ["-asked_at"]
        indexes = [models.Index(fields=["status", "asked_at"])]


# --------------------------------------------------------------------------- announcements


class Announcement(Audience):
    class Kind(models.TextChoices):
        NEWS = "news", _("Announcement")
        ROADMAP = "roadmap", _("Roadmap")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEWS)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    early_access = models.BooleanField(_("early access (先行公開)"), default=False,
                                       help_text=_("Shown only to partners whose tier grants early roadmap access."))
    target_date = models.DateField(_("planned for"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.title


class AnnouncementRead(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="reads", db_index=False)
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["announcement", "user"], name="read_once")]
