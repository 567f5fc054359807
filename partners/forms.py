from __future__ import annotations

import functools
import time

from django import forms
from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners import japan, list_columns
from partners.lifecycle.rules import PRE_SIGNING
from partners.models import (
    AccountType,
    ActivityKind,
    AgreementKind,
    Contact,
    CoSellingModel,
    Industry,
    Partner,
    PartnerSettings,
    PartnerType,
    Stage,
)
from partners.selectors import PartnerFilters, sort_keys
from prm.accounts.models import STAFF_ROLES, User
from prm.bounds import MAX_DATE, MIN_DATE, BusinessDateField, BusinessDateTimeField, count_field, yen_field
from prm.invitations.forms import ServiceErrorsMixin

SCORE_CHOICES = [(n, str(n)) for n in range(0, 6)]


def _staff():
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name", "email")


# The active staff as the owner filter lists them, (pk, label), kept per tenant: the partner list asked
# for them on every request. Saving or deleting any user forgets them (partners.receivers), at once
# and again once the transaction commits; the timeout bounds anything else.
STAFF_CHOICES_TIMEOUT = 300


def _staff_choices_key() -> str:
    return f"partners:staff-choices:{connection.schema_name}"


def staff_choices() -> list[tuple[int, str]]:
    key = _staff_choices_key()
    choices = cache.get(key)
    if choices is None:
        choices = [(user.pk, str(user)) for user in _staff()]
        cache.set(key, choices, STAFF_CHOICES_TIMEOUT)
    return choices


def forget_staff_choices() -> None:
    key = _staff_choices_key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


