from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.search import MAX_QUERY_LENGTH


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": _("Search for at most %(limit_value)d characters (this has %(show_value)d).")},
    )
