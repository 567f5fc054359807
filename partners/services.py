"""Writes of the partners module: one verb per user action, each atomic."""

from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from partners import japan, signals
from partners.access import require_partner_member, require_vendor_staff
from partners.contact_stages import Thresholds, stage_expression
from partners.lifecycle import services as lifecycle
from partners.models import (
    Activity,
    Agreement,
    AgreementKind,
    ApplicationStatus,
    BusinessPlan,
    ChecklistItem,
    Contact,
    ContactRole,
    ContactSignal,
    EventKind,
    OnboardingTemplate,
    Partner,
    PartnerApplication,
    PartnerEvent,
    PartnerMembership,
    PartnerSettings,
    SignalKind,
    Stage,
)
from partners.search import search_key
from partners.selectors import partner_for_user, staff_for
from prm import events, locks, ratelimits
from prm import messages as msg
from prm.accounts.models import Role, User
from prm.notifications.services import notify
from prm.reads import ModelRows, fetch_rows
from prm.tenancy.urls import reverse_path

PROFILE_FIELDS_FOR_PARTNERS = (
    "website", "phone", "postal_code", "address", "invoice_number",
    "bank_code", "bank_name", "branch_code", "branch_name", "account_type", "account_number", "account_holder",
)
BANK_FIELDS = ("bank_code", "bank_name", "branch_code", "branch_name", "account_type", "account_number", "account_holder")


def event_record(partner: Partner, kind: str, *, actor: User | None = None, activity: Activity | None = None,
                 occurred_at: datetime | None = None, **data) -> PartnerEvent:
    return PartnerEvent.objects.create(
        partner=partner, kind=kind, actor=actor, activity=activity, occurred_at=occurred_at or timezone.now(), data=data
    )


# --------------------------------------------------------------------------- validation


def clean_identifiers(fields: dict, *, partner: Partner | None = None) -> dict:
    """Normalise and check 法人番号, invoice number and bank account; ValidationError per field."""
    errors: dict[str, str] = {}
    cleaned = dict(fields)
    if "corporate_number" in cleaned:
        number = japan.normalise_corporate_number(cleaned["corporate_number"] or "")
        cleaned["corporate_number"] = number
        if number and not japan.is_valid_corporate_number(number):
            errors["corporate_number"] = _("Enter the 13-digit corporate number (法人番号); its check digit does not match.")
        elif number:
            # pk=None (a new partner) excludes nothing; django-stubs refuses None in a lookup.
            clash = Partner.objects.filter(corporate_number=number).exclude(pk=getattr(partner, "pk", None)).first()  # type: ignore[misc]
            if clash:
                errors["corporate_number"] = _("The partner %(name)s already has this corporate number.") % {"name": clash.name}
    if "invoice_number" in cleaned:
        number = japan.normalise_invoice_number(cleaned["invoice_number"] or "")
        cleaned["invoice_number"] = number
        if number and not japan.is_valid_invoice_number(number):
            errors["invoice_number"] = _("Enter the registration number as T followed by 13 digits with a valid check digit.")
    bank_keys = ("bank_code", "branch_code", "account_type", "account_number", "account_holder")
    if any(key in cleaned for key in bank_keys):
        for key, width in (("bank_code", 4), ("branch_code", 3)):
            value = japan.normalise_digits(cleaned.get(key) or "")
            cleaned[key] = value
            if value and (not value.isdigit() or len(value) != width):
                errors[key] = _("Enter %(width)s digits.") % {"width": width}
        account = japan.normalise_digits(cleaned.get("account_number") or "")
        if account and (not account.isdigit() or len(account) > 7):
            errors["account_number"] = _("Enter up to 7 digits.")
        cleaned["account_number"] = account.zfill(7) if account.isdigit() else account
        holder = japan.to_zengin_kana(cleaned.get("account_holder") or "")
        cleaned["account_holder"] = holder
        if holder and not japan.is_valid_zengin_name(holder):
            errors["account_holder"] = _("Write the account holder in katakana, letters and digits as on the passbook.")
        given = [key for key in bank_keys if cleaned.get(key)]
        if given and len(given) < len(bank_keys):
            for key in bank_keys:
                if not cleaned.get(key) and key not in errors:
                    errors[key] = _("Complete the bank account: this field is required with the others.")
    if "prefectures" in cleaned:
        unknown = [code for code in cleaned["prefectures"] if code not in japan.PREFECTURE_CODES]
        if unknown:
            errors["prefectures"] = _("Unknown prefecture: %(value)s") % {"value": ", ".join(unknown)}
    if "parent" in cleaned and cleaned["parent"] is not None and partner is not None:
        ancestor = cleaned["parent"]
        while ancestor is not None:
            if ancestor.pk == partner.pk:
                errors["parent"] = _("A partner cannot sit below itself.")
                break
            ancestor = ancestor.parent
    if errors:
        raise ValidationError(errors)
    return cleaned


