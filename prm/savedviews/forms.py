from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prm import savedviews
from prm.savedviews.models import MAX_NAME_LENGTH, MAX_QUERY_LENGTH


class SavedViewForm(forms.Form):
    """Save the list's current filters (`query`, the list's own query string) as a view."""

    list = forms.CharField(label=_("List"), max_length=60, widget=forms.HiddenInput)
    query = forms.CharField(label=_("Filters"), max_length=MAX_QUERY_LENGTH, required=False, strip=False,
                            widget=forms.HiddenInput)
    name = forms.CharField(label=_("View name"), max_length=MAX_NAME_LENGTH,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. My open deals this quarter")}))
    shared = forms.BooleanField(label=_("Share with the team"), required=False)

    def clean_list(self) -> savedviews.SavedList:
        listed = savedviews.saved_list(self.cleaned_data["list"])
        if listed is None:
            raise forms.ValidationError(_("This list has no saved views."), code="unknown_list")
        return listed
