"""The raw figures behind every partner's health score, set-based: one aggregate query per source."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import datetime, timedelta

from django.db import connection

from insights.health.scoring import Figures
from partners.models import Stage

SCORED_STAGES = (Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION, Stage.DORMANT)


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def figures(settings, now: datetime, partner_ids: list[int] | None = None) -> dict[int, Figures]:
    """Figures per signed partner (onboarding, activation, retention, dormant) at `now`.

    Every query is a GROUP BY over the tenant's table (or the given partners); no Python loop
    touches a contact, signal, deal or attempt row.
    """
    scope = "" if partner_ids is None else " AND p.id = ANY(%(ids)s)"
    params = {
        "ids": partner_ids or [], "stages": list(SCORED_STAGES), "now": now, "today": now.date(),
        "login_since": now - timedelta(days=settings.login_window_days),
        "deal_since": now - timedelta(days=settings.deal_window_days),
        "conversion_since": now - timedelta(days=settings.conversion_window_days),
        "year_ago": now - timedelta(days=365),
    }
    data: dict[int, dict] = defaultdict(dict)
    partners = f"SELECT p.id FROM partners_partner p WHERE p.stage = ANY(%(stages)s){scope}"

    for partner_id, age, contacts, portal_users, active in _rows(f"""
        SELECT p.id,
               (%(today)s::date - LEAST(p.created_at::date,
                   COALESCE((SELECT min(a.agreed_on) FROM partners_agreement a WHERE a.partner_id = p.id),
                            p.created_at::date))),
               count(c.id),
               count(c.id) FILTER (WHERE u.is_active),
               count(c.id) FILTER (WHERE c.stage = 'active')
          FROM partners_partner p
          LEFT JOIN partners_contact c ON c.partner_id = p.id
          LEFT JOIN accounts_user u ON u.id = c.user_id
         WHERE p.stage = ANY(%(stages)s){scope}
         GROUP BY p.id""", params):
        data[partner_id].update(age_days=max(age, 0), contacts=contacts, portal_users=portal_users,
                                active_contacts=active)

    for partner_id, signed_in in _rows(f"""
        SELECT s.partner_id, count(DISTINCT s.contact_id)
          FROM partners_contactsignal s
          JOIN partners_contact c ON c.id = s.contact_id
          JOIN accounts_user u ON u.id = c.user_id AND u.is_active
         WHERE s.kind = 'portal_login' AND s.occurred_at >= %(login_since)s AND s.partner_id IN ({partners})
         GROUP BY s.partner_id""", params):
        data[partner_id]["signed_in"] = signed_in

    # Deals, certified reps and quiz results come from the apps that own them (prm.figures), set-based.
    from deals.selectors import registration_activity
    from enablement.selectors import quiz_results_since, reps_with_valid_certification

    for partner_id, row in registration_activity(partner_ids, recent_since=params["deal_since"],
                                                 conversion_since=params["conversion_since"]).items():
        last = row["last"]
        data[partner_id].update(deals_in_window=row["in_window"], registered_for_conversion=row["registered"],
                                won_for_conversion=row["won"],
                                days_since_last_deal=(now - last).days if last else None,
                                first_deal_at=row["first"])

    for partner_id, certified in reps_with_valid_certification(partner_ids, now).items():
        data[partner_id]["certified"] = certified

    for partner_id, (attempts, passed) in quiz_results_since(partner_ids, params["year_ago"]).items():
        data[partner_id].update(attempts=attempts, passed=passed)

    names = {f.name for f in fields(Figures)}
    result = {}
    for partner_id, values in data.items():
        if "age_days" not in values:  # not a scored partner (its rows came from a join only)
            continue
        first = values.pop("first_deal_at", None)
        if first is not None:
            start = now.date() - timedelta(days=values["age_days"])
            values["days_to_first_deal"] = max((first.date() - start).days, 0)
        result[partner_id] = Figures(**{key: value for key, value in values.items() if key in names})
    return result
