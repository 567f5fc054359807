"""What the partners tables tell health scoring about each partner, set-based.

Health scoring (insights.health) recalculates a whole vendor at once: 10,000 partners, 100,000 contacts and
5,000,000 contact signals in the benchmark. These are two GROUP BY statements over those tables, however many
partners; no Python loop touches a contact or a signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from partners.selectors.scope import start_day_sql


@dataclass(frozen=True)
class HealthInputs:
    age_days: int  # days from its start (its first agreement, or its creation when that came first) to `today`
    contacts: int
    portal_users: int  # contacts with an active portal account
    active_contacts: int  # contacts at the stage Active
    signed_in: int  # contacts with an active portal account who signed in since `login_since`


def health_inputs(partner_ids: list[int] | None, *, stages: list[str], today: date,
                  login_since: datetime) -> dict[int, HealthInputs]:
    """partner id → its health inputs, for every partner at one of `stages` (among `partner_ids`; None: every
    partner)."""
    scope = "" if partner_ids is None else " AND p.id = ANY(%(ids)s)"
    params: dict[str, Any] = {"ids": partner_ids or [], "stages": stages, "today": today, "login_since": login_since,
                              "tz": timezone.get_current_timezone_name()}
    partners = f"SELECT p.id FROM partners_partner p WHERE p.stage = ANY(%(stages)s){scope}"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT p.id,
                   (%(today)s::date - {start_day_sql("p")}),
                   count(c.id),
                   count(c.id) FILTER (WHERE u.is_active),
                   count(c.id) FILTER (WHERE c.stage = 'active')
              FROM partners_partner p
              LEFT JOIN partners_contact c ON c.partner_id = p.id
              LEFT JOIN accounts_user u ON u.id = c.user_id
             WHERE p.stage = ANY(%(stages)s){scope}
             GROUP BY p.id""", params)
        base = cursor.fetchall()
        cursor.execute(f"""
            SELECT s.partner_id, count(DISTINCT s.contact_id)
              FROM partners_contactsignal s
              JOIN partners_contact c ON c.id = s.contact_id
              JOIN accounts_user u ON u.id = c.user_id AND u.is_active
             WHERE s.kind = 'portal_login' AND s.occurred_at >= %(login_since)s AND s.partner_id IN ({partners})
             GROUP BY s.partner_id""", params)
        signed_in = dict(cursor.fetchall())
    return {pk: HealthInputs(age_days=age, contacts=contacts, portal_users=portal_users, active_contacts=active,
                             signed_in=signed_in.get(pk, 0))
            for pk, age, contacts, portal_users, active in base}
