"""What insights adds to the apps below it, through the hooks they offer (connected in apps.py): the health card on
the partner's page, the health score programs' leaderboards rank by."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from partners.models import Partner
from partners.signals import partner_detail_header, partner_detail_panels
from prm.reads import Later, Read


def _score(page: dict, partner: Partner) -> Read:
    """The read of the partner's health score row, one for the header's fact and the card of the same page (sent
    once with the page's other reads: prm.reads.resolve runs a read two answers share once)."""
    from insights.dashboards.partner_health import score_read

    if "insights.health_score" not in page:
        page["insights.health_score"] = score_read(partner)
    return page["insights.health_score"]


def health_card_panel(sender, *, request: HttpRequest, partner: Partner, page: dict, **kwargs) -> Later[SafeString]:
    """The partner's health card on the console's partner page."""
    from insights.dashboards import health_card

    return Later([_score(page, partner)], lambda score: render_to_string(
        "insights/_health_card.html", {"health": health_card(partner, score=score)}))


def health_fact(sender, *, request: HttpRequest, partner: Partner, page: dict, **kwargs) -> Later[SafeString]:
    """The health score and its trend arrow beside the partner's name (the card below explains it)."""
    from insights.dashboards.partner_health import health_headline

    return Later([_score(page, partner)], lambda score: render_to_string("insights/_health_fact.html", {
        "headline": health_headline(partner, score=score), "partner": partner}))


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    from insights.dashboards.partner_health import health_list_cell
    from insights.selectors import (
        HEALTH_ROW_SQL,
        band_filter_options,
        health_scores_for_ranking,
        partners_in_band,
        with_health,
    )
    from partners import list_columns
    from programs.recognition import rules
    from programs.recognition.selectors import register_ranked_figure

    partner_detail_header.connect(health_fact, weak=False, dispatch_uid="insights.health_fact")
    partner_detail_panels.connect(health_card_panel, weak=False, dispatch_uid="insights.health_card")
    register_ranked_figure(rules.HEALTH, health_scores_for_ranking)
    list_columns.register(list_columns.ListColumn(
        key="health", label=_("Health"), annotate=with_health, ordering=("health_score",),
        options=band_filter_options, filter=partners_in_band, cell=health_list_cell, sql=HEALTH_ROW_SQL))
