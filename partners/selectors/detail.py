"""The partner's own records as its console page and the portal show them: the partner with its people, its
onboarding checklist, the plan of the day, its contacts, agreements and latest activities. Fixed statements, each
building the instances (and the related ones it joins) as the ORM's select_related would: every console page of a
partner reads it, and the ORM's compilation of these queries cost many times their round trips."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.db.models import Model
from django.utils import timezone

from partners.models import Activity, Agreement, BusinessPlan, ChecklistItem, Contact, Partner
from prm.accounts.models import User
from prm.reads import Later, ModelRows, Read, fetch_rows

_PARTNER, _USER, _ITEM = ModelRows(Partner), ModelRows(User), ModelRows(ChecklistItem)
_PLAN, _CONTACT, _AGREEMENT, _ACTIVITY = ModelRows(BusinessPlan), ModelRows(Contact), ModelRows(Agreement), ModelRows(Activity)


def _keep(instance: Model, field: str, related: Model | None) -> None:
    """Keep a joined row on the instance as select_related would (None for a missing one)."""
    type(instance)._meta.get_field(field).set_cached_value(instance, related)  # type: ignore[union-attr]


def _each_with_user(rows: ModelRows, found: list[tuple], field: str) -> list:
    """The instances of a statement's rows that hold `rows`' columns and then one user's (a LEFT JOIN), each with
    that user (or None) kept as `field`."""
    instances = []
    for row in found:
        instance = rows.instance(row[:rows.width])
        _keep(instance, field, _USER.instance_or_none(row[rows.width:]))
        instances.append(instance)
    return instances


@cache
def _partner_sql() -> str:
    return (f"SELECT {_PARTNER.columns('p')}, {_USER.columns('o')}, {_PARTNER.columns('q')}, {_USER.columns('s')}"
            " FROM partners_partner p LEFT JOIN accounts_user o ON o.id = p.owner_id"
            " LEFT JOIN partners_partner q ON q.id = p.parent_id"
            " LEFT JOIN accounts_user s ON s.id = p.stage_override_by_id WHERE p.id = %(pk)s")


def partner_with_people(pk: int) -> Partner | None:
    """The partner with its owner, parent and who set its stage by hand (None: no partner with this id)."""
    rows = fetch_rows(_partner_sql(), {"pk": pk})
    if not rows:
        return None
    row, p, u = rows[0], _PARTNER.width, _USER.width
    partner = _PARTNER.instance(row[:p])
    _keep(partner, "owner", _USER.instance_or_none(row[p:p + u]))
    _keep(partner, "parent", _PARTNER.instance_or_none(row[p + u:p + u + p]))
    _keep(partner, "stage_override_by", _USER.instance_or_none(row[p + u + p:]))
    return partner


@cache
def _checklist_sql() -> str:
    return (f"SELECT {_ITEM.columns('c')}, {_USER.columns('u')} FROM partners_checklistitem c"
            " LEFT JOIN accounts_user u ON u.id = c.completed_by_id"
            " WHERE c.partner_id = %(partner)s ORDER BY c.position, c.id")


def checklist_of(partner: Partner) -> list[ChecklistItem]:
    """The partner's onboarding checklist in its order, each item with who completed it."""
    return _checklist(partner).run()


def _checklist(partner: Partner) -> Read:
    return Read(_checklist_sql(), {"partner": partner.pk}, lambda rows: _each_with_user(_ITEM, rows, "completed_by"))


@cache
def _plan_sql() -> str:
    return (f"SELECT {_PLAN.columns('b')} FROM partners_businessplan b"
            " WHERE b.partner_id = %(partner)s AND b.starts_on <= %(today)s AND b.ends_on >= %(today)s"
            " ORDER BY b.fiscal_year DESC LIMIT 1")


def current_plan(partner: Partner, today: date | None = None) -> BusinessPlan | None:
    """The partner's business plan whose year holds `today` (by default the local day)."""
    return _plan(partner, today).run()


def _plan(partner: Partner, today: date | None) -> Read:
    return Read(_plan_sql(), {"partner": partner.pk, "today": today or timezone.localdate()},
                 lambda rows: _PLAN.instance(rows[0]) if rows else None)


@cache
def _contacts_sql() -> str:
    return (f"SELECT {_CONTACT.columns('k')}, {_USER.columns('u')} FROM partners_contact k"
            " LEFT JOIN accounts_user u ON u.id = k.user_id"
            " WHERE k.partner_id = %(partner)s ORDER BY k.is_key_person DESC, k.full_name_kana, k.full_name, k.id")


def contacts_of(partner: Partner) -> list[Contact]:
    """The partner's contacts, key people first then by kana (the contacts' order), each with its portal user."""
    return _contacts(partner).run()


def _contacts(partner: Partner) -> Read:
    return Read(_contacts_sql(), {"partner": partner.pk}, lambda rows: _each_with_user(_CONTACT, rows, "user"))


@cache
def _agreements_sql() -> str:
    return (f"SELECT {_AGREEMENT.columns('a')}, {_CONTACT.columns('k')}, {_USER.columns('u')}"
            " FROM partners_agreement a LEFT JOIN partners_contact k ON k.id = a.partner_signatory_id"
            " LEFT JOIN accounts_user u ON u.id = a.recorded_by_id WHERE a.partner_id = %(partner)s")


