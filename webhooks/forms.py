from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prm import events
from prm.invitations.forms import ServiceErrorsMixin
from webhooks.models import MAX_URL_LENGTH, Delivery


class EndpointForm(ServiceErrorsMixin, forms.Form):
    url = forms.CharField(label=_("URL"), max_length=MAX_URL_LENGTH,
                          help_text=_("Where Kyoso POSTs each event, signed (Standard Webhooks). https:// only."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(label=_("Events"), widget=forms.CheckboxSelectMultiple,
                                            choices=list(events.CATALOGUE.items()),
                                            error_messages={"required": _("Choose at least one event."),
                                                            "invalid_choice": _("Choose events from the list.")})


class LogFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *Delivery.State.choices],
                              widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
