"""Who did what to money: every approval, hold, payment and plan change is recorded here.

An entry stores the action's code and its parameters (`record(actor=…, action=…, obj=…, **changes)`),
never a sentence: the audit log writes each entry as a sentence at display time, in the reader's
language, like a ledger — who, when, what, and before → after in words and yen.

Registering the sentence of a new action (one line, at import time of the module that records it,
or in its AppConfig.ready):

    from django.utils.translation import gettext_lazy as _
    from incentives import audit
    audit.register("invoice_payment_recorded", _("%(actor)s recorded a payment of %(amount)s from %(partner)s"))

The sentence may use %(actor)s, %(partner)s, %(object)s (what the entry is about: "the payout for
October 2026", a plan and version…), %(period)s, and every key of the recorded changes, already
written for people: yen for amounts, dates in words, statuses by their labels, [before, after]
pairs as "before → after". A parameter the entry does not have shows as "—". A field name that
the reader sees (in the fallback) comes from FIELD_LABELS; add yours with `label_field`:

    audit.label_field("won_amount", _("won amount"), yen=True)

An action nobody registered still reads as a sentence: the action's label (ACTION_LABELS, or one
made from WORD_LABELS) and each change as 「項目：前 → 後」.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from incentives.models import AuditEntry
from prm.formatting import _EN_MONTHS, format_date, format_yen


def record(*, actor, action: str, obj, **changes) -> AuditEntry:
    partner_id = None if action in MANY_PARTNERS else _partner_of(obj)
    return AuditEntry.objects.create(actor=actor, action=action, object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk), partner_id=partner_id, changes=_jsonable(changes))


def _partner_of(obj) -> int | None:
    """The partner an entry concerns, for the log's partner filter: the partner itself, or the one its object names."""
    if obj._meta.label_lower == "partners.partner":
        return obj.pk
    partner_id = getattr(obj, "partner_id", None)
    if partner_id is None and hasattr(obj, "deal_id"):
        partner_id = getattr(getattr(obj, "deal", None), "partner_id", None)
    return partner_id


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# --------------------------------------------------------------------------- the registry

SENTENCES: dict[str, Promise | str] = {}
ACTION_LABELS: dict[str, Promise | str] = {}
# Actions about many partners at once (the object recorded is only one of them): no partner of their own.
MANY_PARTNERS: set[str] = set()


def register(action: str, sentence: Promise | str, label: Promise | str | None = None, *,
             many_partners: bool = False) -> None:
    """The sentence (a lazy translation with %(name)s parameters) an entry of `action` reads as;
    `label` names the action in the log's filter (default: made from the code's words);
    `many_partners` when the recorded object stands for a batch (payouts built for a month)."""
    SENTENCES[action] = sentence
    if label is not None:
        ACTION_LABELS[action] = label
    if many_partners:
        MANY_PARTNERS.add(action)


@dataclass(frozen=True)
class FieldLabel:
    label: Promise | str
    yen: bool = False


FIELD_LABELS: dict[str, FieldLabel] = {}


def label_field(name: str, label: Promise | str, *, yen: bool = False) -> None:
    FIELD_LABELS[name] = FieldLabel(label, yen)


for _name, _label, _yen in (
    ("status", gettext_lazy("status"), False),
    ("total", gettext_lazy("total"), True),
    ("amount", gettext_lazy("amount"), True),
    ("budget", gettext_lazy("budget"), True),
    ("won_amount", gettext_lazy("won amount"), True),
    ("subtotal", gettext_lazy("subtotal"), True),
    ("tax", gettext_lazy("consumption tax"), True),
    ("count", gettext_lazy("number"), False),
    ("period", gettext_lazy("period"), False),
    ("plan", gettext_lazy("plan"), False),
    ("version", gettext_lazy("version"), False),
    ("partner", gettext_lazy("partner"), False),
    ("note", gettext_lazy("note"), False),
    ("reason", gettext_lazy("reason"), False),
    ("won_on", gettext_lazy("won on"), False),
    ("paid_on", gettext_lazy("paid on"), False),
    ("before", gettext_lazy("before"), False),
    ("after", gettext_lazy("after"), False),
    ("separate_approval_and_payment", gettext_lazy("separation of approval and payment"), False),
    ("bank_code", gettext_lazy("bank code"), False),
    ("bank_name", gettext_lazy("bank name"), False),
    ("branch_code", gettext_lazy("branch code"), False),
    ("branch_name", gettext_lazy("branch name"), False),
    ("account_type", gettext_lazy("account type"), False),
    ("account_number", gettext_lazy("account number"), False),
    ("account_holder", gettext_lazy("account holder"), False),
):
    label_field(_name, _label, yen=_yen)

