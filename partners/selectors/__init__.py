"""Reads of the partners module. Every list is one query (plus its paginator's count)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from partners.models import (
    SIGNED_STAGES,
    Activity,
    AffinitySource,
    Agreement,
    AgreementKind,
    ApplicationStatus,
    BusinessPlan,
    Contact,
    ContactSignal,
    ContactStage,
    Partner,
    PartnerApplication,
    PartnerMembership,
    PartnerSettings,
    SignalKind,
    Stage,
)
from partners.planning import (
    FACTORS,
    Weights,
    computed_affinity_expression,
    computed_affinity_scores,
    prospect_score,
    prospect_score_expression,
)
from partners.selectors.change_marker import change_marker_sql as change_marker_sql
from partners.selectors.commissions import contact_signal_times as contact_signal_times
from partners.selectors.commissions import contact_signals_for_commissions as contact_signals_for_commissions
from partners.selectors.commissions import parent_id_of as parent_id_of
from partners.selectors.commissions import partner_types_and_parents as partner_types_and_parents
from partners.selectors.commissions import signal_digest_sql as signal_digest_sql
from partners.selectors.commissions import sub_partner_ids as sub_partner_ids
from partners.selectors.detail import activities_of as activities_of
from partners.selectors.detail import agreements_of as agreements_of
from partners.selectors.detail import checklist_of as checklist_of
from partners.selectors.detail import contacts_of as contacts_of
from partners.selectors.detail import current_plan as current_plan
from partners.selectors.detail import partner_page as partner_page
from partners.selectors.detail import partner_page_later as partner_page_later
from partners.selectors.detail import partner_with_people as partner_with_people
from partners.selectors.health_inputs import health_inputs as health_inputs
from partners.selectors.inbox import partner_ids_owned_by as partner_ids_owned_by
from partners.selectors.listing import SORTS as SORTS
from partners.selectors.listing import STAGE_ORDER as STAGE_ORDER
from partners.selectors.listing import PartnerFilters as PartnerFilters
from partners.selectors.listing import PartnerPages as PartnerPages
from partners.selectors.listing import attach_contact_counts as attach_contact_counts
from partners.selectors.listing import partner_list as partner_list
from partners.selectors.listing import partner_total as partner_total
from partners.selectors.listing import sort_keys as sort_keys
from partners.selectors.listing import with_contact_counts
from partners.selectors.lookups import active_partners_with_user_counts as active_partners_with_user_counts
from partners.selectors.lookups import partner_by_id as partner_by_id
from partners.selectors.lookups import partner_choices as partner_choices
from partners.selectors.lookups import partner_types_and_names as partner_types_and_names
from partners.selectors.lookups import partners_by_ids as partners_by_ids
from partners.selectors.lookups import partners_by_name as partners_by_name
from partners.selectors.portal import contact_of_user as contact_of_user
from partners.selectors.portal import keep_contact
from partners.selectors.rankings import FiguresSQL as FiguresSQL
from partners.selectors.rankings import partner_count_in_stages as partner_count_in_stages
from partners.selectors.rankings import partners_in_stages as partners_in_stages
from partners.selectors.rankings import ranking as ranking
from partners.selectors.rankings import stage_counts as stage_counts
from partners.selectors.scope import PartnerScope as PartnerScope
from partners.selectors.scope import scope_figures as scope_figures
from partners.selectors.scope import scope_sql as scope_sql
from partners.selectors.scope import stage_durations as stage_durations
from partners.selectors.scope import start_day_sql as start_day_sql
from partners.selectors.search import contact_search as contact_search
from partners.selectors.search import partner_ids_named as partner_ids_named
from partners.selectors.search import partner_search as partner_search
from prm.accounts.models import User
from prm.reads import ModelRows, fetch_rows, local_days

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

def prospect_ranking() -> QuerySet[Partner]:
    """Prospects best first. With the computed customer affinity chosen, each row also carries
    `computed_affinity` (None: no customer list, the typed score was used)."""
    settings_row = PartnerSettings.current()
    weights = Weights.from_settings(settings_row)
    qs = Partner.objects.filter(stage=Stage.PROSPECT).select_related("owner")
    if settings_row.customer_affinity_source == AffinitySource.COMPUTED:
        qs = qs.annotate(computed_affinity=computed_affinity_expression())
        score = prospect_score_expression(
            weights, customer_overlap=Coalesce(F("computed_affinity"), F("score_customer_overlap")))
    else:
        score = prospect_score_expression(weights)
    return qs.annotate(score=score).order_by("-score", "name_kana", "pk")


def prospect_score_of(partner: Partner) -> float:
    """The Python twin of prospect_ranking's score, for one partner."""
    settings_row = PartnerSettings.current()
    scores = {factor: getattr(partner, f"score_{factor}") for factor in FACTORS}
    if settings_row.customer_affinity_source == AffinitySource.COMPUTED:
        computed = computed_affinity_scores([partner.pk]).get(partner.pk)
        if computed is not None:
            scores["customer_overlap"] = computed
    return prospect_score(scores, Weights.from_settings(settings_row))


