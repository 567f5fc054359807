"""Deal registration (案件登録): registering, conflict rules, approval, stages, expiry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from urllib.parse import urlsplit

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from deals import matching
from deals.models import (
    CUSTOMER_KEYS,
    DECIDED_STAGES,
    HOLDING_STAGES,
    OPEN_STAGES,
    PROTECTED_STAGES,
    DealEvent,
    DealMeeting,
    DealRegistration,
    DealSettings,
    DirectAccount,
    ExtensionRequest,
    Priority,
    RuleMode,
    Stage,
    WinCorrection,
)
from partners import japan
from partners.access import require_partner_member, require_vendor_staff
from partners.models import Partner, SignalKind
from partners.selectors import contact_of_user, staff_for
from partners.selectors.lifecycle import deals_allowed
from partners.services import signal_record
from prm import events, locks
from prm import messages as msg
from prm.accounts.models import User
from prm.bounds import MAX_YEN, validate_business_date
from prm.formatting import format_date
from prm.notifications.services import Message, notify, notify_all
from prm.reads import ModelRows, fetch_rows
from prm.tenancy.urls import reverse_path

TRANSITIONS: dict[str, set[str]] = {
    Stage.REGISTERED: {Stage.APPROVED, Stage.REJECTED, Stage.CANCELLED},
    Stage.APPROVED: {Stage.PROPOSAL, Stage.NEGOTIATION, Stage.WON, Stage.LOST, Stage.CANCELLED, Stage.EXPIRED},
    Stage.PROPOSAL: {Stage.NEGOTIATION, Stage.WON, Stage.LOST, Stage.CANCELLED, Stage.EXPIRED},
    Stage.NEGOTIATION: {Stage.WON, Stage.LOST, Stage.CANCELLED, Stage.EXPIRED},
}


class NotYetSigned(PermissionDenied):
    """A partner still in planning or recruiting registers a deal, and its vendor does not allow that."""

    def __init__(self) -> None:
        super().__init__(_("Your company can register deals once the partnership agreements are signed. "
                           "Please contact your channel manager."))


PARTNER_MOVES = {Stage.PROPOSAL, Stage.NEGOTIATION, Stage.LOST, Stage.CANCELLED}  # won: deal_win_report


# --------------------------------------------------------------------------- customer keys and conflicts


def customer_keys_for(customer_name: str, corporate_number: str, web_domain: str) -> matching.CustomerKeys:
    return matching.customer_keys(customer_name, corporate_number, web_domain)


def apply_keys(record, keys: matching.CustomerKeys) -> None:
    # Normalisation can, rarely, lengthen a name; both sides of a comparison are cut the same way.
    record.name_key = keys.name_key[:200]
    record.corporate_key = keys.corporate_number or ""
    record.domain_key = (keys.domain or "")[:254]


def _stored_keys(record) -> matching.CustomerKeys:
    """Keys as stored (possibly cut to the column); compare them with keys cut the same way."""
    return matching.CustomerKeys(name_key=record.name_key, corporate_number=record.corporate_key or None,
                                 domain=record.domain_key or None)


def _as_stored(keys: matching.CustomerKeys) -> matching.CustomerKeys:
    return matching.CustomerKeys(name_key=keys.name_key[:200], corporate_number=keys.corporate_number,
                                 domain=(keys.domain or "")[:254] or None)


def _key_params(keys: matching.CustomerKeys) -> dict[str, str | None]:
    """The keys as parameters of _KEY_CONDITION: an empty key is NULL, which equals nothing (index look-ups only:
    the rows sharing at least one key; the matcher then decides)."""
    return {"name_key": keys.name_key or None, "corporate_key": keys.corporate_number or None,
            "domain_key": keys.domain or None}


_KEY_CONDITION = "(t.name_key = %(name_key)s OR t.corporate_key = %(corporate_key)s OR t.domain_key = %(domain_key)s)"
_DEAL, _DIRECT, _EVENT = ModelRows(DealRegistration), ModelRows(DirectAccount), ModelRows(DealEvent)


@cache
def _matching_registrations_sql() -> str:
    return (f"SELECT {_DEAL.columns('t')} FROM deals_dealregistration t WHERE {_KEY_CONDITION}"
            " AND t.stage = ANY(%(stages)s) AND t.id IS DISTINCT FROM %(exclude)s::bigint ORDER BY t.registered_at, t.id")


def matching_registrations(keys: matching.CustomerKeys, *, exclude_pk: int | None = None) -> list[DealRegistration]:
    """The holding registrations of the customer, earliest first: index look-ups on the keys (a fixed statement, as
    every registration asks), then the matcher decides."""
    keys = _as_stored(keys)
    rows = fetch_rows(_matching_registrations_sql(),
                      {**_key_params(keys), "stages": list(HOLDING_STAGES), "exclude": exclude_pk})
    candidates = [_DEAL.instance(row) for row in rows]
    return [deal for deal in candidates if matching.same_customer(keys, _stored_keys(deal))]


def competes(deal: DealRegistration, other: DealRegistration) -> bool:
    """Whether `other` takes part in `deal`'s conflict: another partner's registration of the same customer that
    holds it (open or a reported win), or one won after `deal` was registered — a win that came while `deal` was
    there still decides what happens to `deal`. A win from before `deal` was registered left the customer free."""
    if other.pk == deal.pk or other.partner_id == deal.partner_id:
        return False
    if other.stage == Stage.WON:
        if other.won_confirmed_at is not None and other.won_confirmed_at <= deal.registered_at:
            return False
    elif other.stage not in HOLDING_STAGES:
        return False
    return matching.same_customer(_stored_keys(deal), _stored_keys(other))


def stored_key_sets(records) -> tuple[list[str], list[str], list[str]]:
    """The name keys, corporate numbers and domains the records store (empty ones left out), for one look-up."""
    names, numbers, domains = ({value for record in records if (value := getattr(record, column))}
                               for column in CUSTOMER_KEYS)
    return sorted(names), sorted(numbers), sorted(domains)


def rivals_of(deals: list[DealRegistration], *, related: tuple[str, ...] = ("partner",)) -> dict[int, list[DealRegistration]]:
    """deal id → the registrations it competes with (see `competes`), earliest registered first. One statement
    for all the deals: index look-ups on their keys, then the matcher decides."""
    names, numbers, domains = stored_key_sets(deals)
    candidates = list(DealRegistration.objects.filter(
        Q(name_key__in=names) | Q(corporate_key__in=numbers) | Q(domain_key__in=domains),
        stage__in=(*HOLDING_STAGES, Stage.WON)).select_related(*related).order_by("registered_at", "pk")) if deals else []
    return {deal.pk: [other for other in candidates if competes(deal, other)] for deal in deals}


@cache
def _matching_direct_accounts_sql() -> str:
    return (f"SELECT {_DIRECT.columns('t')} FROM deals_directaccount t WHERE {_KEY_CONDITION}"
            " AND EXISTS (SELECT 1 FROM deals_directopportunity o WHERE o.account_id = t.id AND o.is_open)"
            " ORDER BY t.customer_name, t.id")


def matching_direct_accounts(keys: matching.CustomerKeys) -> list[DirectAccount]:
    """The direct-sales accounts of the customer with an open opportunity, by name; as matching_registrations."""
    keys = _as_stored(keys)
    candidates = [_DIRECT.instance(row) for row in fetch_rows(_matching_direct_accounts_sql(), _key_params(keys))]
    return [account for account in candidates if matching.same_customer(keys, _stored_keys(account))]


def _lock_partner(partner: Partner) -> None:
    """Serialise one partner's registrations, so that the capacity check counts every earlier one.
    Taken before the customer locks, always: one order for everybody, so no deadlock."""
    locks.hold("deals.partner", partner.pk)


def _lock_customer(keys: matching.CustomerKeys) -> None:
    """Serialise registrations of one customer: two records that match share at least one key,
    so taking a transaction lock on each key (in a fixed order) makes the second wait for the first."""
    names = sorted(f"{kind}:{value}" for kind, value in
                   (("n", keys.name_key), ("c", keys.corporate_number), ("d", keys.domain)) if value)
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' connection
    if not names:
        return
    # One statement: a scan of the array returns its elements in their order, so the locks are taken in
    # the sorted order above.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(%s::text[]) AS k",
                       [[f"{schema}/{name}" for name in names]])


def customer_status(*, partner: Partner, customer_name: str, corporate_number: str = "", web_domain: str = "") -> str:
    """For the portal's live check: 'none', 'own' (this partner has it) or 'taken' — nothing more."""
    keys = customer_keys_for(customer_name, corporate_number, web_domain)
    if not (keys.name_key or keys.corporate_number or keys.domain):
        return "none"
    deals = matching_registrations(keys)
    if any(deal.partner_id == partner.pk for deal in deals):
        return "own"
    if deals or matching_direct_accounts(keys):
        return "taken"
    return "none"