class _ListedChoices(forms.models.ModelChoiceIterator):
    """The staff from the tenant's cached list (staff_choices): no query to render the filter. Django's
    iterator() reads the queryset through a server-side cursor (DECLARE … WITH HOLD, FETCH, CLOSE)
    on every render; a chosen owner is still checked against the queryset when the form is validated."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, label in staff_choices():
            yield (forms.models.ModelChoiceIteratorValue(pk, None), label)

    def __len__(self):
        return len(staff_choices()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(staff_choices())


class StaffChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoices


_ALL = _("All")


def _blank(choices, label=_ALL):
    return [("", label), *choices]


def filter_options_key() -> tuple:
    """What an empty PartnerFilterForm's fields write that is not fixed by the code and the language: the staff the
    owner box lists and each registered column's options (partners_tags.filter_fields keeps the markup by it). Read
    without a form: the list without filters builds none unless that markup must be drawn."""
    columns = tuple((column.key, tuple((value, str(label)) for value, label in _blank(column.options())))
                    for column in list_columns.columns())
    return tuple(staff_choices()), columns


class PartnerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Name, kana or corporate number"), "type": "search"}))
    partner_type = forms.ChoiceField(label=_("Type"), required=False, choices=_blank(PartnerType.choices))
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=_blank(Stage.choices))
    # The active staff, a queryset each form clones (to check a chosen owner); the options are staff_choices'.
    owner = StaffChoiceField(label=_("Owner"), required=False, queryset=_staff(), empty_label=_("All"))
    # Callables: read in the request's language when drawn or checked, and not copied with every form.
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False,
                                   choices=lambda: _blank(japan.prefecture_choices()))
    industry = forms.ChoiceField(label=_("Industry"), required=False, choices=_blank(Industry.choices))
    # Set by the table's column headings (a hidden field of the form, so filtering keeps the order chosen).
    sort = forms.ChoiceField(label=_("Sort"), required=False, widget=forms.HiddenInput,
                             choices=lambda: [(sort, sort) for sort in sort_keys()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for column in list_columns.columns():  # the tier and health filters of the apps that own them
            # A callable: the options are read only when the filter is drawn or a value is checked, and
            # once per form however often Django walks the choices (drawing the box walks them twice).
            self.fields[column.key] = forms.ChoiceField(
                label=column.label, required=False, choices=functools.cache(lambda column=column: _blank(column.options())))

    @property
    def column_fields(self):
        return [self[column.key] for column in list_columns.columns()]

    def filters(self) -> PartnerFilters:
        data = {}
        if self.is_bound:
            # A value the list cannot use is shown as its field's error and left out (cleaned_data holds the
            # valid fields only): the other filters still apply.
            self.is_valid()
            data = self.cleaned_data
        owner = data.get("owner")
        return PartnerFilters(
            q=(data.get("q") or "").strip(), partner_type=data.get("partner_type") or "", stage=data.get("stage") or "",
            owner=owner.pk if owner else None, prefecture=data.get("prefecture") or "",
            industry=data.get("industry") or "", sort=data.get("sort") or "name",
            columns={column.key: data[column.key] for column in list_columns.columns() if data.get(column.key)},
        )


class PartnerForm(ServiceErrorsMixin, forms.Form):
    """Every field of a partner; identifiers are normalised and checked by the service."""

    name = forms.CharField(label=_("Company name"), max_length=200)
    name_kana = forms.CharField(label=_("Company name (kana)"), max_length=200, required=False)
    partner_type = forms.ChoiceField(label=_("Partner type"), choices=PartnerType.choices)
    parent = forms.ModelChoiceField(label=_("Parent partner"), required=False, queryset=Partner.objects.none(),
                                    help_text=_("For a sub-reseller: its upstream distributor."))
    stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=Stage.choices,
                              help_text=_("Onboarding and later stages follow the lifecycle rules; to set one by hand "
                                          "for a while, use the partner page."))
    owner = forms.ModelChoiceField(label=_("Owner (channel manager)"), required=False, queryset=User.objects.none())
    prefectures = forms.MultipleChoiceField(label=_("Territory (prefectures)"), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    industries = forms.MultipleChoiceField(label=_("Industries"), required=False, choices=Industry.choices,
                                           widget=forms.CheckboxSelectMultiple)
    corporate_number = forms.CharField(label=_("Corporate number (法人番号)"), max_length=30, required=False)
    invoice_number = forms.CharField(label=_("Invoice registration number"), max_length=30, required=False,
                                     help_text=_("T followed by 13 digits (適格請求書発行事業者登録番号)."))
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=8, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    bank_code = forms.CharField(label=_("Bank code"), max_length=10, required=False)
    bank_name = forms.CharField(label=_("Bank name"), max_length=60, required=False)
    branch_code = forms.CharField(label=_("Branch code"), max_length=10, required=False)
    branch_name = forms.CharField(label=_("Branch name"), max_length=60, required=False)
    account_type = forms.ChoiceField(label=_("Account type"), required=False, choices=[("", "—"), *AccountType.choices])
    account_number = forms.CharField(label=_("Account number"), max_length=20, required=False)
    account_holder = forms.CharField(label=_("Account holder (kana)"), max_length=60, required=False)
    co_creation_benefit = forms.CharField(label=_("Co-creation benefit"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    co_selling_model = forms.ChoiceField(label=_("Co-selling model"), required=False, choices=[("", "—"), *CoSellingModel.choices])
    score_customer_overlap = forms.TypedChoiceField(label=_("Customer overlap"), choices=SCORE_CHOICES, coerce=int, initial=0)
    score_core_business = forms.TypedChoiceField(label=_("Core-business fit"), choices=SCORE_CHOICES, coerce=int, initial=0)
    score_characteristics = forms.TypedChoiceField(label=_("Partner characteristics"), choices=SCORE_CHOICES, coerce=int, initial=0)
    score_sales_capacity = forms.TypedChoiceField(label=_("Sales capacity"), choices=SCORE_CHOICES, coerce=int, initial=0)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    SECTIONS = [
        (_("Company"), ["name", "name_kana", "partner_type", "parent", "stage", "owner", "corporate_number", "website",
                        "phone", "postal_code", "address"]),
        (_("Territory and industries"), ["prefectures", "industries"]),
        (_("Co-creation"), ["co_creation_benefit", "co_selling_model"]),
        (_("Planning scores (0–5)"), ["score_customer_overlap", "score_core_business", "score_characteristics",
                                      "score_sales_capacity"]),
        (_("Invoice and payout"), ["invoice_number", "bank_code", "bank_name", "branch_code", "branch_name",
                                   "account_type", "account_number", "account_holder"]),
        (_("Notes"), ["notes"]),
    ]

    WIDE = {"prefectures", "industries", "co_creation_benefit", "notes", "address"}

    def __init__(self, *args, partner: Partner | None = None, **kwargs):
        if partner is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(partner, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        parents = Partner.objects.filter(partner_type=PartnerType.DISTRIBUTOR).order_by("name_kana")
        if partner is not None:
            parents = parents.exclude(pk=partner.pk)
        self.fields["parent"].queryset = parents
        self.fields["owner"].queryset = _staff()
        self.fields["prefectures"].choices = japan.prefecture_choices()
        # A person decides where a partner starts and when it ends; the rules decide the stages between.
        current = partner.stage if partner is not None else None
        self.fields["stage"].choices = [(code, label) for code, label in Stage.choices
                                        if code in (*PRE_SIGNING, Stage.TERMINATED, current)]

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]


class StageForm(ServiceErrorsMixin, forms.Form):
    """A stage set by hand, for a while: the rules decide again after `until`."""

    stage = forms.ChoiceField(label=_("New stage"), choices=Stage.choices)
    until = BusinessDateField(label=_("Until"), help_text=_("At most a year ahead; the rules decide again after it."))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ContactForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["full_name", "full_name_kana", "email", "phone", "department", "title", "role", "is_key_person", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class AgreementForm(ServiceErrorsMixin, forms.Form):
    agreed_on = BusinessDateField(label=_("Agreed on"))
    partner_signatory = forms.ModelChoiceField(label=_("Agreed by (partner)"), required=False, queryset=Contact.objects.none())
    summary = forms.CharField(label=_("What was agreed"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    goal_3y = yen_field(_("Revenue goal in 3 years (¥)"), required=False)
    target_year1 = yen_field(_("Revenue target, year 1 (¥)"), required=False)
    target_year2 = yen_field(_("Revenue target, year 2 (¥)"), required=False)
    target_year3 = yen_field(_("Revenue target, year 3 (¥)"), required=False)
    starting_tier = forms.CharField(label=_("Starting tier"), required=False, max_length=50)
    homework = forms.CharField(label=_("First homework"), required=False, max_length=300,
                               help_text=_("e.g. one certified rep and 10 registered leads in the first 90 days"))
    margin_percent = forms.DecimalField(label=_("Margin (%)"), required=False, min_value=0, max_value=100, decimal_places=2)
    payment_terms = forms.CharField(label=_("Payment terms"), required=False, max_length=200)
    nda = forms.BooleanField(label=_("NDA signed"), required=False)
    prohibited_acts = forms.CharField(label=_("Prohibited acts and penalties"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    KIND_FIELDS = {
        AgreementKind.CO_CREATION: [],
        AgreementKind.BUSINESS_GOAL: ["goal_3y", "target_year1", "target_year2", "target_year3"],
        AgreementKind.PROGRAM: ["starting_tier", "homework"],
        AgreementKind.CONTRACT: ["margin_percent", "payment_terms", "nda", "prohibited_acts"],
    }
    REQUIRED = {
        AgreementKind.BUSINESS_GOAL: ["target_year1"],
        AgreementKind.PROGRAM: ["starting_tier", "homework"],
        AgreementKind.CONTRACT: ["margin_percent", "payment_terms"],
    }

    def __init__(self, *args, partner: Partner, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["partner_signatory"].queryset = Contact.objects.filter(partner=partner)
        keep = {"agreed_on", "partner_signatory", "summary", *self.KIND_FIELDS[kind]}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name in self.REQUIRED.get(kind, []):
            self.fields[name].required = True
        if kind == AgreementKind.CO_CREATION:
            self.fields["summary"].required = True

    def details(self) -> dict:
        data = self.cleaned_data
        if self.kind == AgreementKind.BUSINESS_GOAL:
            return {"goal_3y": data.get("goal_3y"),
                    "targets": [data.get("target_year1"), data.get("target_year2"), data.get("target_year3")]}
        if self.kind == AgreementKind.PROGRAM:
            return {"starting_tier": data["starting_tier"], "homework": data["homework"]}
        if self.kind == AgreementKind.CONTRACT:
            return {"margin_percent": str(data["margin_percent"]), "payment_terms": data["payment_terms"],
                    "nda": data.get("nda", False), "prohibited_acts": data.get("prohibited_acts", "")}
        return {}

    @classmethod
    def initial_from(cls, agreement) -> dict:
        if agreement is None:
            return {"agreed_on": timezone.localdate()}
        details = agreement.details or {}
        targets = (details.get("targets") or []) + [None, None, None]
        return {"agreed_on": agreement.agreed_on, "partner_signatory": agreement.partner_signatory_id,
                "summary": agreement.summary, "goal_3y": details.get("goal_3y"), "target_year1": targets[0],
                "target_year2": targets[1], "target_year3": targets[2], "starting_tier": details.get("starting_tier"),
                "homework": details.get("homework"), "margin_percent": details.get("margin_percent"),
                "payment_terms": details.get("payment_terms"), "nda": details.get("nda"),
                "prohibited_acts": details.get("prohibited_acts")}


class ActivityForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    occurred_at = BusinessDateTimeField(label=_("When"))
    contacts = forms.ModelMultipleChoiceField(label=_("Partner attendees"), required=False, queryset=Contact.objects.none(),
                                              widget=forms.CheckboxSelectMultiple)
    staff = forms.ModelMultipleChoiceField(label=_("Vendor attendees"), required=False, queryset=User.objects.none(),
                                           widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    next_actions = forms.CharField(label=_("Next actions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_action_due = BusinessDateField(label=_("Next actions due"), required=False)

    def __init__(self, *args, partner: Partner, **kwargs):
        kwargs.setdefault("initial", {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)})
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = Contact.objects.filter(partner=partner)
        self.fields["staff"].queryset = _staff()


class PlanForm(ServiceErrorsMixin, forms.Form):
    fiscal_year = count_field(_("Fiscal year"), min_value=MIN_DATE.year, max_value=MAX_DATE.year)
    revenue_target = yen_field(_("Revenue target (¥)"), initial=0)
    deals_target = count_field(_("Won deals target"), initial=0)
    leads_target = count_field(_("Registered leads target"), initial=0)
    active_contacts_target = count_field(_("Active contacts target"), initial=0)
    certified_target = count_field(_("Certified reps target"), initial=0)
    initiatives = forms.CharField(label=_("Joint initiatives"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class RejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3}))


class SettingsForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = PartnerSettings
        fields = ["weight_customer_overlap", "weight_core_business", "weight_characteristics", "weight_sales_capacity",
                  "customer_affinity_source", "valid_requires_login", "trained_window_days", "active_window_days",
                  "lifecycle_agreements", "lifecycle_retention_months", "lifecycle_dormant_days", "deals_before_signing"]

    def clean(self):
        cleaned = super().clean()
        weights = [cleaned.get(name) or 0 for name in self.Meta.fields[:4]]
        if sum(weights) == 0:
            raise forms.ValidationError(_("At least one planning weight must be above zero."))
        for name in self.Meta.fields[:4]:
            if (cleaned.get(name) or 0) > 10:
                self.add_error(name, _("Use a weight from 0 to 10."))
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    encoding = forms.ChoiceField(label=_("Encoding"), choices=[
        ("auto", _("Detect (UTF-8 or Shift_JIS)")), ("utf-8", "UTF-8"), ("cp932", _("Shift_JIS (Excel)")),
    ], initial="auto")

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file."))
        return upload


class ProfileForm(ServiceErrorsMixin, forms.Form):
    """What a partner admin may change about their own company in the portal."""

    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=8, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    invoice_number = forms.CharField(label=_("Invoice registration number"), max_length=30, required=False,
                                     help_text=_("T followed by 13 digits (適格請求書発行事業者登録番号)."))
    bank_code = forms.CharField(label=_("Bank code"), max_length=10, required=False)
    bank_name = forms.CharField(label=_("Bank name"), max_length=60, required=False)
    branch_code = forms.CharField(label=_("Branch code"), max_length=10, required=False)
    branch_name = forms.CharField(label=_("Branch name"), max_length=60, required=False)
    account_type = forms.ChoiceField(label=_("Account type"), required=False, choices=[("", "—"), *AccountType.choices])
    account_number = forms.CharField(label=_("Account number"), max_length=20, required=False)
    account_holder = forms.CharField(label=_("Account holder (kana)"), max_length=60, required=False)


_SIGNER_SALT = "partners.application-form"
MIN_FILL_SECONDS = 3
MAX_FORM_AGE = 60 * 60 * 24


class ApplicationForm(ServiceErrorsMixin, forms.Form):
    """The public パートナー募集 form. A hidden honeypot and a signed start time keep bots out."""

    company_name = forms.CharField(label=_("Company name"), max_length=200)
    company_name_kana = forms.CharField(label=_("Company name (kana)"), max_length=200, required=False)
    corporate_number = forms.CharField(label=_("Corporate number (法人番号)"), max_length=30, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    partner_type = forms.ChoiceField(label=_("Partnership you are interested in"), choices=PartnerType.choices)
    prefectures = forms.MultipleChoiceField(label=_("Area you cover"), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    industries = forms.MultipleChoiceField(label=_("Industries"), required=False, choices=Industry.choices,
                                           widget=forms.CheckboxSelectMultiple)
    employees = count_field(_("Employees"), required=False, min_value=1)
    contact_name = forms.CharField(label=_("Your name"), max_length=150)
    contact_name_kana = forms.CharField(label=_("Your name (kana)"), max_length=150, required=False)
    contact_title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    contact_email = forms.EmailField(label=_("Your e-mail address"))
    contact_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    message = forms.CharField(label=_("What you would like to do with us"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    # Spam protection: people never see or fill "fax"; bots fill everything.
    fax = forms.CharField(required=False, label="Fax", widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prefectures"].choices = japan.prefecture_choices()
        if not self.is_bound:
            self.initial["started"] = signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(int(time.time())))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("fax"):
            raise forms.ValidationError(_("Your application could not be accepted. Please try again."), code="spam")
        try:
            signing.TimestampSigner(salt=_SIGNER_SALT).unsign(self.data.get("started", ""), max_age=MAX_FORM_AGE)
            started = int(signing.TimestampSigner(salt=_SIGNER_SALT).unsign(self.data.get("started", "")))
        except (signing.BadSignature, ValueError):
            raise forms.ValidationError(_("The form expired. Please reload the page and send it again."), code="expired") from None
        if time.time() - started < MIN_FILL_SECONDS:
            raise forms.ValidationError(_("Your application could not be accepted. Please try again."), code="too_fast")
        return cleaned

    def application_fields(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name not in {"fax", "started"}}
