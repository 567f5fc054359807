from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mapping.models import PartnerPopulation, Sharing, VendorPopulation
from partners.forms import ImportForm


class ListUploadForm(ImportForm):
    """A customer list: the partners' import form (file, encoding) with a larger limit and the list it fills."""

    MAX_BYTES = 30 * 1024 * 1024

    population = forms.ChoiceField(label=_("The file contains"), widget=forms.RadioSelect)
    field_order = ["population", "file", "encoding"]

    def __init__(self, *args, vendor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(VendorPopulation.TARGETS.value, VendorPopulation.TARGETS.label)] if vendor else PartnerPopulation.choices
        self.fields["population"].choices = choices
        self.fields["population"].initial = choices[0][0]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 30 MB."))
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file."))
        return upload


class SharingForm(forms.Form):
    population = forms.CharField()
    level = forms.ChoiceField(choices=Sharing.choices)