# --------------------------------------------------------------------------- partners


def partner_event_data(partner: Partner, **extra) -> dict:
    """What a partner's event carries to other systems: its ids and profile, never its bank account."""
    return {"id": partner.pk, "external_ids": events.external_ids(partner), "name": partner.name,
            "name_kana": partner.name_kana, "partner_type": partner.partner_type, "stage": partner.stage,
            "corporate_number": partner.corporate_number, "invoice_number": partner.invoice_number,
            "website": partner.website, "parent_id": partner.parent_id, "owner_id": partner.owner_id, **extra}


def partner_publish(event_type: str, partner: Partner, **extra) -> None:
    events.publish(event_type, object_type="partner", object_id=partner.pk, partner_id=partner.pk,
                   data=partner_event_data(partner, **extra))


@transaction.atomic
def partner_create(*, actor: User | None, **fields) -> Partner:
    fields = clean_identifiers(fields)
    if Partner.objects.filter(name=fields.get("name", "")).exists():
        raise ValidationError({"name": _("A partner with this name already exists.")})
    partner = Partner.objects.create(**fields)
    event_record(partner, EventKind.CREATED, actor=actor, stage=partner.stage)
    partner_publish("partner.created", partner)
    if partner.stage == Stage.ONBOARDING:
        onboarding_start(partner=partner, actor=actor)
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, actor: User | None, **fields) -> Partner:
    fields = clean_identifiers(fields, partner=partner)
    new_stage = fields.pop("stage", partner.stage)
    if "name" in fields and Partner.objects.filter(name=fields["name"]).exclude(pk=partner.pk).exists():
        raise ValidationError({"name": _("A partner with this name already exists.")})
    changed = [name for name, value in fields.items() if getattr(partner, name) != value]
    bank_before = {name: getattr(partner, name) for name in BANK_FIELDS}
    for name in changed:
        setattr(partner, name, fields[name])
    if changed:
        # The search key follows the names it is made of (partners.search).
        key = ["search_key"] if {"name", "name_kana", "corporate_number"} & set(changed) else []
        partner.save(update_fields=[*changed, *key, "updated_at"])
        event_record(partner, EventKind.UPDATED, actor=actor, fields=changed)
        partner_publish("partner.updated", partner, changed=[name for name in changed if name not in BANK_FIELDS])
    if set(changed) & set(BANK_FIELDS):
        _bank_account_changed(partner=partner, before=bank_before, actor=actor)
    if new_stage != partner.stage:
        partner_set_stage(partner=partner, stage=new_stage, actor=actor)
    return partner


@transaction.atomic
def partner_external_ids_set(*, partner: Partner, actor: User | None, external_ids: dict[str, str]) -> Partner:
    """Add or change the partner's ids in outside systems (a CRM's account id), one partner per id and source:
    a CRM that upserts by its id must find exactly one partner. An empty id removes that source."""
    for source, value in sorted(external_ids.items()):
        if value:  # serialise on the (source, id) so two partners cannot take one id at once
            locks.hold("partner-external-id", zlib.crc32(f"{source}:{value}".encode()))
            if Partner.objects.filter(external_ids__contains={source: value}).exclude(pk=partner.pk).exists():
                raise ValidationError({"external_ids": _("Another partner already has %(source)s id %(value)s.") % {
                    "source": source, "value": value}})
    merged = {**partner.external_ids, **{source: value for source, value in external_ids.items() if value}}
    for source, value in external_ids.items():
        if not value:
            merged.pop(source, None)
    return partner_update(partner=partner, actor=actor, external_ids=merged)


