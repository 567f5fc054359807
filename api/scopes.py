"""The resources a key's scopes name, and what each access level lets it do."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

READ = "read"
WRITE = "write"

# resource → its label in the key forms. A key's scopes map some of these to "read" or "write".
RESOURCES = {
    "partners": _("Partners"),
    "contacts": _("Contacts"),
    "deals": _("Deal registrations"),
    "leads": _("Leads"),
    "direct_accounts": _("Direct-sales accounts"),
    "invoice_payments": _("Invoice payments"),
    "tiers": _("Tiers and tier history"),
    "certifications": _("Certifications"),
    "health": _("Health scores"),
    "payouts": _("Payouts"),
}
# What a partner's key may be given: its own company's records, never the vendor's own books.
PARTNER_RESOURCES = ("partners", "contacts", "deals", "leads", "tiers", "certifications", "payouts")


def allows(scopes: dict, resource: str, access: str) -> bool:
    """A write scope includes reading the resource."""
    granted = scopes.get(resource) if isinstance(scopes, dict) else None
    return granted == WRITE or (granted == READ and access == READ)