# --------------------------------------------------------------------------- registering


def _event(deal: DealRegistration, kind: str, actor: User | None = None, **data) -> None:
    _EVENT.insert([DealEvent(deal=deal, partner_id=deal.partner_id, kind=kind, actor=actor, data=data)])
    published = _PUBLISHED.get(kind) or (_PUBLISHED_STAGES.get(data.get("stage")) if kind == "stage" else None)
    if published:
        events.publish(published, object_type="deal", object_id=deal.pk, partner_id=deal.partner_id,
                       data=deal_event_data(deal))


# The timeline entries other systems hear about (prm.events), by their kind; stage moves by the stage reached.
_PUBLISHED = {"registered": "deal.registered", "approved": "deal.approved", "rejected": "deal.rejected",
              "win_confirmed": "deal.won", "win_cancelled": "deal.cancelled", "expired": "deal.expired"}
_PUBLISHED_STAGES: dict[str | None, str] = {Stage.LOST: "deal.lost", Stage.CANCELLED: "deal.cancelled"}


def deal_event_data(deal: DealRegistration) -> dict:
    """What a deal's event carries to other systems: ids, the customer, the stage and the yen figures."""
    return {"id": deal.pk, "external_ids": events.external_ids(deal), "partner_id": deal.partner_id,
            "customer_name": deal.customer_name, "corporate_number": deal.corporate_number,
            "web_domain": deal.web_domain, "stage": deal.stage, "priority": deal.priority, "amount": deal.amount,
            "expected_close": deal.expected_close, "expires_on": deal.expires_on,
            "won_amount": deal.won_amount, "won_on": deal.won_on, "cancelled_on": deal.cancelled_on,
            "decision_reason": deal.decision_reason, "lead_id": deal.lead_id}


