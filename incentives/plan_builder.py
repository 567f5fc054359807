"""The plan builder: a plan document as a form — the plan's fields and one row per rule — and back.

The form only reads what people type (numbers with ASCII digits within prm.bounds, dates in the
business years, rates as percentages); whether the plan holds together is decided by
`engine.parse_plan`, the one validation, and its PlanError is put back on the row and field it
names. The preview runs `engine.compute` on a one-deal example: there is no second copy of the
rule maths here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incentives import engine, rule_text
from prm.bounds import MAX_DAYS, MAX_YEN, BusinessDateField, count_field, yen_field

MAX_RULES = 50
MAX_BRACKETS = 20
KINDS = list(engine.RULE_KINDS)

KIND_LABELS = {
    "percent": gettext_lazy("Percentage of the amount"),
    "fixed": gettext_lazy("Fixed amount per event"),
    "stepped": gettext_lazy("Stepped rate on the period's total"),
    "threshold_bonus": gettext_lazy("Bonus on reaching a target"),
    "recurring": gettext_lazy("Share of recurring invoices"),
    "override": gettext_lazy("Override to the distributor"),
    "clawback": gettext_lazy("Clawback on cancellation"),
}
EVENT_LABELS = {
    engine.DEAL_REGISTERED: gettext_lazy("Deal registration approved"),
    engine.DEAL_WON: gettext_lazy("Deal won"),
    engine.INVOICE_PAID: gettext_lazy("Invoice paid"),
    engine.CERTIFICATION_EARNED: gettext_lazy("Certification earned"),
    engine.SESSION_ATTENDED: gettext_lazy("Study session attended"),
}
PERIOD_LABELS = {"month": gettext_lazy("Month"), "quarter": gettext_lazy("Quarter"), "year": gettext_lazy("Fiscal year")}
MODE_LABELS = {"marginal": gettext_lazy("Each band at its own rate"),
               "retroactive": gettext_lazy("Whole amount at the rate reached")}

# The row's form fields each kind shows (besides id, kind, names, products, from/to and the cap).
KIND_INPUTS = engine.KIND_FIELDS
COMMON_INPUTS = ("products", "start", "end", "cap_count", "cap_period")
# Document field → form field, where they differ.
DOCUMENT_TO_FORM = {"from": "start", "to": "end", "name.ja": "name_ja", "name.en": "name_en", "name": "name_ja"}
CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,29}")
_BRACKET_FIELD = re.compile(r"brackets\[(\d+)\]\.(from|rate)")


class PercentField(forms.DecimalField):
    """A rate typed as a percentage (15 or 12.5); the document keeps it as a decimal string ("0.15")."""

    def __init__(self, label, **kwargs):
        super().__init__(label=label, required=False, min_value=Decimal(0), max_value=Decimal(100000), max_digits=20,
                         decimal_places=10, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").removesuffix("%").strip()
            if value and not value.isascii():
                raise forms.ValidationError(_("Enter a number using the digits 0-9."), code="invalid")
        return super().to_python(value)


def rate_to_percent(rate: str) -> str:
    """"0.15" → "15"; keeps the digits given, so the document comes back the same."""
    try:
        return f"{Decimal(rate).scaleb(2):f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(rate)


def percent_to_rate(percent: Decimal) -> str:
    value = percent.scaleb(-2)
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value:f}"


def _choices(labels: Mapping[str, Any], blank: bool = True) -> list[tuple[str, Any]]:
    return ([("", "—")] if blank else []) + list(labels.items())


class PlanFieldsForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Plan code"), max_length=60,
                           help_text=gettext_lazy("Letters, digits and hyphens; used in file names. Cannot change later."))
    name = forms.CharField(label=gettext_lazy("Plan name"), max_length=200)
    fiscal_year_start_month = forms.TypedChoiceField(
        label=gettext_lazy("Fiscal year starts in"), coerce=int, choices=list(MONTHS.items()),
        help_text=gettext_lazy("Quarters and yearly caps count from this month."))
    valid_from = BusinessDateField(label=gettext_lazy("Valid from"))
    valid_to = BusinessDateField(label=gettext_lazy("Valid to"),
                                 help_text=gettext_lazy("Events after this day earn nothing under this plan."))
    partner_types = forms.MultipleChoiceField(label=gettext_lazy("Partner types"), required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text=gettext_lazy("None ticked: every partner type."))
    tiers = forms.MultipleChoiceField(label=gettext_lazy("Tiers"), required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text=gettext_lazy("None ticked: every tier."))

    def __init__(self, *args, type_choices=(), tier_choices=(), code_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner_types"].choices = list(type_choices)
        self.fields["tiers"].choices = list(tier_choices)
        if code_locked:
            self.fields["code"].disabled = True


class RuleForm(forms.Form):
    """One rule row. Nothing is required here: a field the kind needs and the row lacks is reported by the engine."""

    id = forms.CharField(label=gettext_lazy("Rule ID"), max_length=80, required=False,
                         help_text=gettext_lazy("Letters, digits and hyphens; the ledger keeps it. Do not change it "
                                                "once the plan has paid."))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=_choices(KIND_LABELS, blank=False))
    name_ja = forms.CharField(label=gettext_lazy("Name (Japanese)"), max_length=200, required=False,
                              help_text=gettext_lazy("Shown on statements; empty: a name made from what the rule pays."))
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    on = forms.ChoiceField(label=gettext_lazy("Pays on"), required=False, choices=_choices(EVENT_LABELS))
    rate = PercentField(gettext_lazy("Rate (%)"), help_text=gettext_lazy("Of the won amount or the paid invoice; "
                                                                          "15 means 15%."))
    amount = yen_field(gettext_lazy("Amount (¥)"), required=False)
    period = forms.ChoiceField(label=gettext_lazy("Counted per"), required=False, choices=_choices(PERIOD_LABELS),
                               help_text=gettext_lazy("The total that decides the rate or the bonus starts again "
                                                      "each period."))
    mode = forms.ChoiceField(label=gettext_lazy("How the rate applies"), required=False, choices=_choices(MODE_LABELS))
    threshold = yen_field(gettext_lazy("Target (¥)"), required=False, allow_zero=False,
                          help_text=gettext_lazy("Paid once per partner and period, when its total reaches this."))
    months = count_field(gettext_lazy("For how many months"), required=False, min_value=1, max_value=1200,
                         help_text=gettext_lazy("Invoices paid up to this many months after the win share revenue."))
    within_days = count_field(gettext_lazy("Within days of the win"), required=False, max_value=MAX_DAYS,
                              help_text=gettext_lazy("A cancellation this many days after the win or sooner gives "
                                                     "the deal's commission back."))
    share = PercentField(gettext_lazy("Share given back (%)"),
                         help_text=gettext_lazy("100 gives everything back; empty means 100."))
    products = forms.CharField(label=gettext_lazy("Only for products"), max_length=2000, required=False,
                               help_text=gettext_lazy("Product codes separated by commas; empty: every product."))
    start = BusinessDateField(label=gettext_lazy("Rule from"), required=False)
    end = BusinessDateField(label=gettext_lazy("Rule to"), required=False,
                            help_text=gettext_lazy("Empty: the plan's whole validity."))
    cap_count = count_field(gettext_lazy("At most (times)"), required=False, min_value=1)
    cap_period = forms.ChoiceField(label=gettext_lazy("per"), required=False, choices=_choices(PERIOD_LABELS))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        events = engine.ON_CHOICES.get(self.kind_value())
        if events is not None:  # only the events the engine lets this kind run on
            self.fields["on"].choices = [("", "—")] + [(event, EVENT_LABELS[event]) for event in events]

    def inputs(self) -> list[str]:
        """The form fields this row shows for its kind, in order."""
        kind = self.kind_value()
        return [name for name in KIND_INPUTS.get(kind, ()) if name != "brackets"]

    def kind_value(self) -> str:
        value = self.data.get(self.add_prefix("kind")) if self.is_bound else self.initial.get("kind")
        return value if value in engine.RULE_KINDS else "percent"


@dataclass
class Bracket:
    start: str = ""
    rate: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Row:
    key: int
    form: RuleForm
    brackets: list[Bracket]
    errors: list[str] = field(default_factory=list)  # problems of the row as a whole
    preview: int | None = None
    description: str = ""

    @property
    def kind(self) -> str:
        return self.form.kind_value()

    @property
    def fields(self):
        return [self.form[name] for name in self.form.inputs()]

    @property
    def common_fields(self):
        return [self.form[name] for name in COMMON_INPUTS]

    @property
    def has_brackets(self) -> bool:
        return self.kind == "stepped"


# --------------------------------------------------------------------------- document ↔ form data


def initial_data(document: Mapping[str, Any]) -> dict[str, Any]:
    """The builder's POST-like data for a plan document (to show it in the form)."""
    applies = document.get("applies_to") if isinstance(document.get("applies_to"), Mapping) else {}
    data: dict[str, Any] = {
        "code": document.get("code", ""), "name": document.get("name", ""),
        "fiscal_year_start_month": str(document.get("fiscal_year_start_month", 4)),
        "valid_from": document.get("valid_from", ""), "valid_to": document.get("valid_to", ""),
        "partner_types": [str(v) for v in _listed(applies.get("partner_types"))],
        "tiers": [str(v) for v in _listed(applies.get("tiers"))],
        "rows": [],
    }
    for key, rule in enumerate(_listed(document.get("rules"))[:MAX_RULES], start=1):
        if not isinstance(rule, Mapping):
            continue
        data["rows"].append(str(key))
        prefix = f"r{key}-"
        name = rule.get("name")
        names = name if isinstance(name, Mapping) else ({"ja": name} if isinstance(name, str) else {})
        values = {"id": rule.get("id", ""), "kind": rule.get("kind", "percent"), "name_ja": names.get("ja", ""),
                  "name_en": names.get("en", ""), "on": rule.get("on", ""), "period": rule.get("period", ""),
                  "mode": rule.get("mode", ""), "start": rule.get("from", ""), "end": rule.get("to", ""),
                  "cap_period": rule.get("cap_period", ""),
                  "products": ", ".join(str(item) for item in _listed(rule.get("products")))}
        for name in ("amount", "threshold", "months", "within_days", "cap_count"):
            values[name] = "" if rule.get(name) is None else str(rule[name])
        for name in ("rate", "share"):
            values[name] = "" if rule.get(name) is None else rate_to_percent(rule[name])
        brackets = [bracket for bracket in _listed(rule.get("brackets")) if isinstance(bracket, Mapping)]
        for bracket_number, bracket in enumerate(brackets, start=1):
            values[f"b{bracket_number}-from"] = str(bracket.get("from", ""))
            values[f"b{bracket_number}-rate"] = rate_to_percent(bracket.get("rate", ""))
        values["brackets"] = str(len(brackets))
        data.update({prefix + name: value for name, value in values.items()})
    return data


