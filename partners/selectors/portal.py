"""What the portal home shows of the partner's own records: its team, its onboarding checklist and its contacts'
stages, in two fixed statements (the page is every partner rep's first; the ORM would compile four queries)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from partners.models import ChecklistItem, Contact, ContactStage, Partner
from prm.reads import ModelRows, fetch_rows

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class PortalHome:
    colleagues: int  # active users of the partner
    checklist_total: int
    checklist_done: int
    checklist_open: list[ChecklistItem]  # the first open items, in the checklist's order
    contact_stages: list[tuple[str, StrOrPromise, int]]  # (stage, label, contacts) of every stage, as contact_stage_rows


_ITEM, _CONTACT = ModelRows(ChecklistItem), ModelRows(Contact)

_COUNTS_SQL = """
    SELECT (SELECT count(*) FROM partners_partnermembership m JOIN accounts_user u ON u.id = m.user_id
             WHERE m.partner_id = %(partner)s AND u.is_active),
           (SELECT count(*) FROM partners_checklistitem c WHERE c.partner_id = %(partner)s),
           (SELECT count(*) FROM partners_checklistitem c WHERE c.partner_id = %(partner)s AND c.completed_at IS NOT NULL),
           (SELECT array_agg(ARRAY[s.stage, s.n::text]) FROM (
                SELECT k.stage, count(*) AS n FROM partners_contact k WHERE k.partner_id = %(partner)s GROUP BY k.stage) s)"""


@cache
def _open_items_sql() -> str:
    return (f"SELECT {_ITEM.columns('c')} FROM partners_checklistitem c "
            "WHERE c.partner_id = %(partner)s AND c.completed_at IS NULL ORDER BY c.position, c.id LIMIT %(limit)s")


def portal_home(partner: Partner, *, open_items: int = 5) -> PortalHome:
    colleagues, total, done, stages = fetch_rows(_COUNTS_SQL, {"partner": partner.pk})[0]
    counts = {stage: int(n) for stage, n in stages or ()}
    items = [_ITEM.instance(row) for row in fetch_rows(_open_items_sql(), {"partner": partner.pk, "limit": open_items})]
    return PortalHome(colleagues=colleagues, checklist_total=total, checklist_done=done, checklist_open=items,
                      contact_stages=[(stage, label, counts.get(stage, 0)) for stage, label in ContactStage.choices])


@cache
def _contact_sql() -> str:
    return f"SELECT {_CONTACT.columns('k')} FROM partners_contact k WHERE k.user_id = %(user)s"


def contact_of_user(user) -> Contact | None:
    """The user's contact record (`user.contact`), read in a fixed statement and kept on the user, so later
    `user.contact` reads cost nothing."""
    descriptor = user._meta.model.contact  # the class, also behind request.user's lazy object
    if descriptor.is_cached(user):
        return getattr(user, "contact", None)
    rows = fetch_rows(_contact_sql(), {"user": user.pk})
    return keep_contact(user, _CONTACT.instance(rows[0]) if rows else None)


def keep_contact(user, contact: Contact | None) -> Contact | None:
    """Keep the user's contact record (or its absence) on the user, both ways, so `user.contact` costs nothing."""
    user._meta.model.contact.related.set_cached_value(user, contact)
    if contact is not None:
        Contact.user.field.set_cached_value(contact, user)
    return contact