@transaction.atomic
def partner_set_stage(*, partner: Partner, stage: str, actor: User | None, reason: str = "", cause: str = "") -> Partner:
    """Move the partner to another lifecycle stage. `reason` is what a person typed; `cause`
    names a rule that moved it (shown translated on the timeline)."""
    if stage not in Stage.values:
        raise ValidationError({"stage": _("Choose a valid stage.")})
    previous = partner.stage
    if previous == stage:
        return partner
    partner.stage = stage
    partner.stage_changed_at = timezone.now()
    partner.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    event_record(partner, EventKind.STAGE_CHANGED, actor=actor, previous=previous, stage=stage, reason=reason, cause=cause)
    partner_publish("partner.updated", partner, changed=["stage"])
    if stage == Stage.ONBOARDING:
        onboarding_start(partner=partner, actor=actor)
    return partner


@transaction.atomic
def prospect_convert(*, partner: Partner, actor: User) -> Partner:
    """Planning → Recruiting: the prospect is approached and the four agreements begin."""
    if partner.stage != Stage.PROSPECT:
        raise ValidationError(_("Only a prospect can be converted; this partner is already %(stage)s.")
                              % {"stage": partner.get_stage_display()})
    if partner.owner_id is None:
        partner.owner = actor
        partner.save(update_fields=["owner", "updated_at"])
    return partner_set_stage(partner=partner, stage=Stage.RECRUITING, actor=actor)


def _bank_account_changed(*, partner: Partner, before: dict[str, str], actor: User | None) -> None:
    """Where the partner's money goes changed: record both accounts for finance, and tell the people
    who look after the partner when the change came from the partner's side. Approved payouts keep
    the account they were approved with until a vendor re-approves them."""
    after = {name: getattr(partner, name) for name in BANK_FIELDS}
    signals.bank_account_changed.send(sender=Partner, partner=partner, before=before, after=after, actor=actor)
    if actor is not None and actor.is_vendor_staff:
        return
    notify(users=staff_for(partner), kind="bank_account_changed",
           url=reverse_path("partner_detail", "console", pk=partner.pk),
           # The masked accounts are kept as written now (their account type in the language of the change's author).
           message=(msg.text("partner.bank_account_changed", partner=partner.name),
                    msg.text("partner.bank_account_changed.body", before=japan.bank_account_text(before, masked=True),
                             after=japan.bank_account_text(after, masked=True))))


@transaction.atomic
def partner_profile_update(*, partner: Partner, actor: User, **fields) -> Partner:
    """The partner admin edits what the partner owns: contact details, invoice number, bank account."""
    require_partner_member(actor, partner, admin=True)
    unknown = set(fields) - set(PROFILE_FIELDS_FOR_PARTNERS)
    if unknown:
        raise PermissionDenied
    return partner_update(partner=partner, actor=actor, **fields)


# --------------------------------------------------------------------------- recruiting


APPLICATIONS_PER_ADDRESS_PER_HOUR = 5


def application_submit(*, client_ip: str, **fields) -> PartnerApplication:
    """The public application form. Each client address may file a few an hour.

    The attempt is counted atomically before anything is stored, so simultaneous
    submissions cannot all pass the limit; a submission refused for its content gives its
    attempt back.
    """
    if not ratelimits.hit("apply", client_ip, limit=APPLICATIONS_PER_ADDRESS_PER_HOUR, window=60 * 60):
        raise ratelimits.RateLimited(_("Too many applications from your network. Please try again later."))
    try:
        return _application_store(**fields)
    except ValidationError:
        ratelimits.give_back("apply", client_ip)
        raise


@transaction.atomic
def _application_store(**fields) -> PartnerApplication:
    fields = dict(fields)
    fields["contact_email"] = (fields.get("contact_email") or "").strip().lower()
    number = japan.normalise_corporate_number(fields.get("corporate_number") or "")
    fields["corporate_number"] = number
    if number and not japan.is_valid_corporate_number(number):
        raise ValidationError({"corporate_number": _("Enter the 13-digit corporate number (法人番号); its check digit does not match.")})
    pending = PartnerApplication.objects.filter(status=ApplicationStatus.PENDING)
    if pending.filter(contact_email=fields["contact_email"]).exists() or (
        number and pending.filter(corporate_number=number).exists()
    ):
        raise ValidationError(_("We already have your application and will be in touch soon. There is no need to send it again."))
    try:
        with transaction.atomic():
            return PartnerApplication.objects.create(**fields)
    except IntegrityError:  # the same form sent twice at the same moment
        raise ValidationError(_("We already have your application and will be in touch soon. There is no need to send it again.")) from None


