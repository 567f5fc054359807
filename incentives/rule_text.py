"""How a plan rule is named and described to people, in the reader's language.

The one place that turns an engine rule into words: payout review, statements, the partner
portal and the plan builder all call it, so a rule reads the same everywhere. A rule's own
`name` ({"ja": …, "en": …} or one text) wins; without one the name is made from what the rule
pays. Never shows a rule's id.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from incentives import engine
from prm.formatting import format_date, format_yen


def _percent(rate: Decimal) -> str:
    value = (rate * 100).normalize()
    text = f"{value:f}"
    return f"{text}%"


def _event_amount(kind: str) -> str:
    return {
        engine.DEAL_WON: _("the won amount"),
        engine.INVOICE_PAID: _("each paid invoice"),
    }.get(kind, kind)


def _event_each(kind: str) -> str:
    return {
        engine.DEAL_REGISTERED: _("each approved deal registration"),
        engine.DEAL_WON: _("each won deal"),
        engine.INVOICE_PAID: _("each paid invoice"),
        engine.CERTIFICATION_EARNED: _("each certification earned"),
        engine.SESSION_ATTENDED: _("each study session attended"),
    }.get(kind, kind)


def _period(period: str) -> str:
    return {"month": _("monthly"), "quarter": _("quarterly"), "year": _("yearly")}.get(period, period)


def own_name(rule: engine.Rule, language: str) -> str | None:
    """The name the plan gives the rule in `language` (or its only name), if any."""
    names = dict(rule.names)
    return names.get(language) or names.get("") or None


def generated_name(rule: engine.Rule) -> str:
    """A short name from what the rule pays, in the active language."""
    if isinstance(rule, engine.Percent):
        return _("%(rate)s of %(base)s") % {"rate": _percent(rule.rate), "base": _event_amount(rule.on)}
    if isinstance(rule, engine.Fixed):
        return _("%(amount)s for %(what)s") % {"amount": format_yen(rule.amount), "what": _event_each(rule.on)}
    if isinstance(rule, engine.Stepped):
        if rule.mode == "marginal":
            return _("%(period)s stepped rate on %(base)s (each band at its rate)") % {
                "period": _period(rule.period), "base": _event_amount(rule.on)}
        return _("%(period)s stepped rate on %(base)s (whole amount at the rate reached)") % {
            "period": _period(rule.period), "base": _event_amount(rule.on)}
    if isinstance(rule, engine.ThresholdBonus):
        return _("%(period)s bonus of %(amount)s on reaching %(threshold)s") % {
            "period": _period(rule.period), "amount": format_yen(rule.amount), "threshold": format_yen(rule.threshold)}
    if isinstance(rule, engine.Recurring):
        return _("%(rate)s of paid invoices for %(months)s months after the win") % {
            "rate": _percent(rule.rate), "months": rule.months}
    if isinstance(rule, engine.Override):
        return _("%(rate)s of a sub-reseller's %(base)s, to its distributor") % {
            "rate": _percent(rule.rate), "base": _event_amount(rule.on)}
    if isinstance(rule, engine.Clawback):
        if rule.share == 1:
            return _("Reversal when the customer cancels within %(days)s days of the win") % {"days": rule.within_days}
        return _("Reversal of %(share)s when the customer cancels within %(days)s days of the win") % {
            "share": _percent(rule.share), "days": rule.within_days}
    return rule.kind


def rule_name(rule: engine.Rule, language: str | None = None) -> str:
    """What people call the rule, in `language` (default: the active one)."""
    language = (language or translation.get_language() or "ja")[:2]
    with translation.override(language):
        return own_name(rule, language) or generated_name(rule)


def rule_conditions(rule: engine.Rule, language: str | None = None) -> list[str]:
    """The rule's limits in words: products, its own window, its cap, stepped brackets."""
    language = (language or translation.get_language() or "ja")[:2]
    with translation.override(language):
        parts: list[str] = []
        if isinstance(rule, engine.Stepped):
            for bracket in rule.brackets:
                parts.append(_("from %(start)s: %(rate)s") % {"start": format_yen(bracket.start),
                                                              "rate": _percent(bracket.rate)})
        if rule.products:
            parts.append(_("products: %(products)s") % {"products": ", ".join(sorted(rule.products))})
        if rule.start or rule.end:
            parts.append(_("from %(start)s to %(end)s") % {
                "start": format_date(rule.start) if rule.start else "…",
                "end": format_date(rule.end) if rule.end else "…"})
        if rule.cap_count:
            parts.append(_("at most %(count)s per partner, %(period)s") % {
                "count": rule.cap_count, "period": _period(rule.cap_period or "")})
        return parts


def rule_description(rule: engine.Rule, language: str | None = None) -> str:
    """The name and the conditions in one sentence-like line."""
    language = (language or translation.get_language() or "ja")[:2]
    with translation.override(language):
        name = rule_name(rule, language)
        conditions = rule_conditions(rule, language)
        if not conditions:
            return name
        return _("%(name)s (%(conditions)s)") % {"name": name, "conditions": _("; ").join(conditions)}


def names_for(documents: Iterable[tuple[int, dict]], language: str | None = None) -> dict[tuple[int, str], str]:
    """{(plan version id, rule id): name} for the given (version id, plan document) pairs.
    A document that no longer parses falls back to its rule ids' `name` fields or the id."""
    names: dict[tuple[int, str], str] = {}
    for version_id, document in documents:
        try:
            plan = engine.parse_plan(document)
        except engine.PlanError:
            for rule in document.get("rules", []) if isinstance(document, dict) else []:
                if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                    own = rule.get("name")
                    if isinstance(own, dict):
                        own = own.get((language or translation.get_language() or "ja")[:2]) or next(iter(own.values()), "")
                    names[(version_id, rule["id"])] = own if isinstance(own, str) and own else rule["id"]
            continue
        for rule in plan.rules:
            names[(version_id, rule.id)] = rule_name(rule, language)
    return names