def agreements_of(partner: Partner) -> dict[str, Agreement]:
    """kind → the partner's agreement of that kind (one at most), with its signatory and who recorded it."""
    return _agreements(partner).run()


def _agreements(partner: Partner) -> Read:
    return Read(_agreements_sql(), {"partner": partner.pk}, _agreements_of)


def _agreements_of(rows: list[tuple]) -> dict[str, Agreement]:
    agreements = {}
    a, k = _AGREEMENT.width, _CONTACT.width
    for row in rows:
        agreement = _AGREEMENT.instance(row[:a])
        _keep(agreement, "partner_signatory", _CONTACT.instance_or_none(row[a:a + k]))
        _keep(agreement, "recorded_by", _USER.instance_or_none(row[a + k:]))
        agreements[agreement.kind] = agreement
    return agreements


@cache
def _activities_sql() -> str:
    return (f"SELECT {_ACTIVITY.columns('a')}, {_USER.columns('u')} FROM partners_activity a"
            " LEFT JOIN accounts_user u ON u.id = a.created_by_id"
            " WHERE a.partner_id = %(partner)s ORDER BY a.occurred_at DESC, a.id DESC LIMIT %(limit)s")


@cache
def _attendees_sql() -> str:
    contacts, staff = Activity.contacts.through._meta.db_table, Activity.staff.through._meta.db_table
    return (f"SELECT 'contact', t.activity_id, {_CONTACT.columns('k')}, {_USER.columns('u')}"
            f" FROM {contacts} t JOIN partners_contact k ON k.id = t.contact_id"
            " LEFT JOIN accounts_user u ON false WHERE t.activity_id = ANY(%(ids)s)"
            f" UNION ALL SELECT 'staff', t.activity_id, {_CONTACT.columns('k')}, {_USER.columns('u')}"
            f" FROM {staff} t JOIN accounts_user u ON u.id = t.user_id"
            " LEFT JOIN partners_contact k ON false WHERE t.activity_id = ANY(%(ids)s)"
            # each relation in its model's order: contacts key people first then by kana, users by e-mail
            f" ORDER BY 1, 2, {_position(_CONTACT, 'is_key_person')} DESC, {_position(_CONTACT, 'full_name_kana')},"
            f" {_position(_CONTACT, 'full_name')}, {_position(_USER, 'email')}")


def _position(rows: ModelRows, attname: str) -> int:
    """The position of a column in the attendees' statement (the relation's name and the activity first)."""
    before = 2 if rows is _CONTACT else 2 + _CONTACT.width
    return before + rows.attnames.index(attname) + 1


def activities_of(partner: Partner, limit: int = 10) -> list[Activity]:
    """The partner's latest activities, newest first, each with who logged it and its attendees (`contacts` and
    `staff`, prefetched in their models' orders): two statements, one when there is none."""
    return _activities(partner, limit).run()


def _activities(partner: Partner, limit: int) -> Read:
    """The activities with who logged each; building them reads their attendees (a second statement)."""
    return Read(_activities_sql(), {"partner": partner.pk, "limit": limit},
                 lambda rows: _with_attendees(_each_with_user(_ACTIVITY, rows, "created_by")))


def _with_attendees(activities: list[Activity]) -> list[Activity]:
    if not activities:
        return activities
    attendees: dict[tuple[str, int], list] = {}
    k = 2 + _CONTACT.width
    for row in fetch_rows(_attendees_sql(), {"ids": [activity.pk for activity in activities]}):
        person = _CONTACT.instance(row[2:k]) if row[0] == "contact" else _USER.instance(row[k:])
        attendees.setdefault((row[0], row[1]), []).append(person)
    for activity in activities:
        _prefetched(activity, "contacts", attendees.get(("contact", activity.pk), []))
        _prefetched(activity, "staff", attendees.get(("staff", activity.pk), []))
    return activities


def _prefetched(instance: Model, name: str, rows: list) -> None:
    """Keep a many-to-many relation's rows on the instance as prefetch_related does."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


@dataclass(frozen=True)
class PartnerPage:
    """What the partner's console page shows of its own records, besides the partner."""

    checklist: list[ChecklistItem]
    plan: BusinessPlan | None
    contacts: list[Contact]
    agreements: dict[str, Agreement]
    activities: list[Activity]


def partner_page(partner: Partner, *, today: date | None = None, activities: int = 5) -> PartnerPage:
    """checklist_of, current_plan, contacts_of, agreements_of and activities_of (`activities` of them) at once: their
    five statements in one round trip, then the activities' attendees when there are activities."""
    return partner_page_later(partner, today=today, activities=activities).run()


def partner_page_later(partner: Partner, *, today: date | None = None, activities: int = 5) -> Later[PartnerPage]:
    """partner_page's five reads, for a page that runs them with its other sections' (prm.reads.resolve)."""
    return Later([_checklist(partner), _plan(partner, today), _contacts(partner), _agreements(partner),  # PartnerPage's order
                  _activities(partner, activities)], PartnerPage)