@transaction.atomic
def application_approve(*, application: PartnerApplication, actor: User, owner: User | None = None) -> Partner:
    """Create the partner from the application and invite the applicant as its partner admin."""
    from prm.invitations.services import invitation_issue

    application = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(_("This application has already been reviewed."))
    if User.objects.filter(email__iexact=application.contact_email).exists():
        raise ValidationError(_("A user with the applicant's e-mail address already exists."))
    partner = partner_create(
        actor=actor,
        name=application.company_name,
        name_kana=application.company_name_kana,
        corporate_number=application.corporate_number,
        website=application.website,
        partner_type=application.partner_type,
        prefectures=application.prefectures,
        industries=application.industries,
        stage=Stage.RECRUITING,
        owner=owner or actor,
        phone=application.contact_phone,
    )
    Contact.objects.create(
        partner=partner, full_name=application.contact_name, full_name_kana=application.contact_name_kana,
        email=application.contact_email, phone=application.contact_phone, title=application.contact_title,
        role=ContactRole.SALES_MANAGER, is_key_person=True,
    )
    invitation_issue(email=application.contact_email, role=Role.PARTNER_ADMIN, partner=partner, invited_by=actor,
                     language=actor.language)
    application.status = ApplicationStatus.APPROVED
    application.reviewed_at = timezone.now()
    application.reviewed_by = actor
    application.partner = partner
    application.save(update_fields=["status", "reviewed_at", "reviewed_by", "partner"])
    event_record(partner, EventKind.APPLICATION_APPROVED, actor=actor, application=application.pk)
    return partner


@transaction.atomic
def application_reject(*, application: PartnerApplication, actor: User, reason: str) -> PartnerApplication:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    application = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(_("This application has already been reviewed."))
    application.status = ApplicationStatus.REJECTED
    application.rejection_reason = reason
    application.reviewed_at = timezone.now()
    application.reviewed_by = actor
    application.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by"])
    return application


@transaction.atomic
def agreement_record(*, partner: Partner, kind: str, agreed_on: date, actor: User, signatory: Contact | None = None,
                     summary: str = "", details: dict | None = None) -> Agreement:
    if kind not in AgreementKind.values:
        raise ValidationError({"kind": _("Choose one of the four agreements.")})
    if signatory is not None and signatory.partner_id != partner.pk:
        raise ValidationError({"partner_signatory": _("Choose a contact of this partner.")})
    if agreed_on > timezone.localdate():
        raise ValidationError({"agreed_on": _("An agreement cannot be dated in the future.")})
    agreement, _created = Agreement.objects.update_or_create(
        partner=partner, kind=kind,
        defaults={"agreed_on": agreed_on, "partner_signatory": signatory, "recorded_by": actor,
                  "recorded_at": timezone.now(), "summary": summary, "details": details or {}},
    )
    event_record(partner, EventKind.AGREEMENT, actor=actor, agreement=kind)
    if Agreement.objects.filter(partner=partner).count() == len(AgreementKind.values):
        if not PartnerEvent.objects.filter(partner=partner, kind=EventKind.PROGRAM_JOINED).exists():
            event_record(partner, EventKind.PROGRAM_JOINED, actor=actor)
    # The vendor's rule says how many agreements make an onboarding partner; the person recording the last one
    # sees the new stage at once.
    if lifecycle.stages_recompute(partner_ids=[partner.pk]):
        checklist_autocomplete(partner=partner)
    return agreement


# --------------------------------------------------------------------------- contacts and stages


@transaction.atomic
def contact_save(*, partner: Partner, actor: User | None, contact: Contact | None = None, **fields) -> Contact:
    fields["email"] = (fields.get("email") or "").strip().lower()
    if fields["email"] and Contact.objects.filter(partner=partner, email=fields["email"]).exclude(
        pk=getattr(contact, "pk", None)  # type: ignore[misc]  # None (a new contact) excludes nothing
    ).exists():
        raise ValidationError({"email": _("This partner already has a contact with this e-mail address.")})
    creating = contact is None
    contact = contact or Contact(partner=partner)
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.save()
    if creating:
        event_record(partner, EventKind.CONTACT_ADDED, actor=actor, contact=contact.pk, name=contact.full_name)
    contact_stages_recompute(contact_ids=[contact.pk])
    return contact


