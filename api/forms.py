"""The key form: a name, read / write / none per resource, an optional expiry, the language of errors."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.scopes import PARTNER_RESOURCES, READ, RESOURCES, WRITE
from prm.bounds import validate_business_date

ACCESS_CHOICES = [("", _("No access")), (READ, _("Read")), (WRITE, _("Read and write"))]


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=100,
                           help_text=_("What uses the key, e.g. 'Salesforce sync'."))
    expires_on = forms.DateField(label=_("Expires on"), required=False, validators=[validate_business_date],
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Empty: the key works until it is revoked."))
    language = forms.ChoiceField(label=_("Language of error messages"), choices=[("ja", "日本語"), ("en", "English")])

    def __init__(self, *args, partner_key: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.resources = PARTNER_RESOURCES if partner_key else tuple(RESOURCES)
        for resource in self.resources:
            self.fields[f"scope_{resource}"] = forms.ChoiceField(label=RESOURCES[resource], choices=ACCESS_CHOICES,
                                                                 required=False)

    def clean_expires_on(self) -> dt.date | None:
        value = self.cleaned_data.get("expires_on")
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError(_("Choose a date after today."))
        return value

    def scopes(self) -> dict[str, str]:
        return {resource: self.cleaned_data[f"scope_{resource}"] for resource in self.resources
                if self.cleaned_data.get(f"scope_{resource}")}

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def add_service_errors(self, error) -> None:
        """The service's field names on this form's fields (scopes are a group: shown above the form)."""
        on_form = {"name": "name", "expires_at": "expires_on"}
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(on_form.get(field), message)
