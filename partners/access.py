"""Who may act, asked by services: `require_vendor_staff(actor)` and
`require_partner_member(actor, partner, admin=False)`. Every domain service imports both from here.

Membership is decided here because PartnerMembership is a partners model. Whether someone is the
vendor's staff is a platform question (roles belong to prm.accounts), so that check is defined in
prm.accounts.access, where prm's own services reach it without importing a domain app, and is
offered here unchanged. A service asks one or the other, never spells the check out.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from partners.models import Partner, PartnerMembership
from prm.accounts.access import require_vendor_staff

__all__ = ["require_partner_member", "require_vendor_staff"]


def require_partner_member(actor, partner: Partner | int | None, *, admin: bool = False) -> PartnerMembership:
    """`actor` must be an active user of `partner` (a Partner or its id); with admin=True, one of
    its partner admins. Returns the membership. Anonymous users, inactive accounts, the vendor's
    staff and users of other partners are refused with PermissionDenied.

    A service that also lets the vendor's staff act decides that first (require_vendor_staff or
    `actor.is_vendor_staff`): staff are never members of a partner.
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_partner_user:
        raise PermissionDenied(_("Only this partner's users can do this."))
    partner_id = partner.pk if isinstance(partner, Partner) else partner
    membership = getattr(actor, "partner_membership", None)
    if partner_id is None or membership is None or membership.partner_id != partner_id:
        raise PermissionDenied(_("Only this partner's users can do this."))
    if admin and not actor.is_partner_admin:
        raise PermissionDenied(_("Only this partner's administrators can do this."))
    return membership