def contact_link_user(*, user: User) -> Contact | None:
    """Give a partner user's account to the contact with their address (created if needed)."""
    company = partner_for_user(user)
    if company is None:
        return None
    contact = Contact.objects.filter(partner_id=company.pk, email=user.email).first()
    if contact is None:
        contact = Contact.objects.create(
            partner_id=company.pk, full_name=user.full_name or user.email, email=user.email,
            full_name_kana=user.full_name_kana,
            role=ContactRole.SALES_MANAGER if user.role == Role.PARTNER_ADMIN else ContactRole.REP,
        )
    if contact.user_id != user.pk:
        contact.user = user
        contact.save(update_fields=["user"])
    contact_stages_recompute(contact_ids=[contact.pk])
    return contact


def contact_stages_recompute(*, contact_ids=None, partner_ids=None, now: datetime | None = None) -> int:
    """Recompute derived contact stages in one statement per stage; returns how many changed.

    With no ids, every contact of the vendor (the nightly run: activity windows expire with time).
    """
    now = now or timezone.now()
    thresholds = Thresholds.from_settings(PartnerSettings.current())
    contacts = Contact.objects.all()
    if contact_ids is not None:
        contacts = contacts.filter(pk__in=contact_ids)
    if partner_ids is not None:
        contacts = contacts.filter(partner_id__in=partner_ids)
    changes = list(
        contacts.annotate(new_stage=stage_expression(now, thresholds))
        .exclude(stage=F("new_stage"))
        .values_list("pk", "partner_id", "stage", "new_stage", "full_name")
    )
    by_stage: dict[str, list[int]] = defaultdict(list)
    for pk, _partner, _old, new, _name in changes:
        by_stage[new].append(pk)
    for stage, pks in by_stage.items():
        Contact.objects.filter(pk__in=pks).update(stage=stage, stage_computed_at=now)
    PartnerEvent.objects.bulk_create(
        PartnerEvent(partner_id=partner_id, kind=EventKind.CONTACT_STAGE, occurred_at=now,
                     data={"contact": pk, "name": name, "previous": old, "stage": new})
        for pk, partner_id, old, new, name in changes
    )
    return len(changes)


# signal_record and checklist_autocomplete run inside every deal registration: fixed statements for their reads.
_SIGNAL_RECORDED_SQL = "SELECT 1 FROM partners_contactsignal s WHERE s.kind = %(kind)s AND s.source = %(source)s LIMIT 1"
_CHECKLIST_ITEM, _SIGNAL = ModelRows(ChecklistItem), ModelRows(ContactSignal)


@cache
def _open_auto_items_sql() -> str:
    return (f"SELECT {_CHECKLIST_ITEM.columns('c')} FROM partners_checklistitem c WHERE c.partner_id = %(partner)s"
            " AND c.completed_at IS NULL AND c.auto_event <> '' ORDER BY c.position, c.id")


# No savepoint of its own: no caller goes on after it fails (the whole transaction rolls back), and a deal
# registration would pay two statements for one.
@transaction.atomic(savepoint=False)
def signal_record(*, partner: Partner, kind: str, contact: Contact | None = None, occurred_at: datetime | None = None,
                  amount: int | None = None, source: str = "") -> ContactSignal | None:
    """Record a fact another module observed (a certification, a registered lead …).

    Idempotent per source; recomputes the contact's stage and ticks the checklist items this
    fact completes. Returns None when the source was already recorded.
    """
    if contact is not None and contact.partner_id != partner.pk:
        raise ValidationError("contact of another partner")
    if source and fetch_rows(_SIGNAL_RECORDED_SQL, {"kind": kind, "source": source}):
        return None
    signal = ContactSignal(partner=partner, contact=contact, kind=kind, occurred_at=occurred_at or timezone.now(),
                           amount=amount, source=source)
    _SIGNAL.insert([signal])
    if kind in (SignalKind.DEAL_REGISTERED, SignalKind.DEAL_WON) or partner.stage == Stage.DORMANT:
        lifecycle.stages_recompute_soon([partner.pk])  # a first deal activates; any sign of life wakes a dormant one
    if contact is not None:
        contact_stages_recompute(contact_ids=[contact.pk])
    checklist_autocomplete(partner=partner)
    return signal