# Words of action codes and field names, for what nobody registered: deal_win_corrected → 商談・受注・訂正.
WORD_LABELS: dict[str, Promise] = {
    "deal": pgettext_lazy("audit word", "deal"), "win": pgettext_lazy("audit word", "win"),
    "won": pgettext_lazy("audit word", "win"), "invoice": pgettext_lazy("audit word", "invoice"),
    "payment": pgettext_lazy("audit word", "payment"), "payout": pgettext_lazy("audit word", "payout"),
    "statement": pgettext_lazy("audit word", "statement"), "settings": pgettext_lazy("audit word", "settings"),
    "plan": pgettext_lazy("audit word", "plan"), "mdf": pgettext_lazy("audit word", "MDF"),
    "bank": pgettext_lazy("audit word", "bank"), "account": pgettext_lazy("audit word", "account"),
    "tier": pgettext_lazy("audit word", "tier"), "partner": pgettext_lazy("audit word", "partner"),
    "amount": pgettext_lazy("audit word", "amount"), "date": pgettext_lazy("audit word", "date"),
    "created": pgettext_lazy("audit word", "created"), "recorded": pgettext_lazy("audit word", "recorded"),
    "changed": pgettext_lazy("audit word", "changed"), "updated": pgettext_lazy("audit word", "changed"),
    "corrected": pgettext_lazy("audit word", "corrected"), "cancelled": pgettext_lazy("audit word", "cancelled"),
    "deleted": pgettext_lazy("audit word", "deleted"), "approved": pgettext_lazy("audit word", "approved"),
    "rejected": pgettext_lazy("audit word", "rejected"), "confirmed": pgettext_lazy("audit word", "confirmed"),
    "disputed": pgettext_lazy("audit word", "disputed"), "paid": pgettext_lazy("audit word", "paid"),
    "published": pgettext_lazy("audit word", "published"), "requested": pgettext_lazy("audit word", "requested"),
    "claimed": pgettext_lazy("audit word", "claimed"), "held": pgettext_lazy("audit word", "held"),
    "released": pgettext_lazy("audit word", "released"),
}

register("payouts_built", gettext_lazy("%(actor)s prepared %(count)s payouts for %(period)s for review"),
         gettext_lazy("Payouts prepared"), many_partners=True)
register("payout_approved", gettext_lazy("%(actor)s approved the payout to %(partner)s for %(period)s (%(total)s)"),
         gettext_lazy("Payout approved"))
register("payout_held", gettext_lazy("%(actor)s held the payout to %(partner)s for %(period)s (%(total)s); "
                                     "status: %(status)s"), gettext_lazy("Payout held"))
register("payout_released", gettext_lazy("%(actor)s released the payout to %(partner)s for %(period)s (%(total)s) "
                                         "back to review"), gettext_lazy("Payout released"))
register("payout_paid", gettext_lazy("%(actor)s marked the payout to %(partner)s for %(period)s as paid (%(total)s)"),
         gettext_lazy("Payout paid"))
register("payout_reapproved", gettext_lazy("%(actor)s re-approved the payout to %(partner)s for %(period)s "
                                           "(%(total)s) to the new bank account: %(before)s → %(after)s"),
         gettext_lazy("Payout re-approved"))
register("payout_settings_changed", gettext_lazy("%(actor)s changed the payout settings: separation of approval and "
                                                 "payment is now %(separate_approval_and_payment)s"),
         gettext_lazy("Payout settings changed"))
register("mdf_requested", gettext_lazy("%(actor)s requested MDF for %(partner)s: %(object)s, budget %(budget)s"),
         gettext_lazy("MDF requested"))