def agreement_rows(partner: Partner, recorded: dict[str, Agreement] | None = None
                   ) -> list[tuple[str, StrOrPromise, Agreement | None]]:
    """The four agreements' rows: each kind with its label and the partner's agreement of that kind, if any
    (`recorded`: agreements_of(partner), when the caller read it already)."""
    recorded = agreements_of(partner) if recorded is None else recorded
    return [(kind, label, recorded.get(kind)) for kind, label in AgreementKind.choices]


def children_summary(partner: Partner) -> QuerySet[Partner]:
    """A distributor's sub-resellers with their stage and people, for its summary."""
    return with_contact_counts(Partner.objects.filter(parent=partner)).order_by("name_kana", "pk")


@dataclass(frozen=True)
class PlanProgress:
    label: str
    target: int
    actual: int
    money: bool = False
    figure: str = ""  # its key in prm.figures, when the actual is a catalogued figure
    at_day: bool = False  # taken on the day shown rather than over the plan's year
    window: object = None  # prm.figures.Window
    partner_id: int | None = None

    @property
    def percent(self) -> int:
        if not self.target:
            return 0
        return min(100, round(self.actual * 100 / self.target))


# Figures of the apps above partners (deals, enablement), reached through the functions those apps register
# here when they load (partners never imports them): key → function over partner ids (see prm.figures).
_figure_sources: dict[str, Callable] = {}


def register_figure_source(key: str, function: Callable) -> None:
    _figure_sources[key] = function


def figure_source(key: str) -> Callable:
    """The owner's function for a figure; an app that is not installed counts nothing."""
    return _figure_sources.get(key, lambda *args, **kwargs: {})


def plan_window(plan: BusinessPlan, today: date | None = None) -> tuple[date, date]:
    """The plan's fiscal year, up to today while it runs (the window key fyYYYY of prm.figures)."""
    today = today or timezone.localdate()
    return plan.starts_on, min(plan.ends_on, max(today, plan.starts_on))


def plan_progress(plan: BusinessPlan, today: date | None = None) -> list[PlanProgress]:
    """Targets against the actuals of the plan's fiscal year, each from the figure's owner: won revenue and
    won deals (deals), registrations, certified reps today (enablement) and active contacts today."""
    from datetime import datetime, time

    from django.utils.translation import gettext as _

    today = today or timezone.localdate()
    start, end = plan_window(plan, today)
    ids = [plan.partner_id]
    revenue, won = figure_source("won_totals")(ids, start, end).get(plan.partner_id, (0, 0))
    leads = ContactSignal.objects.filter(
        partner_id=plan.partner_id, kind=SignalKind.LEAD_REGISTERED,
        occurred_at__date__gte=start, occurred_at__date__lte=end).count()
    registered = figure_source("registered_deals")(ids, start, end).get(plan.partner_id, 0)
    now = timezone.make_aware(datetime.combine(today, time.max)) if today != timezone.localdate() else timezone.now()
    certified = figure_source("certified_reps")(ids, now).get(plan.partner_id, 0)
    active = active_contacts(ids, today).get(plan.partner_id, 0)
    from django.db import connection

    from prm import figures

    start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4  # type: ignore[attr-defined]  # django-tenants' connection
    year = figures.fiscal_year(plan.fiscal_year, start_month, today=today)
    day = figures.as_of(today)
    own = plan.partner_id
    return [
        PlanProgress(_("Revenue"), plan.revenue_target, revenue, money=True, figure="won_revenue", window=year,
                     partner_id=own),
        PlanProgress(_("Won deals"), plan.deals_target, won, figure="won_deals", window=year, partner_id=own),
        PlanProgress(_("Registered leads and deals"), plan.leads_target, leads + registered, window=year,
                     partner_id=own),
        PlanProgress(_("Active contacts"), plan.active_contacts_target, active, figure="active_contacts",
                     at_day=True, window=day, partner_id=own),
        PlanProgress(_("Certified reps"), plan.certified_target, certified, figure="certified_reps", at_day=True,
                     window=day, partner_id=own),
    ]


