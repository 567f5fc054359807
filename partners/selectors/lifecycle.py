"""The facts the lifecycle rules decide on, for many partners at once: one GROUP BY per source.

Deal facts come from their owner (deals registers `deal_lifecycle_dates` with partners.selectors);
partners never reads the deal tables itself.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Max
from django.utils import timezone

from partners.lifecycle.rules import Facts
from partners.models import Agreement, Contact, ContactSignal, ContactStage, Partner, Stage
from partners.selectors import figure_source


def _scoped(queryset, partner_ids, column: str = "partner_id"):
    return queryset if partner_ids is None else queryset.filter(**{f"{column}__in": list(partner_ids)})


def _day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def lifecycle_facts(partner_ids=None) -> dict[int, tuple[Facts, dict]]:
    """partner id → (its facts, the stage reason stored now) for the partners (None: every partner) that are
    not terminated. Five statements, however many partners."""
    partners = _scoped(Partner.objects.exclude(stage=Stage.TERMINATED), partner_ids, "pk").order_by()
    rows = list(partners.values_list("pk", "stage", "stage_reason", "stage_override_until"))
    ids = None if partner_ids is None else [pk for pk, *_rest in rows]
    agreements = {pk: (n, last) for pk, n, last in _scoped(Agreement.objects, ids).order_by().values("partner_id")
                  .annotate(n=Count("kind", distinct=True), last=Max("agreed_on"))
                  .values_list("partner_id", "n", "last")}
    active = dict(_scoped(Contact.objects.filter(stage=ContactStage.ACTIVE), ids).order_by().values("partner_id")
                  .annotate(n=Count("pk")).values_list("partner_id", "n"))
    activity = dict(_scoped(ContactSignal.objects, ids).order_by().values("partner_id")
                    .annotate(last=Max("occurred_at")).values_list("partner_id", "last"))
    deals = figure_source("deal_lifecycle_dates")(ids)
    facts = {}
    for pk, stage, reason, override_until in rows:
        signed, signed_on = agreements.get(pk, (0, None))
        first_deal, last_deal, first_win = deals.get(pk, (None, None, None))
        facts[pk] = (Facts(stage=stage, agreements=signed, signed_on=signed_on, first_deal_on=_day(first_deal),
                           first_win_on=first_win, last_deal_on=_day(last_deal),
                           last_activity_on=_day(activity.get(pk)), active_contacts=active.get(pk, 0),
                           override_until=override_until), reason)
    return facts


def deals_allowed(partner: Partner) -> bool:
    """Whether the partner may register deals: once it is past planning and recruiting, or earlier when the
    vendor allows it (PartnerSettings.deals_before_signing). Terminated partners never may (deals asks is_active)."""
    from partners.lifecycle.rules import PRE_SIGNING
    from partners.models import PartnerSettings

    return partner.stage not in PRE_SIGNING or PartnerSettings.current().deals_before_signing
