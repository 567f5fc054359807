"""Console: the people at a partner."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from partners import services
from partners.forms import ContactForm
from partners.models import Contact
from partners.views.common import get_partner
from prm.accounts.access import console_view


def _save(request: HttpRequest, partner, contact: Contact | None) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ContactForm.Meta.fields}
        try:
            contact = services.contact_save(partner=partner, actor=request.user, contact=contact, **fields)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": contact.full_name})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/contact_form.html", {"partner": partner, "form": form, "contact": contact})


@console_view
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, get_partner(pk), None)


@console_view
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    partner = get_partner(pk)
    contact = get_object_or_404(Contact, pk=contact_pk, partner=partner)
    return _save(request, partner, contact)


class ContactEraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I confirm this person asked for their personal data to be erased. This cannot be undone."))


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def contact_erase(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """Erase a contact's personal data on their request (APPI); vendor administrators only."""
    partner = get_partner(pk)
    contact = get_object_or_404(Contact, pk=contact_pk, partner=partner)
    form = ContactEraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.contact_erase(contact=contact, actor=request.user)
        messages.success(request, _("The contact's personal data was erased; their records remain without the name."))
        return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/contact_erase.html", {"partner": partner, "contact": contact, "form": form})