def _capacity(partner: Partner, rules: DealSettings) -> int | None:
    from programs.benefits import benefits_for  # tier benefits, when programs are on

    limit = benefits_for(partner).deal_capacity
    return limit if limit is not None else rules.capacity_default


_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _looks_like_domain_or_email(value: str) -> bool:
    value = value.strip().lower()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            return False
        return True
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(_DOMAIN.match(host))


def _validate(fields: dict) -> dict:
    errors = {}
    if not (fields.get("customer_name") or "").strip():
        errors["customer_name"] = _("Enter the customer's company name.")
    number = japan.normalise_corporate_number(fields.get("corporate_number") or "")
    fields["corporate_number"] = number
    if number and not japan.is_valid_corporate_number(number):
        errors["corporate_number"] = _("Enter the 13-digit corporate number (法人番号); its check digit does not match.")
    web = (fields.get("web_domain") or "").strip()
    fields["web_domain"] = web
    if web and not _looks_like_domain_or_email(web):
        errors["web_domain"] = _("Enter a web domain such as example.co.jp, a URL or an e-mail address.")
    if (fields.get("amount") or 0) < 0:
        errors["amount"] = _("The amount cannot be negative.")
    close = fields.get("expected_close")
    if close and close < timezone.localdate():
        errors["expected_close"] = _("The expected close date is in the past.")
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def deal_register(*, partner: Partner, user: User | None, products=(), lead=None, **fields) -> DealRegistration:
    """Register a customer opportunity and decide its priority under the vendor's rules.

    Concurrent registrations of one customer are serialised on the customer's keys, so with
    first come exactly one of them holds priority and every other one is a conflict; those of
    one partner are serialised on the partner when it has a capacity to hold (with none, a
    partner's registrations of different customers do not wait for each other).
    """
    if not partner.is_active:
        raise PermissionDenied(_("This partner cannot register deals."))
    if lead is None and not deals_allowed(partner):  # a lead is handed over by the vendor, who chose the partner
        raise NotYetSigned
    fields = _validate(dict(fields))
    keys = customer_keys_for(fields["customer_name"], fields["corporate_number"], fields.get("web_domain", ""))
    rules = DealSettings.current()  # read once: the capacity default and the conflict rules
    capacity = _capacity(partner, rules)
    if capacity is not None:
        _lock_partner(partner)
    _lock_customer(keys)
    if capacity is not None and lead is None:
        open_count = DealRegistration.objects.filter(partner=partner, stage__in=OPEN_STAGES).count()
        if open_count >= capacity:
            raise ValidationError(_("Your company already has %(count)s open registrations, the most your programme allows.")
                                  % {"count": open_count})
    earlier = matching_registrations(keys)
    if any(deal.partner_id == partner.pk for deal in earlier):
        raise ValidationError(_("Your company has already registered this customer."))
    direct = matching_direct_accounts(keys)
    deal = DealRegistration(partner=partner, registered_by=user, lead=lead, **fields)
    apply_keys(deal, keys)
    holder = next((d for d in earlier if d.priority == Priority.HOLDER), earlier[0] if earlier else None)
    if rules.mode == RuleMode.FIRST_COME and holder is not None:
        deal.priority, deal.conflict_with = Priority.CONFLICT, holder
    elif earlier and rules.mode in (RuleMode.MANUAL, RuleMode.CUSTOMER_CHOICE):
        deal.priority, deal.conflict_with = Priority.REVIEW, holder
    elif direct and not rules.partner_over_direct:
        deal.priority, deal.conflict_direct = Priority.DIRECT, direct[0]
    else:
        deal.priority = Priority.HOLDER
        deal.conflict_direct = direct[0] if direct else None
    if lead is not None and deal.priority != Priority.HOLDER:
        deal.priority = Priority.HOLDER  # a lead the vendor handed over belongs to the partner that accepted it
    _DEAL.insert([deal])
    if products:  # a new deal has none to compare with
        deal.products.set(products)
    _event(deal, "registered", user, priority=deal.priority)
    contact = contact_of_user(user) if user else None
    signal_record(partner=partner, contact=contact, kind=SignalKind.DEAL_REGISTERED, occurred_at=deal.registered_at,
                  source=signal_source(deal.pk))
    _notify_registered(deal)
    return deal


SIGNAL_SOURCE_PREFIX = "deals.DealRegistration:"  # a deal's signal source: this, then the deal's id


def signal_source(deal_pk: int) -> str:
    """What a deal's contact signals (registered, won) name as their source."""
    return f"{SIGNAL_SOURCE_PREFIX}{deal_pk}"


def deal_url(deal: DealRegistration, *, console: bool) -> str:
    kind = "console" if console else "portal"
    return reverse_path("deal_detail" if console else "portal_deal_detail", kind, pk=deal.pk)


def _notify_registered(deal: DealRegistration) -> None:
    conflict = deal.priority != Priority.HOLDER
    told: list[tuple[str, Iterable[User | None], str, Message]] = [(
        "deal_registered", staff_for(deal.partner), deal_url(deal, console=True),
        (msg.text("deal.registered_conflict" if conflict else "deal.registered", customer=deal.customer_name),
         msg.text("deal.registered.body", partner=deal.partner.name, customer=deal.customer_name,
                  amount=msg.number(deal.amount))))]
    if deal.registered_by:
        told.append(("deal_received", [deal.registered_by], deal_url(deal, console=False),
                     (msg.text("deal.received", customer=deal.customer_name), _outcome(deal))))
    notify_all(told)  # the vendor's staff and the rep in one go


