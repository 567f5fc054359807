"""Inviting people and accepting invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.accounts.models import PARTNER_ROLES, STAFF_ROLES, Role, User
from prm.invitations.hooks import partner_company
from prm.invitations.models import Invitation
from prm.mail import send_email
from prm.tenancy.models import Domain
from prm.tenancy.urls import reverse_path, site_url


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_inviter(inviter: User, role: str, partner: models.Model | None) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if inviter.is_vendor_admin:
        allowed = True
    elif inviter.is_vendor_staff:
        allowed = role in PARTNER_ROLES
    elif inviter.is_partner_admin:
        own = getattr(inviter, "partner_membership", None)
        if role not in PARTNER_ROLES:
            allowed = False
        elif partner is None or own is None or own.partner_id != partner.pk:
            raise PermissionDenied(_("You can only invite colleagues of your own company."))
        else:
            allowed = True
    else:
        allowed = False
    if not allowed:
        raise PermissionDenied(_("You are not allowed to invite users with this role."))
    if role in PARTNER_ROLES and partner is None:
        raise ValidationError({"partner": _("Choose the partner company this person belongs to.")})
    if role in STAFF_ROLES and partner is not None:
        raise ValidationError({"partner": _("Vendor staff do not belong to a partner company.")})
    if partner is not None and not partner.is_active:  # type: ignore[attr-defined]  # a partners.Partner; prm never imports it
        raise ValidationError({"partner": _("This partner company is not active.")})


@transaction.atomic
def invitation_create(*, inviter: User, email: str, role: str, partner: models.Model | None = None) -> tuple[Invitation, str]:
    """Invite a person; returns the invitation and the raw link token (sent by e-mail only).

    A pending invitation for the same address is replaced, so a resend never leaves two
    valid links.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    _check_inviter(inviter, role, partner)
    existing = User.objects.filter(email__iexact=email).select_related("partner_membership").first()
    if existing is not None:
        if inviter.is_vendor_staff:  # staff see every account of their vendor anyway
            raise ValidationError({"email": _("A user with this e-mail address already exists.")})
        assert partner is not None  # _check_inviter: a partner admin invites to their own company only
        if getattr(getattr(existing, "partner_membership", None), "partner_id", None) == partner.pk:
            raise ValidationError({"email": _("This person is already a member of your team.")})
        # A partner admin must not learn that the address has an account elsewhere (another
        # partner, or the vendor): they see exactly what a new address gives them, the
        # address's owner gets a notice instead of a link, and no membership can follow.
        return invitation_issue(email=email, role=role, partner=partner, invited_by=inviter,
                                language=existing.language or inviter.language, existing_account=True)

    return invitation_issue(email=email, role=role, partner=partner, invited_by=inviter, language=inviter.language)


@transaction.atomic
def invitation_issue(
    *, email: str, role: str, partner: models.Model | None, invited_by: User | None, language: str = "ja",
    existing_account: bool = False,
) -> tuple[Invitation, str]:
    """Create the invitation and send its link, without permission checks (callers check).

    With existing_account the address already has an account: the invitation is recorded
    like any other but its link is never sent (and could not be accepted); the address's
    owner is told someone tried to invite them and how to sign in instead.
    """
    Invitation.objects.select_for_update().filter(email=email, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.REVOKED
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        partner=partner,  # type: ignore[misc]  # a partners.Partner; prm never imports it
        invited_by=invited_by,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.KYOSO_INVITATION_DAYS),
    )
    if partner is not None:
        partner_company().invited(partner=partner, actor=invited_by, email=email, role=role)
    vendor = connection.tenant  # type: ignore[attr-defined]  # django-tenants' connection
    # Rendered now, sent by the e-mail task once this transaction commits.
    if existing_account:
        _send_existing_account_notice(vendor, invitation, language=language)
    else:
        _send_invitation(vendor, invitation, token, language=language)
    return invitation, token


def invitation_url(invitation: Invitation, token: str, vendor=None) -> str:
    kind = Domain.Kind.PORTAL if invitation.role in PARTNER_ROLES else Domain.Kind.CONSOLE
    vendor = vendor or connection.tenant  # type: ignore[attr-defined]  # django-tenants' connection
    return site_url(vendor, kind, reverse_path("invitation_accept", kind, token=token))


def _send_invitation(vendor, invitation: Invitation, token: str, *, language: str) -> None:
    send_email(invitation.email, "invitations/email.html", {
        "invitation": invitation,
        "url": invitation_url(invitation, token, vendor),
        "days": settings.KYOSO_INVITATION_DAYS,
    }, language, vendor=vendor)


def _send_existing_account_notice(vendor, invitation: Invitation, *, language: str) -> None:
    account = User.objects.filter(email__iexact=invitation.email).first()
    kind = Domain.Kind.CONSOLE if account is not None and account.is_vendor_staff else Domain.Kind.PORTAL
    send_email(invitation.email, "invitations/email_existing_account.html", {
        "invitation": invitation,
        "sign_in_url": site_url(vendor, kind, reverse_path("account_login", kind)),
    }, language, vendor=vendor)


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link names, or a ValidationError saying why the link cannot be used."""
    invitation = Invitation.objects.select_related("partner").filter(token_hash=_hash(token or "")).first()
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid. Ask for a new invitation."))
    if invitation.status == Invitation.Status.ACCEPTED:
        raise ValidationError(_("This invitation has already been used. Sign in with your e-mail address instead."))
    if invitation.status == Invitation.Status.REVOKED:
        raise ValidationError(_("This invitation was withdrawn. Ask for a new invitation."))
    if invitation.status == Invitation.Status.EXPIRED or invitation.is_expired:
        raise ValidationError(_("This invitation has expired. Ask for a new invitation."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    """Create the invited person's account. The link proves the e-mail address."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        # Another request accepted it between the check and the lock.
        raise ValidationError(_("This invitation has already been used. Sign in with your e-mail address instead."))
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": _("Enter your name.")})
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("A user with this e-mail address already exists."))
    user = User(email=invitation.email, full_name=full_name, role=invitation.role,
                is_staff=invitation.role == Role.VENDOR_ADMIN,
                is_superuser=invitation.role == Role.VENDOR_ADMIN)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from None
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if invitation.partner_id:
        partner_company().joined(user=user, partner=invitation.partner)
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_user"])
    return user


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    _check_inviter(actor, invitation.role, invitation.partner)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("Only a pending invitation can be withdrawn."))
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])


def invitations_expire() -> int:
    """Mark pending invitations past their date as expired; returns how many."""
    return Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=timezone.now()).update(
        status=Invitation.Status.EXPIRED
    )
