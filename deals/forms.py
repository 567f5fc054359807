from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deals.models import DealSettings, Product, Side, Stage
from deals.segments import EmployeeBand, industry_choices
from deals.selectors.pipeline import PipelineFilters
from partners import japan
from partners import selectors as partner_selectors
from partners.forms import StaffChoiceField
from partners.models import Partner
from partners.search import MAX_QUERY_LENGTH
from prm.accounts.models import STAFF_ROLES, User
from prm.bounds import MAX_DAYS, AsciiIntegerField, BusinessDateField, count_field, yen_field
from prm.forms import errors_naming_fields
from prm.invitations.forms import ServiceErrorsMixin
from prm.params import MAX_ID


# Industry and prefecture labels follow the language of the request: the fields take these functions as their
# choices, called when the field is validated or drawn, not when every form is built (a registration posted
# without an industry or prefecture never makes the lists).
def _industry_options() -> list[tuple[str, str]]:
    return [("", "---------"), *industry_choices()]


def _prefecture_options() -> list[tuple[str, str]]:
    return [("", "---------"), *japan.prefecture_choices()]


class RegistrationForm(ServiceErrorsMixin, forms.Form):
    customer_name = forms.CharField(label=_("Customer company"), max_length=200)
    corporate_number = forms.CharField(label=_("Corporate number (法人番号)"), max_length=30, required=False)
    web_domain = forms.CharField(label=_("Web domain or contact e-mail"), max_length=254, required=False,
                                 help_text=_("e.g. example.co.jp or yamada@example.co.jp"))
    customer_contact_name = forms.CharField(label=_("Customer contact person"), max_length=150, required=False)
    customer_contact_email = forms.EmailField(label=_("Customer contact e-mail"), required=False)
    # The active products, as a lazy queryset: each form's copy of the field takes a copy of it (no query is built
    # per form).
    products = forms.ModelMultipleChoiceField(label=_("Products"), queryset=Product.objects.filter(is_active=True),
                                              required=False, widget=forms.CheckboxSelectMultiple)
    amount = yen_field(_("Amount (¥)"))
    expected_close = BusinessDateField(label=_("Expected close date"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    role_lead = forms.ChoiceField(label=_("Lead generation"), choices=Side.choices, initial=Side.PARTNER)
    role_proposal = forms.ChoiceField(label=_("Proposal"), choices=Side.choices, initial=Side.PARTNER)
    role_contract = forms.ChoiceField(label=_("Contract"), choices=Side.choices, initial=Side.PARTNER)
    role_billing = forms.ChoiceField(label=_("Billing"), choices=Side.choices, initial=Side.PARTNER)
    role_support = forms.ChoiceField(label=_("Support"), choices=Side.choices, initial=Side.PARTNER)
    industry = forms.ChoiceField(label=_("Industry (JSIC major group)"), required=False, choices=_industry_options)
    employee_band = forms.ChoiceField(label=_("Employees"), required=False,
                                      choices=[("", "---------"), *EmployeeBand.choices])
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False, choices=_prefecture_options)

    CUSTOMER = ("customer_name", "corporate_number", "web_domain")
    SEGMENT = ("industry", "employee_band", "prefecture")
    ROLES = ("role_lead", "role_proposal", "role_contract", "role_billing", "role_support")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.CUSTOMER:  # the live duplicate check listens to these
            self.fields[name].widget.attrs["class"] = "kyoso-customer"

    def clean_products(self) -> list[Product]:
        # A list: with none ticked the field gives an empty queryset, and asking it whether it has any builds a query.
        products = self.cleaned_data["products"]
        return [] if products.query.is_empty() else list(products)

    def clean_expected_close(self):
        value = self.cleaned_data["expected_close"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("The expected close date is in the past."))
        return value

    def clean_corporate_number(self):
        value = japan.normalise_corporate_number(self.cleaned_data["corporate_number"])
        if value and not japan.is_valid_corporate_number(value):
            raise forms.ValidationError(_("Enter the 13-digit corporate number (法人番号); its check digit does not match."))
        return value

    def fields_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("products")
        return data


class DecisionForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MoveForm(ServiceErrorsMixin, forms.Form):
    stage = forms.ChoiceField(label=_("New stage"), choices=[(s, s.label) for s in (
        Stage.PROPOSAL, Stage.NEGOTIATION, Stage.WON, Stage.LOST, Stage.CANCELLED)])
    won_amount = yen_field(_("Won amount (¥)"), required=False, allow_zero=False)
    won_on = BusinessDateField(label=_("Won on"), required=False, help_text=_("Empty: today."))
    reason = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, reporting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reporting:  # a partner's win waits for the channel manager: say so where it is chosen
            self.fields["stage"].choices = [
                (value, _("Won (the channel manager confirms)") if value == Stage.WON else label)
                for value, label in self.fields["stage"].choices]

    def clean_won_on(self):
        value = self.cleaned_data["won_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The won date cannot be in the future."))
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("stage") == Stage.WON and cleaned.get("won_amount") is None and "won_amount" not in self.errors:
            self.add_error("won_amount", _("Enter the won amount."))
        return cleaned