def signal_add(*, partner: Partner, kind: str, contact: Contact | None, occurred_at: datetime,
               source: str) -> ContactSignal:
    """Record a fact that moves no contact stage and completes no checklist item (a download): one INSERT,
    without signal_record's look-up of the source and its recomputations, for a hot path whose source is new
    by construction."""
    return ContactSignal.objects.create(partner=partner, contact=contact, kind=kind, occurred_at=occurred_at,
                                        source=source)


def signals_withdraw(*, kind: str, source: str) -> None:
    """Delete what `source` recorded as `kind`: the fact behind it was corrected (an attendance unmarked)."""
    ContactSignal.objects.filter(kind=kind, source=source).delete()


def record_portal_login(user: User) -> None:
    """Called after a partner user signs in to the portal."""
    contact = getattr(user, "contact", None) or contact_link_user(user=user)
    if contact is not None:
        signal_record(partner=contact.partner, contact=contact, kind="portal_login")


@transaction.atomic
def partner_user_deactivate(*, actor: User, user: User) -> User:
    try:
        require_partner_member(actor, partner_for_user(user), admin=True)
    except PermissionDenied:
        raise PermissionDenied(_("You can only deactivate colleagues of your own company.")) from None
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    contact = getattr(user, "contact", None)
    if contact is not None:
        contact_stages_recompute(contact_ids=[contact.pk])
    return user


# --------------------------------------------------------------------------- onboarding


@transaction.atomic
def onboarding_start(*, partner: Partner, actor: User | None) -> list[ChecklistItem]:
    """Give the partner its checklist from the template for its type (once)."""
    if partner.checklist.exists():
        return list(partner.checklist.all())
    template = OnboardingTemplate.objects.filter(partner_type=partner.partner_type).prefetch_related("items").first()
    if template is None:
        return []
    today = timezone.localdate()
    items = ChecklistItem.objects.bulk_create(
        ChecklistItem(partner=partner, title=item.title, due_on=today + timedelta(days=item.due_days),
                      auto_event=item.auto_event, position=item.position)
        for item in template.items.all()
    )
    checklist_autocomplete(partner=partner)
    return items


def checklist_autocomplete(*, partner: Partner) -> int:
    """Tick open items whose event the system has already observed for this partner."""
    open_items = [_CHECKLIST_ITEM.instance(row) for row in fetch_rows(_open_auto_items_sql(), {"partner": partner.pk})]
    if not open_items:
        return 0
    kinds = {item.auto_event for item in open_items}
    first_seen = dict(
        ContactSignal.objects.filter(partner=partner, kind__in=kinds)
        .order_by("kind", "occurred_at").distinct("kind").values_list("kind", "occurred_at")
    )
    if SignalKind.CERTIFIED in kinds:
        # The first certification comes from its owner (enablement's awards), not from a signal anyone may
        # record: the item is ticked only when a certification was really issued, on the day it was.
        from partners.selectors import figure_source

        first_seen.pop(SignalKind.CERTIFIED, None)
        first = figure_source("first_certifications")([partner.pk]).get(partner.pk)
        if first is not None:
            first_seen[SignalKind.CERTIFIED] = first
    done = 0
    for item in open_items:
        if item.auto_event in first_seen:
            item.completed_at = first_seen[item.auto_event]
            item.save(update_fields=["completed_at"])
            # The timeline shows the event on the day it happened, the day the checklist shows.
            event_record(partner, EventKind.CHECKLIST_DONE, item=item.title, automatic=True,
                         occurred_at=item.completed_at)
            done += 1
    return done


@transaction.atomic
def checklist_item_set(*, item: ChecklistItem, done: bool, actor: User) -> ChecklistItem:
    if item.auto_event:
        raise ValidationError(_("This item completes itself when the system sees it happen."))
    if done and item.completed_at is None:
        item.completed_at, item.completed_by = timezone.now(), actor
        event_record(item.partner, EventKind.CHECKLIST_DONE, actor=actor, item=item.title, automatic=False)
    elif not done:
        item.completed_at, item.completed_by = None, None
    item.save(update_fields=["completed_at", "completed_by"])
    return item