def _outcome(deal: DealRegistration) -> msg.Text:
    outcomes: dict[str, str] = {Priority.HOLDER: "deal.received.holder", Priority.DIRECT: "deal.received.direct",
                Priority.REVIEW: "deal.received.review"}
    return msg.text(outcomes.get(deal.priority, "deal.received.later"))


def outcome_text(deal: DealRegistration) -> str:
    return str(_outcome(deal))


# --------------------------------------------------------------------------- decisions


@transaction.atomic
def deal_approve(*, deal: DealRegistration, actor: User, reason: str = "") -> DealRegistration:
    require_vendor_staff(actor)
    deal = DealRegistration.objects.select_for_update().get(pk=deal.pk)
    if deal.stage != Stage.REGISTERED:
        raise ValidationError(_("Only a registration waiting for approval can be approved."))
    rules = DealSettings.current()
    # A win counts too: approving the registration that lost to it would give the customer to two partners.
    if any(other.stage in DECIDED_STAGES for other in rivals_of([deal], related=())[deal.pk]):
        raise ValidationError(_("Another partner's registration for this customer is already approved. Reject one of them first."))
    today = timezone.localdate()
    deal.stage, deal.priority = Stage.APPROVED, Priority.HOLDER
    deal.decided_at, deal.decided_by, deal.decision_reason = timezone.now(), actor, reason
    expires_on = deal.expires_on = today + timedelta(days=rules.validity_days)
    deal.save(update_fields=["stage", "priority", "decided_at", "decided_by", "decision_reason", "expires_on"])
    _event(deal, "approved", actor, reason=reason, expires_on=expires_on.isoformat())
    notify(users=[deal.registered_by], kind="deal_approved", url=deal_url(deal, console=False),
           message=(msg.text("deal.approved", customer=deal.customer_name),
                    msg.text("deal.valid_until", date=msg.day(expires_on))))
    return deal


@transaction.atomic
def deal_reject(*, deal: DealRegistration, actor: User, reason: str) -> DealRegistration:
    require_vendor_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    deal = DealRegistration.objects.select_for_update().get(pk=deal.pk)
    if deal.stage != Stage.REGISTERED:
        raise ValidationError(_("Only a registration waiting for approval can be rejected."))
    deal.stage = Stage.REJECTED
    deal.decided_at, deal.decided_by, deal.decision_reason = timezone.now(), actor, reason
    deal.closed_at = deal.decided_at
    deal.save(update_fields=["stage", "decided_at", "decided_by", "decision_reason", "closed_at"])
    _event(deal, "rejected", actor, reason=reason)
    notify(users=[deal.registered_by], kind="deal_rejected", url=deal_url(deal, console=False),
           message=(msg.text("deal.rejected", customer=deal.customer_name), reason))
    return deal


def deals_bulk_decide(*, actor: User, deals, approve: bool, reason: str = "") -> tuple[int, list[str]]:
    """Approve or reject many registrations; each is its own transaction. Returns (done, errors)."""
    done, errors = 0, []
    for deal in deals:
        try:
            if approve:
                deal_approve(deal=deal, actor=actor, reason=reason)
            else:
                deal_reject(deal=deal, actor=actor, reason=reason)
            done += 1
        except ValidationError as error:
            errors.append(f"{deal.customer_name}: {' '.join(error.messages)}")
    return done, errors


@transaction.atomic
def deal_move(*, deal: DealRegistration, actor: User, stage: str, won_amount: int | None = None,
              won_on: date | None = None, reason: str = "") -> DealRegistration:
    """Move an approved deal along the pipeline (proposal → negotiation → won / lost / cancelled).

    A partner's move to won is a reported win that waits for the vendor (deal_win_report); a
    vendor staff member's move to won is a confirmed win (deal_win_confirm).
    """
    if stage == Stage.WON:
        if actor.is_partner_user:
            return deal_win_report(deal=deal, actor=actor, won_amount=won_amount, won_on=won_on, note=reason)
        return deal_win_confirm(deal=deal, actor=actor, won_amount=won_amount, won_on=won_on, note=reason)
    deal = DealRegistration.objects.select_for_update().select_related("partner").get(pk=deal.pk)
    if actor.is_partner_user:
        require_partner_member(actor, deal.partner_id)
        if stage not in PARTNER_MOVES:
            raise PermissionDenied
    else:
        require_vendor_staff(actor)
    if stage not in TRANSITIONS.get(deal.stage, set()) or stage in (Stage.APPROVED, Stage.REJECTED):
        raise ValidationError({"stage": _("A deal that is %(current)s cannot move to %(stage)s.") % {
            "current": deal.get_stage_display(), "stage": Stage(stage).label}})
    fields = ["stage"]
    if stage in (Stage.LOST, Stage.CANCELLED):
        deal.closed_at = timezone.now()
        fields.append("closed_at")
    previous = deal.stage
    deal.stage = stage
    deal.save(update_fields=fields)
    _event(deal, "stage", actor, previous=previous, stage=stage, reason=reason)
    deal.credit_warning = None  # type: ignore[attr-defined]  # read by the view; not a field
    watchers = [deal.registered_by] if actor.is_vendor_staff else staff_for(deal.partner)
    notify(users=watchers, kind="deal_stage", url=deal_url(deal, console=not actor.is_vendor_staff),
           message=(msg.text("deal.stage", customer=deal.customer_name, stage=msg.label("deal_stage", deal.stage)),
                    reason))
    return deal