class WinConfirmForm(ServiceErrorsMixin, forms.Form):
    """The channel manager confirms a reported win, correcting its figures if the vendor's own differ."""

    won_amount = yen_field(_("Won amount (¥)"), required=False, allow_zero=False,
                           help_text=_("Empty: the amount the partner reported."))
    won_on = BusinessDateField(label=_("Won on"), required=False, help_text=_("Empty: the date the partner reported."))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def clean_won_on(self):
        value = self.cleaned_data["won_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The won date cannot be in the future."))
        return value


class WinRejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class WinCancelForm(ServiceErrorsMixin, forms.Form):
    """The customer cancelled a won deal (解約): the day it cancelled and why."""

    cancelled_on = BusinessDateField(label=_("Date the customer cancelled"))
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class WinCorrectForm(ServiceErrorsMixin, forms.Form):
    """Correct a confirmed win's amount or date; the next commission run writes the difference."""

    won_amount = yen_field(_("Won amount (¥)"), allow_zero=False)
    won_on = BusinessDateField(label=_("Won on"))
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class WinReopenForm(ServiceErrorsMixin, forms.Form):
    """A win recorded by mistake goes back to negotiation."""

    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class MeetingForm(ServiceErrorsMixin, forms.Form):
    held_on = BusinessDateField(label=_("Date"))
    staff = forms.ModelMultipleChoiceField(label=_("Vendor staff"), queryset=User.objects.none(),
                                           widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = User.objects.filter(role__in=STAFF_ROLES, is_active=True)


class ExtensionForm(ServiceErrorsMixin, forms.Form):
    days = count_field(_("Extend by (days)"), min_value=1, max_value=MAX_DAYS, initial=30)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class SettingsForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = DealSettings
        fields = ["mode", "partner_over_direct", "validity_days", "warn_days_before", "max_extension_days",
                  "capacity_default", "lead_sla_hours", "lead_distribution",
                  "lead_prefer_serving_partner"]
        widgets = {"mode": forms.RadioSelect}

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("warn_days_before") or 0) >= (cleaned.get("validity_days") or 1):
            self.add_error("warn_days_before", _("Warn before the registration expires: use fewer days than the validity."))
        return cleaned


class DirectAccountForm(ServiceErrorsMixin, forms.Form):
    customer_name = forms.CharField(label=_("Customer company"), max_length=200)
    corporate_number = forms.CharField(label=_("Corporate number (法人番号)"), max_length=30, required=False)
    web_domain = forms.CharField(label=_("Web domain"), max_length=254, required=False)
    owner = forms.ModelChoiceField(label=_("Sales owner"), queryset=User.objects.none(), required=False)
    opportunity = forms.CharField(label=_("Open opportunity"), max_length=200, required=False)
    amount = yen_field(_("Amount (¥)"), required=False)
    industry = forms.ChoiceField(label=_("Industry (JSIC major group)"), required=False, choices=_industry_options)
    employee_band = forms.ChoiceField(label=_("Employees"), required=False,
                                      choices=[("", "---------"), *EmployeeBand.choices])
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False, choices=_prefecture_options)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(role__in=STAFF_ROLES, is_active=True)


