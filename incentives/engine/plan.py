"""Reading a plan: `parse_plan` checks a decoded JSON document completely and builds its rules,
or raises `PlanError` naming the rule and the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from django.utils.translation import gettext as _

from incentives.engine.dates import PERIODS, iso_date
from incentives.engine.money import CURRENCY, MAX_DIGITS, RATE_PATTERN
from incentives.engine.rules import (
    MODES,
    RULE_KINDS,
    Bracket,
    Clawback,
    Fixed,
    Override,
    Percent,
    Plan,
    Recurring,
    Rule,
    Stepped,
    ThresholdBonus,
)
from incentives.engine.values import DEAL_CANCELLED, EVENT_KINDS, INVOICE_PAID, WITH_AMOUNT, PlanError, shown

T = TypeVar("T")

_COMMON_FIELDS = ("id", "kind", "name", "products", "from", "to", "cap_count", "cap_period")
_KIND_FIELDS = {
    "percent": ("on", "rate"),
    "fixed": ("on", "amount"),
    "stepped": ("on", "period", "mode", "brackets"),
    "threshold_bonus": ("on", "period", "threshold", "amount"),
    "recurring": ("on", "rate", "months"),
    "override": ("on", "rate"),
    "clawback": ("within_days", "share"),
}
_ON_CHOICES = {
    "percent": sorted(WITH_AMOUNT),
    "fixed": [kind for kind in EVENT_KINDS if kind != DEAL_CANCELLED],
    "stepped": sorted(WITH_AMOUNT),
    "threshold_bonus": sorted(WITH_AMOUNT),
    "recurring": [INVOICE_PAID],
    "override": sorted(WITH_AMOUNT),
}
# The fields a rule of each kind takes besides the common ones, and the events it may run on (the plan builder's form).
KIND_FIELDS, ON_CHOICES = _KIND_FIELDS, _ON_CHOICES
_PLAN_FIELDS = ("code", "name", "currency", "fiscal_year_start_month", "valid_from", "valid_to", "applies_to", "rules")


def _plan_error(problem: str, *, rule: str | None = None, field: str | None = None) -> PlanError:
    if rule is not None and field is not None:
        message = _('rule "%(rule)s", field "%(field)s": %(problem)s') % {"rule": rule, "field": field, "problem": problem}
    elif rule is not None:
        message = _('rule "%(rule)s": %(problem)s') % {"rule": rule, "problem": problem}
    elif field is not None:
        message = _('field "%(field)s": %(problem)s') % {"field": field, "problem": problem}
    else:
        message = problem
    return PlanError(message, rule=rule, field=field, problem=problem)


class _Fields:
    """Reads and checks the fields of one JSON object of the plan (the plan, a rule, a bracket)."""

    def __init__(self, data: Mapping[str, Any], rule: str | None = None, prefix: str = "") -> None:
        self.data, self.rule, self.prefix = data, rule, prefix

    def fail(self, key: str, problem: str) -> NoReturn:
        raise _plan_error(problem, rule=self.rule, field=self.prefix + key)

    def refuse_unknown(self, allowed: Sequence[str], what: str) -> None:
        for key in self.data:
            if key not in allowed:
                self.fail(str(key), _("%(what)s has no such field; its fields are %(fields)s")
                          % {"what": what, "fields": ", ".join(allowed)})

    def given(self, key: str) -> bool:
        return self.data.get(key) is not None

    def optional(self, key: str, read: Callable[[str], T]) -> T | None:
        return read(key) if self.given(key) else None

    def value(self, key: str) -> Any:
        if not self.given(key):
            self.fail(key, _("is missing"))
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, _("must be a non-empty text"))
        return value.strip()

    def choice(self, key: str, choices: Sequence[str]) -> str:
        value = self.value(key)
        if value not in choices:
            self.fail(key, _("%(value)s is not one of %(choices)s") % {"value": shown(value), "choices": ", ".join(choices)})
        return str(value)

    def integer(self, key: str, minimum: int = 0, maximum: int = 10**MAX_DIGITS - 1) -> int:
        value = self.value(key)
        if type(value) is not int:
            self.fail(key, _("%(value)s is not a whole number (write it without quotes or decimals, such as 10000)")
                      % {"value": shown(value)})
        if not minimum <= value <= maximum:
            self.fail(key, _("must be between %(minimum)s and %(maximum)s") % {"minimum": minimum, "maximum": maximum})
        return value

    def rate(self, key: str) -> Decimal:
        value = self.value(key)
        if not isinstance(value, str) or not RATE_PATTERN.fullmatch(value):
            self.fail(key, _('%(value)s is not a decimal string such as "0.15" (in quotes, at most 12 decimals)')
                      % {"value": shown(value)})
        return Decimal(value)

    def day(self, key: str) -> date:
        value = self.value(key)
        parsed = iso_date(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail(key, _("%(value)s is not an ISO 8601 date such as 2026-04-01") % {"value": shown(value)})
        return parsed

    def names(self, key: str) -> frozenset[str]:
        value = self.value(key)
        if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
            self.fail(key, _("must be a non-empty list of texts"))
        return frozenset(item.strip() for item in value)


def parse_plan(data: Any) -> Plan:
    """The plan of a JSON document (already decoded), checked completely; `PlanError` otherwise."""
    if not isinstance(data, Mapping):
        raise _plan_error(_("a plan must be a JSON object"))
    fields = _Fields(data)
    fields.refuse_unknown(_PLAN_FIELDS, _("the plan"))
    code, name, currency = fields.text("code"), fields.text("name"), fields.text("currency")
    if currency != CURRENCY:
        # Amounts are whole yen from the deal to the 全銀 transfer; another currency would be silently paid as yen.
        fields.fail("currency", _('must be "JPY": commissions are computed and paid in yen only'))
    start_month = fields.integer("fiscal_year_start_month", minimum=1, maximum=12)
    valid_from, valid_to = fields.day("valid_from"), fields.day("valid_to")
    if valid_to < valid_from:
        fields.fail("valid_to", _("comes before valid_from"))
    partner_types = tiers = None
    if fields.given("applies_to"):
        if not isinstance(data["applies_to"], Mapping):
            fields.fail("applies_to", _("must be an object with partner_types and/or tiers"))
        limits = _Fields(data["applies_to"], prefix="applies_to.")
        limits.refuse_unknown(("partner_types", "tiers"), "applies_to")
        partner_types, tiers = limits.optional("partner_types", limits.names), limits.optional("tiers", limits.names)
    rules_data = fields.value("rules")
    if not isinstance(rules_data, list) or not rules_data:
        fields.fail("rules", _("must be a non-empty list of rules"))
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, rule_data in enumerate(rules_data, start=1):
        rule = _parse_rule(rule_data, position)
        if rule.id in seen:
            raise _plan_error(_("another rule has the same id"), rule=rule.id, field="id")
        seen.add(rule.id)
        rules.append(rule)
    return Plan(code=code, name=name, currency=currency, fiscal_year_start_month=start_month, valid_from=valid_from,
                valid_to=valid_to, partner_types=partner_types, tiers=tiers, rules=tuple(rules))


def _parse_rule(data: Any, position: int) -> Rule:
    label = f"#{position}"  # a rule without a usable id is named by its place in the list
    if isinstance(data, Mapping) and isinstance(data.get("id"), str) and data["id"].strip():
        label = data["id"].strip()
    if not isinstance(data, Mapping):
        raise _plan_error(_("must be a JSON object"), rule=label)
    fields = _Fields(data, rule=label)
    rule_id, kind = fields.text("id"), fields.choice("kind", list(RULE_KINDS))
    fields.refuse_unknown(_COMMON_FIELDS + _KIND_FIELDS[kind], _("a %(kind)s rule") % {"kind": kind})
    start, end = fields.optional("from", fields.day), fields.optional("to", fields.day)
    if start is not None and end is not None and end < start:
        fields.fail("to", _("comes before from"))
    cap_count = fields.optional("cap_count", lambda key: fields.integer(key, minimum=1))
    cap_period = fields.optional("cap_period", lambda key: fields.choice(key, PERIODS))
    if (cap_count is None) != (cap_period is None):
        fields.fail("cap_period" if cap_period is None else "cap_count",
                    _("is missing: a cap needs both cap_count and cap_period"))
    common: dict[str, Any] = {"id": rule_id, "products": fields.optional("products", fields.names), "start": start,
                              "end": end, "cap_count": cap_count, "cap_period": cap_period,
                              "names": _rule_names(fields)}
    if kind == "clawback":
        share = fields.optional("share", fields.rate)
        if share is not None and not 0 < share <= 1:
            fields.fail("share", _("must be more than 0 and at most 1"))
        return Clawback(on=DEAL_CANCELLED, within_days=fields.integer("within_days"),
                        share=Decimal(1) if share is None else share, **common)
    common["on"] = fields.choice("on", _ON_CHOICES[kind])
    if kind == "percent":
        return Percent(rate=fields.rate("rate"), **common)
    if kind == "fixed":
        return Fixed(amount=fields.integer("amount"), **common)
    if kind == "override":
        return Override(rate=fields.rate("rate"), **common)
    if kind == "recurring":
        return Recurring(rate=fields.rate("rate"), months=fields.integer("months", minimum=1, maximum=1200), **common)
    period = fields.choice("period", PERIODS)
    if kind == "threshold_bonus":
        return ThresholdBonus(period=period, threshold=fields.integer("threshold", minimum=1),
                              amount=fields.integer("amount"), **common)
    mode = fields.choice("mode", MODES)
    return Stepped(period=period, mode=mode, brackets=_brackets(fields, mode), **common)


NAME_LANGUAGES = ("ja", "en")


def _rule_names(fields: _Fields) -> tuple[tuple[str, str], ...]:
    """The optional `name`: a text (any language) or {"ja": "…", "en": "…"}."""
    if not fields.given("name"):
        return ()
    value = fields.data["name"]
    if isinstance(value, str):
        if not value.strip() or len(value) > 200:
            fields.fail("name", _("must be a text of 1 to 200 characters"))
        return (("", value.strip()),)
    if not isinstance(value, Mapping) or not value:
        fields.fail("name", _('must be a text or an object such as {"ja": "販売マージン", "en": "Resale margin"}'))
    names = []
    for language, text in value.items():
        if language not in NAME_LANGUAGES:
            fields.fail(f"name.{language}", _("is not a supported language; use %(languages)s")
                        % {"languages": ", ".join(NAME_LANGUAGES)})
        if not isinstance(text, str) or not text.strip() or len(text) > 200:
            fields.fail(f"name.{language}", _("must be a text of 1 to 200 characters"))
        names.append((language, text.strip()))
    return tuple(names)


def _brackets(fields: _Fields, mode: str) -> tuple[Bracket, ...]:
    value = fields.value("brackets")
    if not isinstance(value, list) or not value:
        fields.fail("brackets", _('must be a non-empty list such as [{"from": 0, "rate": "0.10"}]'))
    brackets: list[Bracket] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            fields.fail(f"brackets[{number}]", _('must be an object such as {"from": 0, "rate": "0.10"}'))
        bracket = _Fields(item, rule=fields.rule, prefix=f"brackets[{number}].")
        bracket.refuse_unknown(("from", "rate"), _("a bracket"))
        start, rate = bracket.integer("from"), bracket.rate("rate")
        if not brackets and start != 0:
            bracket.fail("from", _("the first bracket must start at 0"))
        if brackets and start <= brackets[-1].start:
            bracket.fail("from", _("brackets must ascend: %(start)s does not come after %(previous)s")
                         % {"start": start, "previous": brackets[-1].start})
        if brackets and mode == "retroactive" and rate < brackets[-1].rate:
            bracket.fail("rate", _("a retroactive rate cannot go down from one bracket to the next"))
        brackets.append(Bracket(start, rate))
    return tuple(brackets)