def _listed(value) -> list:
    return value if isinstance(value, list) else []


class QueryDictLike(dict):
    """initial_data as something forms read like request.POST (getlist for the ticked boxes)."""

    def getlist(self, key, default=None):
        value = self.get(key, default if default is not None else [])
        return value if isinstance(value, list) else [value]


@dataclass
class Builder:
    plan_form: PlanFieldsForm
    rows: list[Row]
    errors: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None
    plan: engine.Plan | None = None

    @property
    def ok(self) -> bool:
        return self.plan is not None


def row_keys(data) -> list[int]:
    keys: list[int] = []
    for text in data.getlist("rows")[:MAX_RULES]:
        if text.isascii() and text.isdigit() and len(text) <= 4 and int(text) not in keys:
            keys.append(int(text))
    return keys


def row_of(data, key: int, *, add_bracket: bool = False) -> Row:
    """The posted row `key` (its fields prefixed r<key>-, brackets r<key>-b<n>-from/-rate)."""
    prefix = f"r{key}-"
    count = _bracket_count(data, prefix)
    if add_bracket and count < MAX_BRACKETS:
        count += 1
    brackets = [Bracket(str(data.get(f"{prefix}b{n}-from", "") or "")[:40], str(data.get(f"{prefix}b{n}-rate", "") or "")[:40])
                for n in range(1, count + 1)]
    if not brackets:
        brackets = [Bracket("0", "")]
    return Row(key, RuleForm(data, prefix=f"r{key}"), brackets)