# --------------------------------------------------------------------------- wins: reported by the partner, confirmed by the vendor


def checked_win(deal: DealRegistration, won_amount: int | None, won_on: date | None) -> tuple[int, date]:
    """The one rule for a win's figures, whoever records them: an amount of ¥1 to ¥1 trillion and
    a day between the registration and today. Refuses with the field named."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if won_amount is None:
        errors["won_amount"] = _("Enter the won amount.")
    elif isinstance(won_amount, bool) or not isinstance(won_amount, int) or not 1 <= won_amount <= MAX_YEN:
        errors["won_amount"] = _("Enter a won amount from ¥1 to ¥%(max)s.") % {"max": f"{MAX_YEN:,}"}
    won_on = won_on or today
    registered_on = timezone.localtime(deal.registered_at).date()
    try:
        validate_business_date(won_on)
    except ValidationError as error:
        errors["won_on"] = error.messages[0]
    else:
        if won_on > today:
            errors["won_on"] = _("The won date cannot be in the future.")
        elif won_on < registered_on:
            errors["won_on"] = _("The won date cannot be before the deal was registered (%(date)s).") % {
                "date": format_date(registered_on)}
    if errors:
        raise ValidationError(errors)
    assert won_amount is not None and won_on is not None  # refused above when missing
    return won_amount, won_on


def _lock_deal(deal: DealRegistration) -> DealRegistration:
    return DealRegistration.objects.select_for_update(of=("self",)).select_related("partner", "registered_by").get(pk=deal.pk)


def _partner_watchers(deal: DealRegistration) -> list[User]:
    people = [deal.registered_by, deal.won_reported_by]
    return list({user.pk: user for user in people if user is not None}.values())


@transaction.atomic
def deal_win_report(*, deal: DealRegistration, actor: User, won_amount: int | None, won_on: date | None = None,
                    note: str = "") -> DealRegistration:
    """A partner reports that its deal is won. The win waits for the channel manager (受注（確認待ち）):
    it pays nothing and counts nowhere until deal_win_confirm, and it keeps the customer's priority."""
    deal = _lock_deal(deal)
    require_partner_member(actor, deal.partner_id)
    if deal.stage not in PROTECTED_STAGES:
        raise ValidationError({"stage": _("A deal that is %(current)s cannot move to %(stage)s.") % {
            "current": deal.get_stage_display(), "stage": Stage.WON.label}})
    won_amount, won_on = checked_win(deal, won_amount, won_on)
    previous = deal.stage
    deal.stage, deal.reported_from_stage = Stage.WON_PENDING, previous
    deal.reported_won_amount, deal.reported_won_on = won_amount, won_on
    deal.won_reported_at, deal.won_reported_by = timezone.now(), actor
    deal.save(update_fields=["stage", "reported_from_stage", "reported_won_amount", "reported_won_on",
                             "won_reported_at", "won_reported_by"])
    _event(deal, "win_reported", actor, previous=previous, stage=Stage.WON_PENDING, won_amount=won_amount,
           won_on=won_on.isoformat(), reason=note)
    deal.credit_warning = None  # type: ignore[attr-defined]  # read by the view; not a field
    notify(users=staff_for(deal.partner), kind="deal_win_reported", url=deal_url(deal, console=True),
           message=(msg.text("deal.win_reported", customer=deal.customer_name),
                    msg.text("deal.win_reported.body", partner=deal.partner.name, customer=deal.customer_name,
                             date=msg.day(won_on), amount=msg.number(won_amount))))
    return deal


@transaction.atomic
def deal_win_confirm(*, deal: DealRegistration, actor: User, won_amount: int | None = None,
                     won_on: date | None = None, note: str = "") -> DealRegistration:
    """The vendor's word that a deal is won: a partner's reported win (its figures, or corrected
    ones) or a win the vendor records itself, by hand or from its own systems. Only now does the
    win pay, count and fire what a win fires (signal, notifications, credit-limit warning)."""
    require_vendor_staff(actor)
    deal = _lock_deal(deal)
    reported = deal.stage == Stage.WON_PENDING
    if reported:
        won_amount = deal.reported_won_amount if won_amount is None else won_amount
        won_on = won_on or deal.reported_won_on
    elif deal.stage not in PROTECTED_STAGES:
        raise ValidationError({"stage": _("A deal that is %(current)s cannot move to %(stage)s.") % {
            "current": deal.get_stage_display(), "stage": Stage.WON.label}})
    won_amount, won_on = checked_win(deal, won_amount, won_on)
    from incentives import credit

    credit_warning = credit.check(deal.partner, won_amount)
    previous = deal.stage
    now = timezone.now()
    deal.stage, deal.won_amount, deal.won_on, deal.closed_at = Stage.WON, won_amount, won_on, now
    deal.won_confirmed_at, deal.won_confirmed_by = now, actor
    deal.save(update_fields=["stage", "won_amount", "won_on", "closed_at", "won_confirmed_at", "won_confirmed_by"])
    corrected = reported and (won_amount, won_on) != (deal.reported_won_amount, deal.reported_won_on)
    _event(deal, "win_confirmed", actor, previous=previous, stage=Stage.WON, won_amount=won_amount,
           won_on=won_on.isoformat(), reported_amount=deal.reported_won_amount if reported else None,
           reported_on=deal.reported_won_on.isoformat() if reported and deal.reported_won_on else None,
           corrected=corrected, reason=note)
    # Read by the view that shows the warning; not a field.
    deal.credit_warning = credit_warning if credit_warning and credit_warning.exceeded else None  # type: ignore[attr-defined]
    if credit_warning and credit_warning.exceeded:
        _event(deal, "credit_warning", actor, limit=credit_warning.limit, after=credit_warning.after)
        notify(users=staff_for(deal.partner), kind="credit_limit", url=deal_url(deal, console=True),
               message=(msg.text("deal.credit_limit", partner=deal.partner.name),
                        msg.text("deal.credit_limit.body", after=msg.number(credit_warning.after),
                                 limit=msg.number(credit_warning.limit))))
    contact = getattr(deal.registered_by, "contact", None) if deal.registered_by else None
    signal_record(partner=deal.partner, contact=contact, kind=SignalKind.DEAL_WON, amount=deal.won_amount,
                  occurred_at=now, source=signal_source(deal.pk))
    notify(users=_partner_watchers(deal), kind="deal_win_confirmed", url=deal_url(deal, console=False),
           message=(msg.text("deal.win_confirmed", customer=deal.customer_name),
                    msg.text("deal.win_confirmed.body", date=msg.day(won_on), amount=msg.number(won_amount))))
    return deal


