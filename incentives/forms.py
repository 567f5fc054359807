"""Forms of the vendor's money settings; the rules live in incentives.vendor_settings and incentives.credit."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incentives import credit, vendor_settings
from incentives.models import month_offset_label
from partners import selectors as partner_selectors
from partners.models import Partner
from prm.bounds import AsciiIntegerField, count_field, yen_field
from prm.invitations.forms import ServiceErrorsMixin

_RATE = re.compile(r"^[0-9]{1,2}(\.[0-9])?$")


class RateField(forms.CharField):
    """A percentage typed with ASCII digits and at most one decimal (10, 8.0), within 0 and `max_value`."""

    def __init__(self, *args, max_value: Decimal, **kwargs):
        self.max_value = max_value
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        if not _RATE.match(text.strip()) or Decimal(text.strip()) > self.max_value:
            raise ValidationError(_("Enter a rate from 0 to %(max)s%% with at most one decimal."),
                                  code="invalid", params={"max": self.max_value})
        return Decimal(text.strip()).quantize(Decimal("0.1"))


def _day_choices():
    return [(0, _("Month end (末日)"))] + [(day, _("day %(day)s") % {"day": day}) for day in range(1, 29)]


def _month_choices():
    return [(months, month_offset_label(months)) for months in range(0, 7)]


class IssuerForm(ServiceErrorsMixin, forms.Form):
    company_name = forms.CharField(label=_("Issuer legal name"), max_length=200)
    invoice_number = forms.CharField(label=_("Invoice registration number"), max_length=30,
                                     help_text=_("T followed by 13 digits (適格請求書発行事業者登録番号)."))
    address = forms.CharField(label=_("Issuer address"), max_length=300)


class TaxForm(ServiceErrorsMixin, forms.Form):
    tax_rate_percent = RateField(label=_("Consumption tax rate (%)"), max_value=vendor_settings.MAX_TAX_RATE)


class TermsForm(ServiceErrorsMixin, forms.Form):
    close_day = forms.TypedChoiceField(label=_("Closing day (締め日)"), coerce=int, choices=_day_choices)
    pay_month_offset = forms.TypedChoiceField(label=_("Paid in (支払月)"), coerce=int, choices=_month_choices)
    pay_day = forms.TypedChoiceField(label=_("Pay day (支払日)"), coerce=int, choices=_day_choices,
                                     help_text=_("A pay day on a bank holiday moves to the bank business day before it."))
    review_days = AsciiIntegerField(label=_("Review window (days)"), min_value=0,
                                    max_value=vendor_settings.MAX_REVIEW_DAYS)
    acknowledge_late = forms.BooleanField(
        label=_("I have checked that paying later than 60 days after the close is lawful for these partners (下請法)."),
        required=False)


def _lookup_attrs(width: int) -> dict:
    """The bank and branch names from the registry appear as the codes are typed (htmx)."""
    return {"inputmode": "numeric", "maxlength": width, "hx-get": reverse_lazy("incentives_bank_lookup"),
            "hx-trigger": "keyup changed delay:300ms, change", "hx-target": "#bank-lookup",
            "hx-include": "[name=transfer_bank_code],[name=transfer_branch_code]"}


class SenderForm(ServiceErrorsMixin, forms.Form):
    transfer_client_code = forms.CharField(label=_("Client code (委託者コード, 10 digits)"), max_length=20)
    transfer_client_name = forms.CharField(label=_("Sender name (kana)"), max_length=60)
    transfer_bank_code = forms.CharField(label=_("Paying bank code (4 digits)"), max_length=10,
                                         widget=forms.TextInput(attrs=_lookup_attrs(4)),
                                         help_text=_("Checked against the Zengin bank registry; the kana name is filled in."))
    transfer_branch_code = forms.CharField(label=_("Paying branch code (3 digits)"), max_length=10,
                                           widget=forms.TextInput(attrs=_lookup_attrs(3)))
    transfer_account_type = forms.ChoiceField(label=_("Account type"), choices=[
        ("1", pgettext_lazy("bank account type", "Ordinary")), ("2", pgettext_lazy("bank account type", "Current")),
        ("4", pgettext_lazy("bank account type", "Savings"))])
    transfer_account_number = forms.CharField(label=_("Account number (7 digits)"), max_length=20)


class DutiesForm(forms.Form):
    separate_approval_and_payment = forms.BooleanField(
        label=_("separation of duties: whoever approved a payout cannot mark it paid"), required=False,
        help_text=_("When on, a second person must confirm each payment."))


class CreditLimitForm(ServiceErrorsMixin, forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    limit = yen_field(_("Credit limit (¥)"))
    settlement_days = count_field(_("Days until a won deal is settled"), min_value=1,
                                  max_value=credit.MAX_SETTLEMENT_DAYS, initial=60)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partner_selectors.partner_list()