register("mdf_approved", gettext_lazy("%(actor)s approved the MDF request of %(partner)s (%(object)s) for %(amount)s"),
         gettext_lazy("MDF approved"))
register("mdf_rejected", gettext_lazy("%(actor)s rejected the MDF request of %(partner)s (%(object)s): %(note)s"),
         gettext_lazy("MDF rejected"))
register("mdf_claimed", gettext_lazy("%(actor)s claimed %(amount)s for the MDF activity of %(partner)s (%(object)s)"),
         gettext_lazy("MDF claimed"))
register("plan_published", gettext_lazy("%(actor)s published %(object)s"), gettext_lazy("Plan published"))
register("plan_draft_saved", gettext_lazy("%(actor)s saved %(object)s as a draft"), gettext_lazy("Plan draft saved"))
register("bank_account_changed", gettext_lazy("%(actor)s changed the bank account of %(partner)s: %(before)s → "
                                              "%(after)s"), gettext_lazy("Bank account changed"))


# --------------------------------------------------------------------------- what an entry is about

# object_type → function(ids) → {id: {"object": …, "partner": …, "period": …}}: batched per page.
OBJECT_LOADERS: dict[str, Callable[[list[str]], dict[str, dict[str, str]]]] = {}


def register_object(object_type: str, loader: Callable[[list[str]], dict[str, dict[str, str]]]) -> None:
    OBJECT_LOADERS[object_type] = loader


def _ints(ids: Iterable[str]) -> list[int]:
    return [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) < 19]


def _load_payouts(ids: list[str]) -> dict[str, dict[str, str]]:
    from incentives.models import Payout

    return {str(p.pk): {"object": _("the payout for %(period)s") % {"period": format_month(p.period)},
                        "partner": p.partner.name, "period": format_month(p.period)}
            for p in Payout.objects.filter(pk__in=_ints(ids)).select_related("partner")}


def _load_mdf(ids: list[str]) -> dict[str, dict[str, str]]:
    from incentives.models import MdfRequest

    return {str(r.pk): {"object": _("“%(activity)s”") % {"activity": r.activity}, "partner": r.partner.name}
            for r in MdfRequest.objects.filter(pk__in=_ints(ids)).select_related("partner")}


def _load_versions(ids: list[str]) -> dict[str, dict[str, str]]:
    from incentives.models import PlanVersion

    return {str(v.pk): {"object": _("version %(number)s of the plan %(plan)s") % {"number": v.number,
                                                                                  "plan": v.plan.name}}
            for v in PlanVersion.objects.filter(pk__in=_ints(ids)).select_related("plan")}


def _load_partners(ids: list[str]) -> dict[str, dict[str, str]]:
    from partners.selectors import partner_names

    return {str(pk): {"object": name, "partner": name} for pk, name in partner_names(_ints(ids)).items()}


register_object("incentives.payout", _load_payouts)
register_object("incentives.mdfrequest", _load_mdf)
register_object("incentives.planversion", _load_versions)
register_object("partners.partner", _load_partners)


# --------------------------------------------------------------------------- writing values

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def format_month(value: date) -> str:
    """2026年10月 / Oct 2026."""
    if (translation.get_language() or "ja").startswith("ja"):
        return f"{value.year}年{value.month}月"
    return f"{_EN_MONTHS[value.month - 1]} {value.year}"


def field_label(name: str) -> str:
    known = FIELD_LABELS.get(name)
    if known is not None:
        return str(known.label)
    words = [str(WORD_LABELS[word]) for word in name.split("_") if word in WORD_LABELS]
    return _(" ").join(words) if words else _("other detail")


def _status_label(value: str) -> str:
    from incentives.models import MdfRequest, Payout, PlanVersion

    for choices in (Payout.Status, MdfRequest.Status, PlanVersion.Status):
        if value in choices.values:
            return str(choices(value).label)
    return value