@transaction.atomic
def deal_win_reject(*, deal: DealRegistration, actor: User, reason: str) -> DealRegistration:
    """The vendor does not confirm a reported win: the deal returns to the open stage it came from,
    with its priority, and the partner is told why."""
    require_vendor_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason the win is not confirmed.")})
    deal = _lock_deal(deal)
    if deal.stage != Stage.WON_PENDING:
        raise ValidationError(_("Only a win awaiting confirmation can be rejected."))
    back_to = deal.reported_from_stage if deal.reported_from_stage in PROTECTED_STAGES else Stage.NEGOTIATION
    watchers = _partner_watchers(deal)
    reported_amount, reported_on = deal.reported_won_amount, deal.reported_won_on
    deal.stage, deal.reported_from_stage = back_to, ""
    deal.reported_won_amount = deal.reported_won_on = deal.won_reported_at = deal.won_reported_by = None
    deal.save(update_fields=["stage", "reported_from_stage", "reported_won_amount", "reported_won_on",
                             "won_reported_at", "won_reported_by"])
    _event(deal, "win_rejected", actor, previous=Stage.WON_PENDING, stage=back_to, reason=reason,
           reported_amount=reported_amount, reported_on=reported_on.isoformat() if reported_on else None)
    notify(users=watchers, kind="deal_win_rejected", url=deal_url(deal, console=False),
           message=(msg.text("deal.win_rejected", customer=deal.customer_name),
                    msg.text("deal.win_rejected.body", stage=msg.label("deal_stage", deal.stage), reason=reason)))
    return deal


# --------------------------------------------------------------------------- wins changed after confirmation


def _reason_error(reason: str | None, message: str) -> tuple[str, dict[str, str]]:
    reason = (reason or "").strip()
    return reason, ({} if reason else {"reason": message})


def _win_changed(deal: DealRegistration, actor: User, *, kind: str, stage_before: str, amount_before: int | None,
                 won_on_before: date | None, reason: str, event: str, action: str) -> WinCorrection:
    """What every change to a confirmed win leaves behind: its history row, the deal's timeline entry
    and the audit entry for the money it moves (the next commission run writes the difference)."""
    from incentives import audit

    correction = WinCorrection.objects.create(
        deal=deal, kind=kind, stage_before=stage_before, stage_after=deal.stage, amount_before=amount_before,
        amount_after=deal.won_amount, won_on_before=won_on_before, won_on_after=deal.won_on,
        cancelled_on=deal.cancelled_on, reason=reason, actor=actor)
    on = {"won_on_before": won_on_before.isoformat() if won_on_before else None,
          "won_on_after": deal.won_on.isoformat() if deal.won_on else None,
          "cancelled_on": deal.cancelled_on.isoformat() if deal.cancelled_on else None}
    _event(deal, event, actor, previous=stage_before, stage=deal.stage, amount_before=amount_before,
           amount_after=deal.won_amount, reason=reason, **on)
    audit.record(actor=actor, action=action, obj=deal, customer=deal.customer_name, partner=deal.partner.name,
                 amount_before=amount_before, amount_after=deal.won_amount, reason=reason, **on)
    return correction


def _notify_win_changed(deal: DealRegistration, watchers: list[User], code: str, **params) -> None:
    notify(users=watchers, kind="deal_win_changed", url=deal_url(deal, console=False),
           message=(msg.text(code, customer=deal.customer_name), msg.text(f"{code}.body", **params)))