def active_contacts(partner_ids, at: date | None = None) -> dict[int, int]:
    """partner id → its contacts at the stage Active (the stage is kept current: `at` is the day shown, today).
    `partner_ids=None` covers every partner."""
    contacts = Contact.objects.filter(stage=ContactStage.ACTIVE)
    if partner_ids is not None:
        contacts = contacts.filter(partner_id__in=list(partner_ids))
    return dict(contacts.order_by().values("partner_id").annotate(n=Count("pk")).values_list("partner_id", "n"))


def member_pairs_sql(partner_ids, *, active_only: bool = True) -> tuple[str, dict[str, Any]]:
    """A relation (partner_id, user_id) of every active user (every user, with `active_only=False`) who is a member
    of the partners (None: of every partner), and its parameters (starting `members_`): the partners tables' part
    of a statement that counts members' doings (enablement's certified reps and quiz results)."""
    conditions = ["u.is_active"] if active_only else []
    params: dict[str, Any] = {}
    if partner_ids is not None:
        conditions.append("m.partner_id = ANY(%(members_partner_ids)s)")
        params["members_partner_ids"] = list(partner_ids)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    join = "JOIN accounts_user u ON u.id = m.user_id" if active_only else ""
    return f"SELECT m.partner_id, m.user_id FROM partners_partnermembership m {join} {where}", params


def member_pairs(partner_ids, *, active_only: bool = True) -> set[tuple[int, int]]:
    """(partner id, user id) of every active user (every user, with `active_only=False`) who is a member of the
    partners (None: of every partner); member_pairs_sql's relation, read."""
    sql, params = member_pairs_sql(partner_ids, active_only=active_only)
    return {(partner_id, user_id) for partner_id, user_id in fetch_rows(sql, params)}


def meeting_count(partner_ids, start: date, end: date) -> dict[int, int]:
    """partner id → meetings held with the partner (regular, QBR, kickoff, other) from `start` to `end`."""
    since, until = local_days(start, end)
    activities = Activity.objects.filter(kind__in=["regular_meeting", "qbr", "kickoff", "meeting"],
                                         occurred_at__gte=since, occurred_at__lt=until)
    if partner_ids is not None:
        activities = activities.filter(partner_id__in=list(partner_ids))
    return dict(activities.order_by().values("partner_id").annotate(n=Count("pk")).values_list("partner_id", "n"))


def application_queue() -> QuerySet[PartnerApplication]:
    duplicate = Partner.objects.filter(corporate_number=OuterRef("corporate_number")).exclude(corporate_number="")
    return (
        PartnerApplication.objects.filter(status=ApplicationStatus.PENDING)
        .annotate(known_partner=Exists(duplicate))
        .order_by("submitted_at")
    )


def signed_partner_count() -> int:
    return partner_count_in_stages(SIGNED_STAGES)


def pending_application_count() -> int:
    return PartnerApplication.objects.filter(status=ApplicationStatus.PENDING).count()