# --------------------------------------------------------------------------- activities and plans


@transaction.atomic
def activity_log(*, partner: Partner, actor: User, contacts=(), staff=(), **fields) -> Activity:
    if any(contact.partner_id != partner.pk for contact in contacts):
        raise ValidationError({"contacts": _("Choose contacts of this partner.")})
    activity = Activity.objects.create(partner=partner, created_by=actor, **fields)
    activity.contacts.set(contacts)
    activity.staff.set(staff)
    event_record(partner, EventKind.ACTIVITY, actor=actor, activity=activity, occurred_at=activity.occurred_at,
                 activity_kind=activity.kind, subject=activity.subject)
    return activity


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """FY2026 with an April start runs 2026-04-01 to 2027-03-31 (the Japanese convention)."""
    start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4  # type: ignore[attr-defined]  # django-tenants' connection
    starts = date(fiscal_year, start_month, 1)
    return starts, date(fiscal_year + 1, start_month, 1) - timedelta(days=1)


def fiscal_year_of(day: date) -> int:
    start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4  # type: ignore[attr-defined]  # django-tenants' connection
    return day.year if day.month >= start_month else day.year - 1


@transaction.atomic
def plan_save(*, partner: Partner, fiscal_year: int, actor: User, **targets) -> BusinessPlan:
    if not 2000 <= fiscal_year <= 2100:
        raise ValidationError({"fiscal_year": _("Enter a fiscal year such as 2026.")})
    starts_on, ends_on = fiscal_year_bounds(fiscal_year)
    plan, created = BusinessPlan.objects.update_or_create(
        partner=partner, fiscal_year=fiscal_year, defaults={"starts_on": starts_on, "ends_on": ends_on, **targets}
    )
    event_record(partner, EventKind.PLAN, actor=actor, fiscal_year=fiscal_year, created=created)
    return plan


@transaction.atomic
def settings_update(*, actor: User, **fields) -> PartnerSettings:
    require_vendor_staff(actor, admin=True)
    weights = [fields.get(f"weight_{name}", 0) for name in ("customer_overlap", "core_business", "characteristics", "sales_capacity")]
    if sum(weights) == 0:
        raise ValidationError(_("At least one planning weight must be above zero."))
    row = PartnerSettings.current()
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    contact_stages_recompute()
    lifecycle.stages_recompute()
    return row


def membership_create(*, user: User, partner: Partner) -> PartnerMembership:
    membership = PartnerMembership.objects.create(user=user, partner=partner)
    contact_link_user(user=user)
    return membership


ERASED = "削除済み"


def contact_erase(*, contact: Contact, actor: User) -> Contact:
    """Erase one contact's personal data on request (APPI), keeping every record that must stay.

    The contact row stays, so deals, training, signals and the money records that point at it or
    at its portal account keep existing; what identifies the person is replaced: the name by
    「削除済み」, e-mail, phone, department, title and notes emptied, the name in the partner's
    history removed. Their portal account, if any, is closed and its address replaced by one
    that cannot receive mail. Vendor administrators only; audited.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    require_vendor_staff(actor, admin=True)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        had_account = contact.user_id is not None
        Contact.objects.filter(pk=contact.pk).update(
            full_name=ERASED, full_name_kana="", email="", phone="", department="", title="", notes="",
            search_key=search_key(ERASED))
        for event in PartnerEvent.objects.filter(partner_id=contact.partner_id, data__contact=contact.pk):
            if "name" in event.data:
                event.data["name"] = ERASED
                event.save(update_fields=["data"])
        if had_account and contact.user_id is not None:
            user = User.objects.select_for_update().get(pk=contact.user_id)
            EmailAddress.objects.filter(user=user).delete()
            Authenticator.objects.filter(user=user).delete()
            user.full_name, user.full_name_kana = ERASED, ""
            user.email = f"erased-{user.pk}@erased.invalid"
            user.is_active = False
            user.set_unusable_password()  # also ends the sessions it had
            user.save()
        signals.contact_erased.send(sender=Contact, contact=contact, actor=actor, portal_account_closed=had_account)
    contact.refresh_from_db()
    return contact