@transaction.atomic
def deal_cancel_won(*, deal: DealRegistration, actor: User, cancelled_on: date | None,
                    reason: str | None) -> DealRegistration:
    """The customer cancelled a won deal (解約): won → cancelled on the day the customer cancelled,
    which is the deal_cancelled event the plans' clawback rules run on. Refuses with the field named;
    nothing is saved unless everything is right."""
    require_vendor_staff(actor)
    deal = _lock_deal(deal)
    if deal.stage != Stage.WON:
        raise ValidationError({NON_FIELD_ERRORS: _("Only a won deal can be cancelled; this one is %(stage)s.") % {
            "stage": deal.get_stage_display()}})
    reason, errors = _reason_error(reason, _("Give the reason for the cancellation."))
    today = timezone.localdate()
    if cancelled_on is None:
        errors["cancelled_on"] = _("Enter the date the customer cancelled.")
    else:
        try:
            validate_business_date(cancelled_on)
        except ValidationError as error:
            errors["cancelled_on"] = error.messages[0]
        else:
            if cancelled_on > today:
                errors["cancelled_on"] = _("The cancellation date cannot be in the future.")
            elif deal.won_on and cancelled_on < deal.won_on:
                errors["cancelled_on"] = _("The cancellation date cannot be before the win (%(date)s).") % {
                    "date": format_date(deal.won_on)}
    if errors:
        raise ValidationError(errors)
    assert cancelled_on is not None  # refused above when missing
    watchers = _partner_watchers(deal)
    deal.stage, deal.cancelled_on, deal.closed_at = Stage.CANCELLED, cancelled_on, timezone.now()
    deal.save(update_fields=["stage", "cancelled_on", "closed_at"])
    _win_changed(deal, actor, kind=WinCorrection.Kind.CANCEL, stage_before=Stage.WON, amount_before=deal.won_amount,
                 won_on_before=deal.won_on, reason=reason, event="win_cancelled", action="deal_win_cancelled")
    _notify_win_changed(deal, watchers, "deal.win_cancelled", date=msg.day(cancelled_on), reason=reason)
    return deal


@transaction.atomic
def deal_correct_win(*, deal: DealRegistration, actor: User, won_amount: int | None, won_on: date | None,
                     reason: str | None) -> DealRegistration:
    """Correct a confirmed win's amount or date. Every correction is kept (WinCorrection); the next
    commission run writes the difference as adjustment lines and never rewrites a line. An empty
    amount or date keeps the current one; a correction that changes nothing is refused."""
    require_vendor_staff(actor)
    deal = _lock_deal(deal)
    if deal.stage != Stage.WON:
        raise ValidationError({NON_FIELD_ERRORS: _("Only a won deal's amount and date can be corrected; this one is "
                                                   "%(stage)s.") % {"stage": deal.get_stage_display()}})
    reason, errors = _reason_error(reason, _("Give the reason for the correction."))
    won_amount = deal.won_amount if won_amount is None else won_amount
    won_on = won_on or deal.won_on
    try:
        won_amount, won_on = checked_win(deal, won_amount, won_on)
    except ValidationError as error:
        merged: dict[str, str | list[str]] = {**error.message_dict, **errors}
        errors = {field: messages[0] if isinstance(messages, list) else messages for field, messages in merged.items()}
    if not errors and (won_amount, won_on) == (deal.won_amount, deal.won_on):
        errors[NON_FIELD_ERRORS] = _("The correction changes neither the won amount nor the won date.")
    if errors:
        raise ValidationError(errors)
    assert won_on is not None  # checked_win refused a missing date
    amount_before, won_on_before = deal.won_amount, deal.won_on
    deal.won_amount, deal.won_on = won_amount, won_on
    deal.save(update_fields=["won_amount", "won_on"])
    _win_changed(deal, actor, kind=WinCorrection.Kind.CORRECT, stage_before=Stage.WON, amount_before=amount_before,
                 won_on_before=won_on_before, reason=reason, event="win_corrected", action="deal_win_corrected")
    _notify_win_changed(deal, _partner_watchers(deal), "deal.win_corrected", amount=msg.number(won_amount),
                        date=msg.day(won_on), before=msg.number(amount_before), before_date=msg.day(won_on_before),
                        reason=reason)
    return deal


@transaction.atomic
def deal_reopen_won(*, deal: DealRegistration, actor: User, reason: str | None) -> DealRegistration:
    """A win recorded by mistake: the deal (won, or cancelled after its win) goes back to negotiation
    with a fresh validity, its win's figures leave it (kept in WinCorrection), and the next commission
    run reverses what the win paid with adjustment lines."""
    require_vendor_staff(actor)
    deal = _lock_deal(deal)
    if not (deal.stage == Stage.WON or (deal.stage == Stage.CANCELLED and deal.won_on is not None)):
        raise ValidationError({NON_FIELD_ERRORS: _("Only a won deal, or one cancelled after its win, can be reopened; "
                                                   "this one is %(stage)s.") % {"stage": deal.get_stage_display()}})
    reason, errors = _reason_error(reason, _("Give the reason the win is reopened."))
    if errors:
        raise ValidationError(errors)
    others = [d for d in matching_registrations(_stored_keys(deal), exclude_pk=deal.pk)
              if d.stage in (*PROTECTED_STAGES, Stage.WON_PENDING)]
    if others:
        raise ValidationError({NON_FIELD_ERRORS: _(
            "Another partner's registration for this customer is open and approved (%(partner)s). Close it before "
            "reopening this win.") % {"partner": others[0].partner.name}})
    stage_before, amount_before, won_on_before = deal.stage, deal.won_amount, deal.won_on
    watchers = _partner_watchers(deal)
    deal.stage = Stage.NEGOTIATION
    deal.won_amount = deal.won_on = deal.cancelled_on = deal.closed_at = None
    deal.won_confirmed_at = deal.won_confirmed_by = None
    deal.reported_won_amount = deal.reported_won_on = deal.won_reported_at = deal.won_reported_by = None
    deal.reported_from_stage = ""
    deal.expires_on = timezone.localdate() + timedelta(days=DealSettings.current().validity_days)
    deal.expiry_warned_at = None
    deal.save(update_fields=["stage", "won_amount", "won_on", "cancelled_on", "closed_at", "won_confirmed_at",
                             "won_confirmed_by", "reported_won_amount", "reported_won_on", "won_reported_at",
                             "won_reported_by", "reported_from_stage", "expires_on", "expiry_warned_at"])
    _win_changed(deal, actor, kind=WinCorrection.Kind.REOPEN, stage_before=stage_before, amount_before=amount_before,
                 won_on_before=won_on_before, reason=reason, event="win_reopened", action="deal_win_reopened")
    _notify_win_changed(deal, watchers, "deal.win_reopened", date=msg.day(deal.expires_on), reason=reason)
    return deal


