"""partners' part in what the platform does: imported once, by PartnersConfig.ready.

prm sits below partners and never imports it: it sends a signal when a partner user signs in to the
portal, and asks the hooks registered here what an invitation to a partner company does.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from partners import services
from partners.forms import forget_staff_choices
from partners.models import EventKind, Partner
from prm.accounts.models import User
from prm.accounts.signals import portal_signed_in
from prm.invitations import hooks as invitation_hooks


def _portal_signed_in(sender, *, user: User, **kwargs) -> None:
    services.record_portal_login(user)


def _invited(*, partner: Partner, actor: User | None, email: str, role: str) -> None:
    services.event_record(partner, EventKind.INVITATION, actor=actor, email=email, role=role)


portal_signed_in.connect(_portal_signed_in, dispatch_uid="partners.record_portal_login")
invitation_hooks.register(invitation_hooks.PartnerCompanyHooks(
    choices=Partner.objects.active, invited=_invited, joined=services.membership_create))


def _staff_changed(sender, **kwargs) -> None:
    forget_staff_choices()


post_save.connect(_staff_changed, sender=User, dispatch_uid="partners.staff_choices.saved")
post_delete.connect(_staff_changed, sender=User, dispatch_uid="partners.staff_choices.deleted")