class LeadForm(ServiceErrorsMixin, forms.Form):
    customer_name = forms.CharField(label=_("Customer company"), max_length=200)
    corporate_number = forms.CharField(label=_("Corporate number (法人番号)"), max_length=30, required=False)
    web_domain = forms.CharField(label=_("Web domain"), max_length=254, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False)
    products = forms.ModelMultipleChoiceField(label=_("Products"), queryset=Product.objects.none(), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    amount = yen_field(_("Estimated amount (¥)"), initial=0)
    source = forms.CharField(label=_("Source"), max_length=100, required=False, help_text=_("e.g. seminar, website inquiry"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(is_active=True)
        self.fields["prefecture"].choices = [("", "—"), *japan.prefecture_choices()]


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class PipelineFilterForm(forms.Form):
    """The pipeline's filters, from the query string (the page, htmx's refresh, a saved view, the CSV export)."""

    customer = forms.CharField(label=_("Customer"), required=False, max_length=MAX_QUERY_LENGTH, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Company name, in kana or kanji"), "autocomplete": "off"}))
    partner = AsciiIntegerField(label=_("Partner"), required=False, min_value=1, max_value=MAX_ID,
                                widget=forms.HiddenInput)
    partner_name = forms.CharField(label=_("Partner"), required=False, max_length=MAX_QUERY_LENGTH,
                                   widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                                 "placeholder": _("Partner name")}))
    owner = StaffChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("All"))
    stage = forms.MultipleChoiceField(label=_("Stage"), required=False, choices=Stage.choices,
                                      widget=forms.CheckboxSelectMultiple)
    registered_from = BusinessDateField(label=_("Registered from"), required=False)
    registered_to = BusinessDateField(label=_("Registered until"), required=False)
    close_from = BusinessDateField(label=_("Expected close from"), required=False)
    close_to = BusinessDateField(label=_("Expected close until"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(role__in=STAFF_ROLES, is_active=True)

    def clean_partner(self) -> Partner | None:
        partner_id = self.cleaned_data.get("partner")
        if partner_id is None:
            return None
        partner = partner_selectors.partner_by_id(partner_id)
        if partner is None:
            raise forms.ValidationError(_("There is no partner with this id."), code="unknown_partner")
        return partner

    def clean(self):
        cleaned = super().clean()
        for start, end in (("registered_from", "registered_to"), ("close_from", "close_to")):
            if cleaned.get(start) and cleaned.get(end) and cleaned[end] < cleaned[start]:
                self.add_error(end, _("The end date is before the start date."))
        return cleaned

    def filters(self) -> PipelineFilters:
        """The validated filters; call only on a valid form."""
        data = self.cleaned_data
        return PipelineFilters(
            customer=data["customer"], partner_id=data["partner"].pk if data["partner"] else None,
            partner_name=data["partner_name"], owner_id=data["owner"].pk if data["owner"] else None,
            stages=tuple(data["stage"]), registered_from=data["registered_from"],
            registered_to=data["registered_to"], close_from=data["close_from"], close_to=data["close_to"])

    def query_string(self, **changes) -> str:
        """The valid filters as the pipeline writes them in its links (empty ones left out), with `changes`
        (field name → value, a list for stages, None to leave a filter out) applied."""
        values = {name: self[name].field.prepare_value(self.cleaned_data.get(name)) for name in self.fields}
        values.update({"partner": self.cleaned_data["partner"].pk if self.cleaned_data.get("partner") else None,
                       "owner": self.cleaned_data["owner"].pk if self.cleaned_data.get("owner") else None})
        values.update(changes)
        query = QueryDict(mutable=True)
        for name, value in values.items():
            if isinstance(value, list | tuple):
                query.setlist(name, [str(item) for item in value])
            elif value not in (None, ""):
                query[name] = value.isoformat() if isinstance(value, date) else str(value)
        return query.urlencode()


def pipeline_query(query: QueryDict) -> str:
    """A saved view's query string of the pipeline, read through its filter form (prm.savedviews)."""
    form = PipelineFilterForm(query)
    if not form.is_valid():
        raise ValidationError(errors_naming_fields(form))
    return form.query_string()