def format_value(name: str, value) -> str:
    """One recorded value as people read it: yen, dates in words, yes/no, statuses and bank accounts by label."""
    from partners import japan

    known = FIELD_LABELS.get(name)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("on") if value else _("off")
    if isinstance(value, list):
        if len(value) == 2 and not any(isinstance(item, (list, dict)) for item in value):
            return _("%(before)s → %(after)s") % {"before": format_value(name, value[0]),
                                                   "after": format_value(name, value[1])}
        return _(", ").join(format_value(name, item) for item in value)
    if isinstance(value, dict):
        if any(key in value for key in ("bank_code", "account_number")):
            return japan.bank_account_text(value)
        return _(", ").join(_("%(field)s: %(value)s") % {"field": field_label(key), "value": format_value(key, item)}
                            for key, item in value.items())
    if isinstance(value, (int, float)) and (known is not None and known.yen or name.endswith(("_yen", "amount"))):
        return format_yen(int(value))
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value):
            try:
                return format_date(date.fromisoformat(value))
            except ValueError:
                return value
        if name == "status":
            return _status_label(value)
        return value
    return str(value)


# --------------------------------------------------------------------------- entries as sentences


class _Params(dict):
    """A parameter the entry does not have reads as "—" rather than failing the page."""

    def __missing__(self, key):
        return "—"


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    words = [str(WORD_LABELS[word]) for word in action.split("_") if word in WORD_LABELS]
    return _(" ").join(words) if words else _("Change recorded")


def actor_name(entry: AuditEntry) -> str:
    return entry.actor.get_short_name() if entry.actor_id and entry.actor else _("The system")


def describe(entry: AuditEntry, about: dict[str, str] | None = None) -> str:
    """The entry as one sentence in the active language. `about` is what `context_for` found for its object."""
    about = about or {}
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    params = _Params({key: format_value(key, value) for key, value in changes.items()})
    if isinstance(changes.get("period"), str) and _ISO_DATE.fullmatch(changes["period"]):
        try:
            params["period"] = format_month(date.fromisoformat(changes["period"]))
        except ValueError:
            pass
    for key in ("partner", "period", "object"):
        if about.get(key) and (key != "partner" or "partner" not in changes):
            params[key] = about[key]
    params.setdefault("object", about.get("object") or action_label(entry.action))
    params["actor"] = actor_name(entry)
    sentence = SENTENCES.get(entry.action)
    if sentence is not None:
        return str(sentence) % params
    summary = entry.summary  # entries whose values need more than a sentence template (settings, win changes …)
    if summary:
        return _("%(actor)s: %(summary)s") % {"actor": params["actor"], "summary": summary}
    details = _("; ").join(_("%(field)s: %(value)s") % {"field": field_label(key), "value": format_value(key, value)}
                           for key, value in changes.items())
    text = _("%(actor)s: %(action)s") % {"actor": params["actor"], "action": action_label(entry.action)}
    if about.get("partner"):
        text = _("%(text)s (%(partner)s)") % {"text": text, "partner": about["partner"]}
    return _("%(text)s — %(details)s") % {"text": text, "details": details} if details else text


def context_for(entries: Iterable[AuditEntry]) -> dict[tuple[str, str], dict[str, str]]:
    """What each entry's object is, looked up once per object type for a page of entries."""
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    found: dict[tuple[str, str], dict[str, str]] = {}
    for object_type, ids in wanted.items():
        loader = OBJECT_LOADERS.get(object_type)
        if loader is not None:
            for object_id, about in loader(sorted(ids)).items():
                found[(object_type, object_id)] = about
    return found


@dataclass(frozen=True)
class Line:
    entry: AuditEntry
    when: datetime
    actor: str
    action: str
    partner: str
    sentence: str


def lines(entries: Iterable[AuditEntry]) -> list[Line]:
    """A page of entries as the ledger shows them, in the active language."""
    entries = list(entries)
    context = context_for(entries)
    result = []
    for entry in entries:
        about = dict(context.get((entry.object_type, entry.object_id), {}))
        if entry.action in MANY_PARTNERS:
            about.pop("partner", None)
        if not about.get("partner") and entry.partner_id and entry.partner:
            about["partner"] = entry.partner.name
        result.append(Line(entry, entry.created_at, actor_name(entry), action_label(entry.action),
                           about.get("partner", ""), describe(entry, about)))
    return result
