"""Console forms of the library, study sessions, questions, FAQ and announcements."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from enablement.models import Announcement, ContentAccess, ContentItem, SessionSeat, StudySession
from partners.models import Partner, PartnerType
from prm.accounts.models import STAFF_ROLES, User
from prm.bounds import BusinessDateField, BusinessDateTimeField, count_field
from prm.invitations.forms import ServiceErrorsMixin

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


PARTNER_TYPE_LABELS = dict(PartnerType.choices)


def tags_text(tags) -> str:
    return ", ".join(tags or [])


class AudienceFields(forms.Form):
    """Partner types and minimum tier, the same for content and announcements."""

    partner_types = forms.MultipleChoiceField(
        label=_("Partner types"), choices=PartnerType.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every partner type."))
    min_tier_rank = forms.TypedChoiceField(label=_("Minimum tier"), coerce=int, initial=0)

    def __init__(self, *args, tiers: dict[int, str], current_rank: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(0, _("Every partner"))]
        choices += [(rank, _("%(tier)s and above") % {"tier": name}) for rank, name in sorted(tiers.items()) if rank]
        if current_rank and current_rank not in tiers:
            choices.append((current_rank, _("Rank %(rank)s and above") % {"rank": current_rank}))
        self.fields["min_tier_rank"].choices = choices


# --------------------------------------------------------------------------- library


class ContentItemForm(ServiceErrorsMixin, AudienceFields):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ContentItem.Kind.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=400,
                           help_text=_("Separate tags with commas, e.g. 提案, 製造業."))
    gated = forms.BooleanField(label=_("Gated (tier benefit)"), required=False,
                               help_text=_("Only partners whose tier grants access to gated content may open it."))
    is_published = forms.BooleanField(label=_("Published"), required=False, initial=True)

    field_order = ["title", "kind", "description", "tags", "partner_types", "min_tier_rank", "gated", "is_published"]
    ITEM_FIELDS = ("title", "kind", "description", "tags", "partner_types", "min_tier_rank", "gated", "is_published")

    def __init__(self, *args, item: ContentItem | None = None, **kwargs):
        if item is not None:
            kwargs.setdefault("initial", {name: getattr(item, name) for name in self.ITEM_FIELDS})
            kwargs["initial"]["tags"] = tags_text(item.tags)
        super().__init__(*args, current_rank=item.min_tier_rank if item else None, **kwargs)

    def item_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.ITEM_FIELDS}


class ContentCreateForm(ContentItemForm):
    file = forms.FileField(label=_("File"), help_text=_("PDF, PowerPoint, Word, Excel, PNG, JPEG or MP4."))
    notes = forms.CharField(label=_("Notes on this version"), required=False, max_length=300)


class ContentVersionForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(label=_("New file"))
    notes = forms.CharField(label=_("What changed"), required=False, max_length=300)


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title, description or tag")}))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *ContentItem.Kind.choices])
    tag = forms.ChoiceField(label=_("Tag"), required=False)

    def __init__(self, *args, tags: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All tags")), *((tag, tag) for tag in tags)]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {"query": self.cleaned_data["q"], "kind": self.cleaned_data["kind"], "tag": self.cleaned_data["tag"]}


class AccessFilterForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), required=False, queryset=Partner.objects.all(),
                                     empty_label=_("All partners"))
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("Views and downloads")), *ContentAccess.Action.choices])
    item = forms.CharField(label=_("Material"), required=False,
                           widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title")}))
    since = BusinessDateField(label=_("From"), required=False, widget=DATE_INPUT)
    until = BusinessDateField(label=_("To"), required=False, widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["until"] < cleaned["since"]:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"partner": data["partner"], "action": data["action"], "item_query": data["item"],
                "since": data["since"], "until": data["until"]}


# --------------------------------------------------------------------------- sessions


class StudySessionForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=StudySession.Kind.choices)
    partner = forms.ModelChoiceField(label=_("For partner"), required=False, queryset=Partner.objects.active(),
                                     empty_label=_("Open to all partners"))
    starts_at = BusinessDateTimeField(label=_("Starts at"), widget=DATETIME_INPUT)
    ends_at = BusinessDateTimeField(label=_("Ends at"), widget=DATETIME_INPUT)
    place = forms.CharField(label=_("Place or meeting link"), required=False, max_length=300)
    join_url = forms.URLField(label=_("Join link"), required=False, max_length=500, assume_scheme="https",
                              validators=[URLValidator(schemes=["http", "https"])],
                              help_text=StudySession._meta.get_field("join_url").help_text)
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    host = forms.ModelChoiceField(label=_("Host"), required=False,
                                  queryset=User.objects.filter(role__in=STAFF_ROLES, is_active=True))
    capacity = count_field(_("Seats"), required=False, min_value=1, help_text=_("Empty: no limit."))
    lead_window_minutes = count_field(
        _("Lead registration window after the end (minutes)"), min_value=0, max_value=10080, initial=60,
        help_text=_("Deals attendees register from the start until this long after the end count for the session."))

    FIELDS = ("title", "kind", "partner", "starts_at", "ends_at", "place", "join_url", "agenda", "host", "capacity",
              "lead_window_minutes")

    def __init__(self, *args, session: StudySession | None = None, **kwargs):
        if session is not None:
            kwargs.setdefault("initial", {name: getattr(session, name) for name in self.FIELDS})
        super().__init__(*args, **kwargs)

    def session_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


def _user_with_company(user: User) -> str:
    return f"{user.get_full_name()} ({user.partner_membership.partner.name})"


class SessionInviteForm(ServiceErrorsMixin, forms.Form):
    partners = forms.ModelMultipleChoiceField(
        label=_("Whole partner companies"), required=False, queryset=Partner.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Every active user of the chosen companies gets a seat."))
    users = forms.ModelMultipleChoiceField(
        label=_("Individual partner users"), required=False, queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args, session: StudySession, **kwargs):
        super().__init__(*args, **kwargs)
        partners = Partner.objects.active()
        users = User.objects.filter(partner_membership__isnull=False, is_active=True)
        if session.partner_id is not None:
            partners = partners.filter(pk=session.partner_id)
            users = users.filter(partner_membership__partner_id=session.partner_id)
        self.fields["partners"].queryset = partners
        self.fields["users"].queryset = users.select_related("partner_membership__partner").order_by(
            "partner_membership__partner__name_kana", "full_name", "email")
        self.fields["users"].label_from_instance = _user_with_company

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("partners") and not cleaned.get("users"):
            raise forms.ValidationError(_("Choose partner companies or people to invite."))
        return cleaned


class AttendanceForm(forms.Form):
    """One status per seat: invited, registered, attended or absent."""

    def __init__(self, *args, seats: list[SessionSeat], **kwargs):
        super().__init__(*args, **kwargs)
        self.seats = seats
        for seat in seats:
            self.fields[f"seat_{seat.pk}"] = forms.ChoiceField(
                label=seat.user.get_full_name(), choices=SessionSeat.Status.choices, initial=seat.status,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}))

    def rows(self) -> list[tuple[SessionSeat, forms.BoundField]]:
        return [(seat, self[f"seat_{seat.pk}"]) for seat in self.seats]

    def statuses(self) -> dict[int, str]:
        return {seat.pk: self.cleaned_data[f"seat_{seat.pk}"] for seat in self.seats}


# --------------------------------------------------------------------------- questions and FAQ


class AnswerForm(ServiceErrorsMixin, forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class FaqForm(ServiceErrorsMixin, forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 6}))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=400,
                           help_text=_("Separate tags with commas."))
    is_published = forms.BooleanField(label=_("Published"), required=False, initial=True,
                                      help_text=_("Published entries appear in the partners' FAQ search."))


class FaqFromQuestionForm(ServiceErrorsMixin, forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 6}))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=400,
                           help_text=_("Separate tags with commas."))

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].replace("、", ",").split(",") if tag.strip()]


class FaqSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Question, answer or tag")}))


# --------------------------------------------------------------------------- announcements


class AnnouncementForm(ServiceErrorsMixin, AudienceFields):
    kind = forms.ChoiceField(label=_("Kind"), choices=Announcement.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Announcement text"), widget=forms.Textarea(attrs={"rows": 8}))
    early_access = forms.BooleanField(
        label=_("Early access (先行公開)"), required=False,
        help_text=_("Shown only to partners whose tier grants early roadmap access."))
    target_date = BusinessDateField(label=_("Planned for"), required=False, widget=DATE_INPUT,
                                  help_text=_("For roadmap items."))
    published_at = BusinessDateTimeField(label=_("Publish at"), required=False, widget=DATETIME_INPUT,
                                       help_text=_("Empty: now. A later time schedules it."))

    field_order = ["kind", "title", "body", "partner_types", "min_tier_rank", "early_access", "target_date",
                   "published_at"]
    FIELDS = ("kind", "title", "body", "partner_types", "min_tier_rank", "early_access", "target_date", "published_at")

    def __init__(self, *args, announcement: Announcement | None = None, **kwargs):
        if announcement is not None:
            kwargs.setdefault("initial", {name: getattr(announcement, name) for name in self.FIELDS})
        super().__init__(*args, current_rank=announcement.min_tier_rank if announcement else None, **kwargs)

    def announcement_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.FIELDS}
        if fields["published_at"] is None:
            fields.pop("published_at")
        return fields


class AnnouncementCreateForm(AnnouncementForm):
    notify_partners = forms.BooleanField(
        label=_("Notify partners"), required=False, initial=True,
        help_text=_("Everyone in the audience gets an in-app notification."))
