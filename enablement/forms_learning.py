"""Console forms for courses, modules, quizzes, questions, certifications and learning paths."""

from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from enablement.models import Certification, Choice, Course, LearningPath, Module, Question, Quiz
from partners.models import PartnerType
from prm.bounds import count_field
from prm.invitations.forms import ServiceErrorsMixin


def tier_ranks_text() -> str:
    """The programme's tiers by rank, so a rank number means something to whoever types it; one query."""
    from programs.models import Tier

    names: dict[int, list[str]] = {}
    for rank, name in Tier.objects.order_by("rank", "name").values_list("rank", "name"):
        names.setdefault(rank, [])
        if name not in names[rank]:
            names[rank].append(name)
    return ", ".join(f"{rank} {' / '.join(tier_names)}" for rank, tier_names in names.items())


def _partner_types_field(label) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=PartnerType.choices, required=False,
                                     widget=forms.CheckboxSelectMultiple)


class AudienceFormMixin:
    """Partner types as checkboxes and tier ranks explained with the programme's own tiers."""

    RANK_FIELDS: tuple[str, ...] = ("min_tier_rank",)

    def explain_ranks(self) -> None:
        tiers = tier_ranks_text()
        for name in self.RANK_FIELDS:
            field = self.fields[name]
            if name == "min_tier_rank":
                field.help_text = _("0: every partner. Tier ranks: %(tiers)s.") % {"tiers": tiers or "—"}
            else:
                field.help_text = _("Empty: not required by tier. Tier ranks: %(tiers)s.") % {"tiers": tiers or "—"}


class CourseForm(AudienceFormMixin, ServiceErrorsMixin, forms.ModelForm):
    partner_types = _partner_types_field(_("Open to partner types (none ticked: all types)"))
    required_for_types = _partner_types_field(_("Required for partner types"))

    RANK_FIELDS = ("min_tier_rank", "required_from_tier_rank")
    SECTIONS = [
        (_("Course"), ["title", "summary", "position", "is_published"]),
        (_("Who may take it"), ["partner_types", "min_tier_rank"]),
        (_("Who must take it"), ["required_for_types", "required_from_tier_rank"]),
    ]
    WIDE = {"title", "summary", "partner_types", "required_for_types"}

    class Meta:
        model = Course
        fields = ["title", "summary", "position", "is_published", "partner_types", "min_tier_rank",
                  "required_for_types", "required_from_tier_rank"]
        labels = {"position": _("Order in the catalogue")}
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.explain_ranks()

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]


class ModuleForm(ServiceErrorsMixin, forms.ModelForm):
    video_url = forms.URLField(
        label=Module._meta.get_field("video_url").verbose_name, required=False, assume_scheme="https",
        help_text=_("A link to the video (YouTube, Vimeo, your own site), or upload a file below."))

    class Meta:
        model = Module
        fields = ["title", "kind", "minutes", "position", "body", "video_url", "video_file", "document"]
        labels = {"position": _("Order in the course")}
        help_texts = {
            "position": _("Empty: after the last module."),
            "video_file": _("MP4, up to 500 MB."),
            "document": _("PDF, PowerPoint, Word or Excel, up to 50 MB."),
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 8}), "video_file": forms.FileInput,
                   "document": forms.FileInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False

    def clean_position(self) -> int | None:
        """Empty keeps an existing module where it is; a new one goes last."""
        position = self.cleaned_data.get("position")
        if position is None and self.instance.pk:
            return self.instance.position
        return position


class QuizForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Quiz
        fields = ["certification", "pass_mark", "questions_per_attempt", "max_attempts", "cooldown_hours",
                  "time_limit_minutes"]
        help_texts = {
            "certification": _("Empty: passing only completes the quiz."),
            "questions_per_attempt": _("Drawn at random from the question bank for every attempt."),
            "cooldown_hours": _("After a failed attempt. 0: no wait."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certification"].queryset = Certification.objects.order_by("name")


class QuestionForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Question
        fields = ["text", "multiple"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class ChoiceForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = ["text", "correct"]


ChoiceFormSet = inlineformset_factory(Question, Choice, form=ChoiceForm, extra=4, can_delete=True)


class CertificationForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Certification
        fields = ["code", "name", "description", "validity_months", "requires", "remind_days_before"]
        help_texts = {
            "code": _("Letters, digits and hyphens; shown on certificates."),
            "requires": _("For an advanced certification: the one a rep must hold (valid) first."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = Certification.objects.order_by("name")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["requires"].queryset = others


class PathForm(AudienceFormMixin, ServiceErrorsMixin, forms.ModelForm):
    partner_types = _partner_types_field(_("Open to partner types (none ticked: all types)"))

    class Meta:
        model = LearningPath
        fields = ["title", "description", "partner_types", "min_tier_rank"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.explain_ranks()


class PathCourseForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none(), required=False)
    position = count_field(_("Order"), min_value=0, max_value=32767, required=False)

    def __init__(self, *args, courses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses if courses is not None else Course.objects.all()


class BasePathCourseFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        # Every row is read, also one left as it was shown: its course stays in the path.
        return super()._construct_form(i, empty_permitted=False, **kwargs)

    def ordered_courses(self) -> list[Course]:
        """The chosen courses by their order number, rows without one after the others as listed."""
        rows = [(form.cleaned_data.get("position"), index, form.cleaned_data["course"])
                for index, form in enumerate(self.forms)
                if form.cleaned_data.get("course") is not None and not form.cleaned_data.get("DELETE")]
        rows.sort(key=lambda row: (row[0] is None, row[0] or 0, row[1]))
        return [course for _position, _index, course in rows]


PathCourseFormSet = forms.formset_factory(PathCourseForm, formset=BasePathCourseFormSet, extra=3)
