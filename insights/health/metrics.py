"""The raw figures behind every partner's health score, set-based: one aggregate query per source, each read by
the app that owns it (partners, deals, enablement)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import datetime, timedelta

from deals import selectors as deal_selectors
from enablement import selectors as enablement_selectors
from insights.health.scoring import Figures
from partners import selectors as partner_selectors
from partners.models import Stage

SCORED_STAGES = (Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION, Stage.DORMANT)


def figures(settings, now: datetime, partner_ids: list[int] | None = None) -> dict[int, Figures]:
    """Figures per signed partner (onboarding, activation, retention, dormant) at `now`.

    Every source is read by the app that owns it, in a GROUP BY over the tenant's table (or the given partners);
    no Python loop touches a contact, signal, deal or attempt row.
    """
    data: dict[int, dict] = defaultdict(dict)
    for partner_id, inputs in partner_selectors.health_inputs(
            partner_ids, stages=list(SCORED_STAGES), today=now.date(),
            login_since=now - timedelta(days=settings.login_window_days)).items():
        data[partner_id].update(age_days=max(inputs.age_days, 0), contacts=inputs.contacts,
                                portal_users=inputs.portal_users, active_contacts=inputs.active_contacts,
                                signed_in=inputs.signed_in)

    for partner_id, row in deal_selectors.registration_activity(
            partner_ids, recent_since=now - timedelta(days=settings.deal_window_days),
            conversion_since=now - timedelta(days=settings.conversion_window_days)).items():
        last = row["last"]
        data[partner_id].update(deals_in_window=row["in_window"], registered_for_conversion=row["registered"],
                                won_for_conversion=row["won"],
                                days_since_last_deal=(now - last).days if last else None,
                                first_deal_at=row["first"])

    for partner_id, certified in enablement_selectors.reps_with_valid_certification(partner_ids, now).items():
        data[partner_id]["certified"] = certified

    year_ago = now - timedelta(days=365)
    for partner_id, (attempts, passed) in enablement_selectors.quiz_results_since(partner_ids, year_ago).items():
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