def _bracket_count(data, prefix: str) -> int:
    text = str(data.get(prefix + "brackets", "") or "")
    count = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else 0
    return min(count, MAX_BRACKETS)


def build(data, *, type_choices, tier_choices, code_locked_to: str | None = None,
          operation: str = "") -> Builder:
    """Read the posted builder; apply an add/remove/move operation; make the document and check it with the engine."""
    keys = row_keys(data)
    if operation == "add" and len(keys) < MAX_RULES:
        keys.append(max(keys, default=0) + 1)
    elif operation.startswith(("remove:", "up:", "down:")):
        verb, _sep, target = operation.partition(":")
        if target.isascii() and target.isdigit() and int(target) in keys:
            index = keys.index(int(target))
            if verb == "remove":
                keys.pop(index)
            elif verb == "up" and index > 0:
                keys[index - 1], keys[index] = keys[index], keys[index - 1]
            elif verb == "down" and index + 1 < len(keys):
                keys[index + 1], keys[index] = keys[index], keys[index + 1]
    plan_form = PlanFieldsForm(data, type_choices=type_choices, tier_choices=tier_choices,
                               code_locked=code_locked_to is not None,
                               initial={"code": code_locked_to} if code_locked_to else None)
    rows = [row_of(data, key, add_bracket=operation == f"bracket:{key}") for key in keys]
    builder = Builder(plan_form, rows)
    valid = plan_form.is_valid()
    for row in rows:
        valid = row.form.is_valid() and valid
    if not rows:
        builder.errors.append(_("Add at least one rule."))
        valid = False
    if not valid:
        return builder
    document = to_document(plan_form.cleaned_data, rows, builder)
    if document is None:
        return builder
    builder.document = document
    try:
        builder.plan = engine.parse_plan(document)
    except engine.PlanError as error:
        place_error(builder, error)
    return builder


