"""Reads of the partners module. Every list is one query (plus its paginator's count)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise

from partners.models import (
    Activity,
    AffinitySource,
    Agreement,
    AgreementKind,
    ApplicationStatus,
    BusinessPlan,
    ChecklistItem,
    Contact,
    ContactSignal,
    ContactStage,
    Partner,
    PartnerApplication,
    PartnerEvent,
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

SORTS = {
    "name": ("name_kana", "name"),
    "-name": ("-name_kana", "-name"),
    "created": ("created_at",),
    "-created": ("-created_at",),
    "stage": ("stage", "name_kana"),
    "type": ("partner_type", "name_kana"),
    "-active": ("-active_contacts", "name_kana"),
}


@dataclass
class PartnerFilters:
    q: str = ""
    partner_type: str = ""
    stage: str = ""
    owner: int | None = None
    prefecture: str = ""
    industry: str = ""
    parent: int | None = None
    sort: str = "name"
    stages: list[str] = field(default_factory=list)


def _with_counts(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    return qs.annotate(
        contact_count=Count("contacts", distinct=True),
        active_contacts=Count("contacts", filter=Q(contacts__stage=ContactStage.ACTIVE), distinct=True),
    )


def partner_list(filters: PartnerFilters | None = None) -> QuerySet[Partner]:
    filters = filters or PartnerFilters()
    qs: QuerySet[Partner] = Partner.objects.select_related("owner", "parent")
    if filters.q:
        words = filters.q.split()
        for word in words:
            qs = qs.filter(Q(name__icontains=word) | Q(name_kana__icontains=word) | Q(corporate_number=word))
    if filters.partner_type:
        qs = qs.filter(partner_type=filters.partner_type)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.stages:
        qs = qs.filter(stage__in=filters.stages)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.prefecture:
        qs = qs.filter(prefectures__contains=[filters.prefecture])
    if filters.industry:
        qs = qs.filter(industries__contains=[filters.industry])
    if filters.parent:
        qs = qs.filter(parent_id=filters.parent)
    if filters.sort == "-active":
        qs = _with_counts(qs)  # sorting by it needs the count on every row
    return qs.order_by(*SORTS.get(filters.sort, SORTS["name"]), "pk")


def attach_contact_counts(partners) -> list[Partner]:
    """Contact and active-contact counts for one page of partners, in one grouped query.

    Counting on the page rather than in the list query keeps a 10,000-partner list from
    aggregating every partner's contacts before it can take the first 50.
    """
    partners = list(partners)
    missing = {p.pk for p in partners if not hasattr(p, "contact_count")}
    if missing:
        counts = {
            row["partner_id"]: (row["total"], row["active"])
            for row in Contact.objects.filter(partner_id__in=missing).values("partner_id").annotate(
                total=Count("pk"), active=Count("pk", filter=Q(stage=ContactStage.ACTIVE)))
        }
        for partner in partners:
            if partner.pk in missing:
                partner.contact_count, partner.active_contacts = counts.get(partner.pk, (0, 0))
    return partners


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


def partner_detail(pk: int) -> Partner:
    return Partner.objects.select_related("owner", "parent").get(pk=pk)


def contacts_of(partner: Partner) -> QuerySet[Contact]:
    return Contact.objects.filter(partner=partner).select_related("user")


def agreements_of(partner: Partner) -> dict[str, Agreement]:
    agreements = Agreement.objects.filter(partner=partner).select_related("partner_signatory", "recorded_by")
    return {agreement.kind: agreement for agreement in agreements}


def agreement_rows(partner: Partner) -> list[tuple[str, str | Promise, Agreement | None]]:
    recorded = agreements_of(partner)
    return [(kind, label, recorded.get(kind)) for kind, label in AgreementKind.choices]


def checklist_of(partner: Partner) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(partner=partner).select_related("completed_by"))


def activities_of(partner: Partner, limit: int = 10) -> list[Activity]:
    return list(
        Activity.objects.filter(partner=partner)
        .select_related("created_by")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id", "full_name", "partner_id")), "staff")
        [:limit]
    )


def timeline_of(partner: Partner) -> QuerySet[PartnerEvent]:
    return PartnerEvent.objects.filter(partner=partner).select_related("actor", "activity")


def children_summary(partner: Partner) -> QuerySet[Partner]:
    """A distributor's sub-resellers with their stage and people, for its summary."""
    return _with_counts(Partner.objects.filter(parent=partner)).order_by("name_kana", "pk")


def current_plan(partner: Partner, today: date | None = None) -> BusinessPlan | None:
    today = today or timezone.localdate()
    return BusinessPlan.objects.filter(partner=partner, starts_on__lte=today, ends_on__gte=today).first()