def program_participation_count() -> int:
    """Partners that agreed to all four agreements (プログラム参画数), the Recruiting KPI."""
    return (
        Agreement.objects.values("partner").annotate(kinds=Count("kind", distinct=True))
        .filter(kinds=len(AgreementKind.values)).count()
    )


def contact_stage_counts(partner: Partner | None = None) -> dict[str, int]:
    qs = Contact.objects.all() if partner is None else Contact.objects.filter(partner=partner)
    counts = dict(qs.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    return {stage: counts.get(stage, 0) for stage in ContactStage.values}


def contact_stage_rows(partner: Partner | None = None, *, contacts: list[Contact] | None = None
                       ) -> list[tuple[str, StrOrPromise, int]]:
    """(stage, label, count) of every contact stage; from `contacts` (all of one partner's, already
    read for the page) without a query of its own."""
    if contacts is not None:
        counts = {stage: 0 for stage in ContactStage.values}
        for contact in contacts:
            counts[contact.stage] = counts.get(contact.stage, 0) + 1
    else:
        counts = contact_stage_counts(partner)
    return [(stage, label, counts[stage]) for stage, label in ContactStage.choices]


def stage_rows() -> list[tuple[str, StrOrPromise, int]]:
    counts = stage_counts()
    return [(stage, label, counts[stage]) for stage, label in Stage.choices]


def staff_for(partner: Partner) -> list:
    """Who at the vendor looks after this partner: its owner, or every channel manager without one."""
    return staff_for_many([partner])[partner.pk]


def staff_for_many(partners) -> dict[int, list]:
    """staff_for of many partners (fetch them with select_related("owner")): the channel managers are read once."""
    from prm.accounts.models import Role

    staff: dict[int, list] = {}
    managers = None
    for partner in partners:
        if partner.owner_id and _owner(partner).is_active:
            staff[partner.pk] = [partner.owner]
            continue
        if managers is None:
            managers = _active_channel_managers(Role.CHANNEL_MANAGER)
        staff[partner.pk] = managers
    return staff


# Every deal registration notifies the partner's staff: their users are read in fixed statements.
_USERS = ModelRows(User)


@cache
def _users_sql(condition: str) -> str:
    return f"SELECT {_USERS.columns('u')} FROM accounts_user u WHERE {condition} ORDER BY u.email"


def _owner(partner: Partner) -> User:
    """partner.owner (set), read unless already read and kept on the partner."""
    if Partner.owner.is_cached(partner):
        owner = partner.owner
    else:
        owner = _USERS.instance(fetch_rows(_users_sql("u.id = %(id)s"), {"id": partner.owner_id})[0])
        Partner.owner.field.set_cached_value(partner, owner)
    assert owner is not None  # asked only of a partner with an owner
    return owner


def _active_channel_managers(role: str) -> list[User]:
    """The active channel managers, by e-mail (the users' order)."""
    return [_USERS.instance(row) for row in fetch_rows(_users_sql("u.role = %(role)s AND u.is_active"), {"role": role})]


def partner_for_user(user) -> Partner | None:
    """The user's company: membership, partner and the user's contact record in one query (every portal request
    asks), kept on the user so later `user.partner_membership` and `user.contact` reads cost nothing."""
    descriptor = user._meta.model.partner_membership  # the class, also behind request.user's lazy object
    if descriptor.is_cached(user):
        membership = getattr(user, "partner_membership", None)
        return membership.partner if membership else None
    rows = fetch_rows(_membership_sql(), {"user": user.pk})
    membership_end, partner_end = len(_MEMBERSHIP.fields), len(_MEMBERSHIP.fields) + len(_PARTNER.fields)
    membership = _MEMBERSHIP.instance(rows[0][:membership_end]) if rows else None
    descriptor.related.set_cached_value(user, membership)
    if membership is None:
        return None
    PartnerMembership.user.field.set_cached_value(membership, user)
    PartnerMembership.partner.field.set_cached_value(membership, _PARTNER.instance(rows[0][membership_end:partner_end]))
    if not user._meta.model.contact.is_cached(user):
        keep_contact(user, _CONTACT.instance(rows[0][partner_end:]) if rows[0][partner_end] is not None else None)
    return membership.partner


_MEMBERSHIP, _PARTNER, _CONTACT = ModelRows(PartnerMembership), ModelRows(Partner), ModelRows(Contact)


@cache
def _membership_sql() -> str:
    """A user's membership, its partner and the user's contact (if any), every column of the three: a fixed
    statement, as every portal request asks."""
    return (f"SELECT {_MEMBERSHIP.columns('m')}, {_PARTNER.columns('p')}, {_CONTACT.columns('k')}"
            " FROM partners_partnermembership m JOIN partners_partner p ON p.id = m.partner_id"
            " LEFT JOIN partners_contact k ON k.user_id = m.user_id WHERE m.user_id = %(user)s")


def agreement_count(partner: Partner) -> int:
    return Agreement.objects.filter(partner=partner).count()


def partners_for_sync(*, partner_id: int | None = None, external_id: tuple[str, str] | None = None) -> QuerySet[Partner]:
    """Partners as an outside system syncs them: every partner of the vendor, or (a partner's own
    key) that partner alone; `external_id` (source, id) finds the one a CRM knows. The caller orders and pages.
    Plain rows (the parent as its id): a page is one index range scan on (updated_at, id)."""
    qs = Partner.objects.all()
    if partner_id is not None:
        qs = qs.filter(pk=partner_id)
    if external_id is not None:
        qs = qs.filter(external_ids__contains={external_id[0]: external_id[1]})
    return qs


def partner_for_sync(pk: int, *, partner_id: int | None = None) -> Partner | None:
    if partner_id is not None and pk != partner_id:
        return None
    return Partner.objects.filter(pk=pk).first()


def contacts_for_sync(*, partner_id: int | None = None, external_id: tuple[str, str] | None = None) -> QuerySet[Contact]:
    """Contacts as an outside system syncs them: the vendor's, or one partner's (its own key)."""
    qs = Contact.objects.all()
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    if external_id is not None:
        qs = qs.filter(external_ids__contains={external_id[0]: external_id[1]})
    return qs


def contact_for_sync(pk: int, *, partner_id: int | None = None) -> Contact | None:
    return contacts_for_sync(partner_id=partner_id).filter(pk=pk).first()


def partner_names(partner_ids) -> dict[int, str]:
    """partner id → name."""
    return dict(Partner.objects.filter(pk__in=list(partner_ids)).order_by().values_list("pk", "name"))


def plan_for_year(partner: Partner, fiscal_year: int) -> BusinessPlan | None:
    return BusinessPlan.objects.filter(partner=partner, fiscal_year=fiscal_year).first()


def open_actions_since(partner: Partner, since, limit: int = 10) -> list[Activity]:
    """Next actions written on the partner's activities since `since`, soonest due first."""
    return list(Activity.objects.filter(partner=partner, occurred_at__gte=since).exclude(next_actions="")
                .order_by(F("next_action_due").asc(nulls_last=True), "-occurred_at")[:limit])


def partners_with_owner(partner_ids) -> dict[int, Partner]:
    """id → partner, with its owner loaded."""
    return Partner.objects.select_related("owner").in_bulk(list(partner_ids))


def contact_account_counts(partner_ids) -> dict[int, dict[str, int]]:
    """partner id → its contacts: `never` (an active portal account that never signed in), `no_account`
    (an e-mail address but no account) and `total`."""
    logged_in = ContactSignal.objects.filter(contact=OuterRef("pk"), kind=SignalKind.PORTAL_LOGIN)
    rows = (Contact.objects.filter(partner_id__in=list(partner_ids)).annotate(signed_in=Exists(logged_in))
            .order_by().values("partner_id").annotate(
                never=Count("pk", filter=Q(user__isnull=False, user__is_active=True, signed_in=False)),
                no_account=Count("pk", filter=Q(user__isnull=True) & ~Q(email="")),
                total=Count("pk")))
    return {row["partner_id"]: {"never": row["never"], "no_account": row["no_account"], "total": row["total"]}
            for row in rows}