def _bracket_number(text: str, row: Row, index: int, name: str) -> int | str | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    if name == "from":
        if text.isascii() and text.isdigit() and len(text) <= 13 and int(text) <= MAX_YEN:
            return int(text)
        row.brackets[index].errors.setdefault("from", []).append(
            _("Enter a whole number of yen from 0 to %(max)s using the digits 0-9.") % {"max": f"{MAX_YEN:,}"})
        return ""
    try:
        percent = PercentField("").clean(text)
    except forms.ValidationError as error:
        row.brackets[index].errors.setdefault("rate", []).extend(error.messages)
        return ""
    return percent_to_rate(percent) if percent is not None else None


def to_document(plan_data: Mapping[str, Any], rows: list[Row], builder: Builder) -> dict[str, Any] | None:
    """The plan document of a cleaned builder; None when a bracket cannot be read (its error is on it)."""
    document: dict[str, Any] = {
        "code": plan_data["code"], "name": plan_data["name"], "currency": engine.CURRENCY,
        "fiscal_year_start_month": plan_data["fiscal_year_start_month"],
        "valid_from": plan_data["valid_from"].isoformat(), "valid_to": plan_data["valid_to"].isoformat(),
    }
    applies = {key: list(plan_data[key]) for key in ("partner_types", "tiers") if plan_data.get(key)}
    if applies:
        document["applies_to"] = applies
    rules = []
    readable = True
    for row in rows:
        cleaned = row.form.cleaned_data
        kind = cleaned["kind"]
        rule: dict[str, Any] = {"id": cleaned["id"], "kind": kind}
        names = {language: cleaned[f"name_{language}"].strip() for language in ("ja", "en")
                 if cleaned.get(f"name_{language}", "").strip()}
        if names:
            rule["name"] = names
        for name in engine.KIND_FIELDS[kind]:
            if name == "brackets":
                brackets = []
                for index, bracket in enumerate(row.brackets):
                    start = _bracket_number(bracket.start, row, index, "from")
                    rate = _bracket_number(bracket.rate, row, index, "rate")
                    if start == "" or rate == "":
                        readable = False
                    if start is None and rate is None:
                        continue
                    brackets.append({key: value for key, value in (("from", start), ("rate", rate))
                                     if value is not None})
                rule["brackets"] = brackets
                continue
            value = cleaned.get(name)
            if value is None or value == "":
                continue
            rule[name] = percent_to_rate(value) if name in ("rate", "share") else value
        products = [item.strip() for item in (cleaned.get("products") or "").split(",") if item.strip()]
        if products:
            rule["products"] = products
        for form_name, doc_name in (("start", "from"), ("end", "to")):
            if cleaned.get(form_name):
                rule[doc_name] = cleaned[form_name].isoformat()
        if cleaned.get("cap_count") is not None:
            rule["cap_count"] = cleaned["cap_count"]
        if cleaned.get("cap_period"):
            rule["cap_period"] = cleaned["cap_period"]
        rules.append(rule)
    document["rules"] = rules
    return document if readable else None