@dataclass(frozen=True)
class PlanProgress:
    label: str
    target: int
    actual: int
    money: bool = False

    @property
    def percent(self) -> int:
        if not self.target:
            return 0
        return min(100, round(self.actual * 100 / self.target))


def plan_progress(plan: BusinessPlan) -> list[PlanProgress]:
    """Targets against actuals from what the system observed in the plan's period."""
    from django.utils.translation import gettext as _

    in_period = ContactSignal.objects.filter(
        partner_id=plan.partner_id, occurred_at__date__gte=plan.starts_on, occurred_at__date__lte=plan.ends_on
    )
    figures = in_period.aggregate(
        revenue=Sum("amount", filter=Q(kind=SignalKind.DEAL_WON)),
        won=Count("pk", filter=Q(kind=SignalKind.DEAL_WON)),
        leads=Count("pk", filter=Q(kind__in=[SignalKind.LEAD_REGISTERED, SignalKind.DEAL_REGISTERED])),
        certified=Count("contact", filter=Q(kind=SignalKind.CERTIFIED), distinct=True),
    )
    active = Contact.objects.filter(partner_id=plan.partner_id, stage=ContactStage.ACTIVE).count()
    return [
        PlanProgress(_("Revenue"), plan.revenue_target, figures["revenue"] or 0, money=True),
        PlanProgress(_("Won deals"), plan.deals_target, figures["won"]),
        PlanProgress(_("Registered leads and deals"), plan.leads_target, figures["leads"]),
        PlanProgress(_("Active contacts"), plan.active_contacts_target, active),
        PlanProgress(_("Certified reps"), plan.certified_target, figures["certified"]),
    ]


def application_queue() -> QuerySet[PartnerApplication]:
    duplicate = Partner.objects.filter(corporate_number=OuterRef("corporate_number")).exclude(corporate_number="")
    return (
        PartnerApplication.objects.filter(status=ApplicationStatus.PENDING)
        .annotate(known_partner=Exists(duplicate))
        .order_by("submitted_at")
    )


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


def contact_stage_rows(partner: Partner | None = None) -> list[tuple[str, str | Promise, int]]:
    counts = contact_stage_counts(partner)
    return [(stage, label, counts[stage]) for stage, label in ContactStage.choices]


def stage_counts() -> dict[str, int]:
    counts = dict(Partner.objects.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    return {stage: counts.get(stage, 0) for stage in Stage.values}


def partner_total(filters: PartnerFilters, counts: dict[str, int]) -> int | None:
    """The list's number of partners from the stage strip's counts, when they tell it (no filter but the
    stage): the page then needs no COUNT(*) of its own. None when only the list query can tell."""
    if replace(filters, stage="", sort="name") != PartnerFilters():
        return None
    return counts.get(filters.stage, 0) if filters.stage else sum(counts.values())


def stage_rows() -> list[tuple[str, str | Promise, int]]:
    counts = stage_counts()
    return [(stage, label, counts[stage]) for stage, label in Stage.choices]


def staff_for(partner: Partner) -> list:
    """Who at the vendor looks after this partner: its owner, or every channel manager without one."""
    return staff_for_many([partner])[partner.pk]


def staff_for_many(partners) -> dict[int, list]:
    """staff_for of many partners (fetch them with select_related("owner")): the channel managers are read once."""
    from prm.accounts.models import Role, User

    staff: dict[int, list] = {}
    managers = None
    for partner in partners:
        if partner.owner_id and partner.owner.is_active:
            staff[partner.pk] = [partner.owner]
            continue
        if managers is None:
            managers = list(User.objects.filter(role=Role.CHANNEL_MANAGER, is_active=True))
        staff[partner.pk] = managers
    return staff


def partner_for_user(user) -> Partner | None:
    """The user's company: membership and partner in one query (every portal request asks), both kept
    on the user so later `user.partner_membership` reads cost nothing."""
    descriptor = user._meta.model.partner_membership  # the class, also behind request.user's lazy object
    if descriptor.is_cached(user):
        membership = getattr(user, "partner_membership", None)
        return membership.partner if membership else None
    membership = PartnerMembership.objects.select_related("partner").filter(user=user).first()
    descriptor.related.set_cached_value(user, membership)
    if membership is None:
        return None
    PartnerMembership.user.field.set_cached_value(membership, user)
    return membership.partner


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


def health_scores_for_sync():
    """Every signed partner's current health score (the vendor's figure; partners do not read it)."""
    from partners.health.models import HealthScore

    return HealthScore.objects.all()
