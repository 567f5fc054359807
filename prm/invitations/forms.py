from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prm.accounts.models import Role
from prm.invitations.hooks import partner_company
from prm.invitations.models import Invitation
from prm.invitations.services import invitation_create


class ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the form: on its field, or above the form."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class InvitationSendMixin(ServiceErrorsMixin):
    """An invitation form that sends what it holds through invitations.services.invitation_create: the console's
    team page, a partner's page and the portal's team page."""

    cleaned_data: dict

    def send(self, *, inviter, partner, refused_on: str | None = "role") -> Invitation | None:
        """Invite the person the valid form names to `partner` (None: to the vendor's staff). What the service
        refuses shows on the form and gives None: its errors on their fields, a role the inviter may not give on
        `refused_on` (None: above the form)."""
        try:
            invitation, _token = invitation_create(inviter=inviter, email=self.cleaned_data["email"],
                                                   role=self.cleaned_data["role"], partner=partner)
        except ValidationError as error:
            self.add_service_errors(error)
        except PermissionDenied as error:
            self.add_error(refused_on, str(error) or gettext("You are not allowed to invite users with this role."))
        else:
            return invitation
        return None


class InvitationAcceptForm(ServiceErrorsMixin, forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class StaffInvitationForm(InvitationSendMixin, forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    partner = forms.ModelChoiceField(
        label=_("Partner company"), queryset=None, required=False,
        help_text=_("Required for partner admins and reps."),
    )

    def __init__(self, *args, inviter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partner_company().choices()
        if not inviter.is_vendor_admin:
            self.fields["role"].choices = [(Role.PARTNER_ADMIN, Role.PARTNER_ADMIN.label), (Role.PARTNER_REP, Role.PARTNER_REP.label)]


class ColleagueInvitationForm(InvitationSendMixin, forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.PARTNER_REP, Role.PARTNER_REP.label), (Role.PARTNER_ADMIN, Role.PARTNER_ADMIN.label)],
    )