def place_error(builder: Builder, error: engine.PlanError) -> None:
    """Put the engine's refusal on the row and field it names (a rule is named by its id, or #n by its place)."""
    problem = error.problem
    if error.rule is None:
        form = builder.plan_form
        name = (error.field or "").split(".")[-1]
        if name in form.fields:
            form.add_error(name, problem)
        else:
            builder.errors.append(error.message)
        return
    row = _row_for(builder.rows, error.rule, error.field)
    if row is None:
        builder.errors.append(error.message)
        return
    name = error.field or ""
    match = _BRACKET_FIELD.fullmatch(name)
    if match:
        index = int(match.group(1)) - 1
        if 0 <= index < len(row.brackets):
            row.brackets[index].errors.setdefault(match.group(2), []).append(problem)
            return
    name = DOCUMENT_TO_FORM.get(name, name)
    if name in row.form.fields and name != "brackets":
        row.form.add_error(name, problem)
    else:
        row.errors.append(problem if not name else _("%(field)s: %(problem)s") % {
            "field": _field_label(name), "problem": problem})


def _field_label(name: str) -> str:
    if name.startswith("brackets"):
        return _("Brackets")
    return str(RuleForm.base_fields[name].label) if name in RuleForm.base_fields else name


def _row_for(rows: list[Row], label: str, field_name: str | None) -> Row | None:
    if label.startswith("#") and label[1:].isdigit():
        index = int(label[1:]) - 1
        return rows[index] if 0 <= index < len(rows) else None
    matching = [row for row in rows if (row.form.cleaned_data.get("id") or "") == label]
    if not matching:
        return None
    return matching[1] if field_name == "id" and len(matching) > 1 else matching[0]


# --------------------------------------------------------------------------- preview


class ExampleForm(forms.Form):
    example_amount = yen_field(gettext_lazy("Example won amount (¥)"), initial=1_000_000)
    example_day = BusinessDateField(label=gettext_lazy("Example day"))


EXAMPLE_PARTNER, EXAMPLE_PARENT = "example", "example-distributor"


def example_events(amount: int, day: date) -> list[engine.Event]:
    """One deal of the example partner: registered, won and its first invoice paid on `day`, then cancelled
    the same day; plus a certification and a study session — so each rule kind has its event."""
    deal = "example-deal"
    return [
        engine.Event("e1", day, EXAMPLE_PARTNER, engine.DEAL_REGISTERED, None, deal),
        engine.Event("e2", day, EXAMPLE_PARTNER, engine.DEAL_WON, amount, deal),
        engine.Event("e3", day, EXAMPLE_PARTNER, engine.INVOICE_PAID, amount, deal),
        engine.Event("e4", day, EXAMPLE_PARTNER, engine.CERTIFICATION_EARNED),
        engine.Event("e5", day, EXAMPLE_PARTNER, engine.SESSION_ATTENDED),
        engine.Event("e6", day, EXAMPLE_PARTNER, engine.DEAL_CANCELLED, None, deal),
    ]


def example_partners(plan: engine.Plan) -> dict[str, engine.PartnerInfo]:
    """A partner the plan applies to (its first type and tier), under a distributor for override rules."""
    partner_type = sorted(plan.partner_types)[0] if plan.partner_types else ""
    tier = sorted(plan.tiers)[0] if plan.tiers else ""
    return {EXAMPLE_PARTNER: engine.PartnerInfo(EXAMPLE_PARTNER, partner_type, tier, EXAMPLE_PARENT),
            EXAMPLE_PARENT: engine.PartnerInfo(EXAMPLE_PARENT, partner_type, tier)}


def preview(plan: engine.Plan, amount: int, day: date) -> dict[str, int]:
    """What each rule pays on the example deal (a clawback's reversal negative): {rule id: yen}."""
    result = engine.compute(plan, example_events(amount, day), example_partners(plan))
    paid = {rule.id: 0 for rule in plan.rules}
    for partner in result.partners.values():
        for line in partner.lines:
            paid[line.rule] += line.amount
    return paid


def attach_preview(builder: Builder, amount: int | None, day: date | None) -> None:
    if not builder.ok or amount is None or day is None:
        return
    paid = preview(builder.plan, amount, day)
    for row, rule in zip(builder.rows, builder.plan.rules, strict=False):
        row.preview = paid.get(rule.id, 0)
        row.description = rule_text.rule_description(rule)


def default_example() -> dict[str, Any]:
    return {"example_amount": 1_000_000, "example_day": timezone.localdate()}