@transaction.atomic
def meeting_record(*, deal: DealRegistration, actor: User, held_on: date, staff, notes: str = "") -> DealMeeting:
    require_vendor_staff(actor)
    meeting = DealMeeting.objects.create(deal=deal, held_on=held_on, notes=notes, recorded_by=actor)
    meeting.staff.set(staff)
    _event(deal, "meeting", actor, held_on=held_on.isoformat())
    return meeting


# --------------------------------------------------------------------------- validity


@transaction.atomic
def extension_request(*, deal: DealRegistration, actor: User, days: int, reason: str) -> ExtensionRequest:
    require_partner_member(actor, deal.partner_id)
    if deal.stage not in PROTECTED_STAGES:
        raise ValidationError(_("Only an approved, open deal can be extended."))
    limit = DealSettings.current().max_extension_days
    if not 1 <= days <= limit:
        raise ValidationError({"days": _("Ask for 1 to %(limit)s days.") % {"limit": limit}})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the deal needs more time.")})
    if deal.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise ValidationError(_("An extension request for this deal is already waiting."))
    request = ExtensionRequest.objects.create(deal=deal, days=days, reason=reason, requested_by=actor)
    _event(deal, "extension_requested", actor, days=days)
    notify(users=staff_for(deal.partner), kind="extension_requested", url=deal_url(deal, console=True),
           message=(msg.text("deal.extension_requested", customer=deal.customer_name),
                    msg.text("deal.extension_requested.body", days=days, reason=reason)))
    return request


@transaction.atomic
def extension_decide(*, request: ExtensionRequest, actor: User, approve: bool) -> ExtensionRequest:
    require_vendor_staff(actor)
    request = ExtensionRequest.objects.select_for_update().select_related("deal").get(pk=request.pk)
    if request.status != ExtensionRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    request.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REJECTED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    deal = request.deal
    if approve:
        deal.expires_on = max(deal.expires_on or timezone.localdate(), timezone.localdate()) + timedelta(days=request.days)
        deal.expiry_warned_at = None
        deal.save(update_fields=["expires_on", "expiry_warned_at"])
    _event(deal, "extension_decided", actor, approved=approve, days=request.days)
    notify(users=[request.requested_by], kind="extension_decided", url=deal_url(deal, console=False),
           message=(msg.text("deal.extension_approved" if approve else "deal.extension_declined",
                             customer=deal.customer_name),
                    msg.text("deal.valid_until", date=msg.day(deal.expires_on)) if deal.expires_on else None))
    return request


def deals_expire(*, today: date | None = None) -> dict[str, int]:
    """Expire open deals past their validity and warn reps a set number of days before."""
    today = today or timezone.localdate()
    rules = DealSettings.current()
    expired = 0
    for deal in DealRegistration.objects.filter(stage__in=PROTECTED_STAGES, expires_on__lt=today).select_related("registered_by"):
        with transaction.atomic():
            if not DealRegistration.objects.filter(pk=deal.pk, stage=deal.stage).update(
                    stage=Stage.EXPIRED, closed_at=timezone.now()):
                continue  # moved on since it was read (decided, won): nothing expired
            deal.stage = Stage.EXPIRED
            assert deal.expires_on is not None  # the filter above
            _event(deal, "expired", None, expires_on=deal.expires_on.isoformat())
            notify(users=[deal.registered_by], kind="deal_expired", url=deal_url(deal, console=False),
                   message=(msg.text("deal.expired", customer=deal.customer_name), msg.text("deal.expired.body")))
            expired += 1
    warn_until = today + timedelta(days=rules.warn_days_before)
    warned = 0
    for deal in DealRegistration.objects.filter(stage__in=PROTECTED_STAGES, expires_on__gte=today,
                                                expires_on__lte=warn_until, expiry_warned_at__isnull=True):
        with transaction.atomic():
            DealRegistration.objects.filter(pk=deal.pk).update(expiry_warned_at=timezone.now())
            notify(users=[deal.registered_by], kind="deal_expiring", url=deal_url(deal, console=False),
                   message=(msg.text("deal.expiring", customer=deal.customer_name),
                            msg.text("deal.expiring.body", date=msg.day(deal.expires_on))))
            warned += 1
    return {"expired": expired, "warned": warned}

