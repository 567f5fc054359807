from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from deals.segments import EmployeeBand, JsicMajor
from partners.search import SearchKeyField, search_indexes
from prm import messages
from prm.bounds import MAX_DAYS, positive_yen_validators, validate_business_date, yen_validators
from prm.choices import FastChoiceDisplay
from prm.reads import ModelRows, fetch_rows


class RuleMode(models.TextChoices):
    FIRST_COME = "first_come", _("First come: the earliest registration holds priority")
    CUSTOMER_CHOICE = "customer_choice", _("Customer's choice: the channel manager records whom the customer chose")
    MANUAL = "manual", _("Manual review of every conflict")


class DistributionRule(models.TextChoices):
    TIER = "tier", _("Tier priority")
    TERRITORY = "territory", _("Territory first")
    ROUND_ROBIN = "round_robin", _("Weighted round robin")


class DealSettings(models.Model):
    """One row per vendor: the deal-registration rules (案件登録ルール)."""

    mode = models.CharField(_("conflict rule"), max_length=20, choices=RuleMode.choices, default=RuleMode.FIRST_COME)
    partner_over_direct = models.BooleanField(
        _("partners over direct sales (パートナー優先)"), default=False,
        help_text=_("On: a partner's registration wins over the vendor's own open opportunity for the same customer."),
    )
    validity_days = models.PositiveIntegerField(_("validity (days)"), default=90, validators=[MinValueValidator(1)])
    warn_days_before = models.PositiveIntegerField(_("warn this many days before expiry"), default=14)
    max_extension_days = models.PositiveIntegerField(_("longest extension (days)"), default=90, validators=[MinValueValidator(1)])
    capacity_default = models.PositiveIntegerField(
        _("open registrations per partner"), null=True, blank=True,
        help_text=_("Empty: no limit. Tier benefits can set their own capacity."),
    )
    lead_sla_hours = models.PositiveIntegerField(_("lead acceptance SLA (hours)"), default=48, validators=[MinValueValidator(1)])
    lead_distribution = models.CharField(_("lead distribution"), max_length=20, choices=DistributionRule.choices,
                                         default=DistributionRule.TERRITORY)
    lead_prefer_serving_partner = models.BooleanField(
        _("offer a lead first to partners that already serve the customer"), default=False,
        help_text=_("On: partners whose uploaded customer list contains the lead's customer are offered it before "
                    "the others, in the distribution rule's order. The partner is not told why."),
    )

    class Meta:
        verbose_name = _("deal settings")
        verbose_name_plural = _("deal settings")

    def __str__(self) -> str:
        return str(_("Deal settings"))

    @classmethod
    def current(cls) -> DealSettings:
        # Every registration reads it: a fixed statement (the ORM's get_or_create compiles its query each time);
        # the row is made on first use.
        rows = _settings_rows()
        found = fetch_rows(f"SELECT {rows.columns('s')} FROM deals_dealsettings s WHERE s.id = 1", {})
        if found:
            return rows.instance(found[0])
        row, _created = cls.objects.get_or_create(pk=1)
        return row


@cache
def _settings_rows() -> ModelRows:
    return ModelRows(DealSettings)


class Product(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class CustomerKeyFields(models.Model):
    """What every record taking part in conflict checks stores: the matcher's keys, indexed (`customer_key_indexes`)."""

    customer_name = models.CharField(_("customer company"), max_length=200)
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    web_domain = models.CharField(_("web domain or contact e-mail"), max_length=254, blank=True)
    name_key = models.CharField(max_length=200, editable=False)
    corporate_key = models.CharField(max_length=13, blank=True, editable=False)
    domain_key = models.CharField(max_length=254, blank=True, editable=False)

    class Meta:
        abstract = True


CUSTOMER_KEYS = ("name_key", "corporate_key", "domain_key")


def customer_key_indexes(prefix: str) -> list[models.Index]:
    """One plain index per matcher key, named after `prefix`. The conflict checks compare the keys for equality
    only: `db_index=True` would add a second, `varchar_pattern_ops` index of each for LIKE, which nothing asks
    (a registration wrote six entries for three keys, and the two copies of the name and domain keys took 136 MB
    at 1,000,000 deals)."""
    return [models.Index(fields=[key], name=f"{prefix}_{key}") for key in CUSTOMER_KEYS]


class CustomerSegmentFields(models.Model):
    """What account mapping and the winning-customer conditions segment customers by."""

    # db_default: rows inserted by plain SQL (seeding, benchmarks) that do not name these columns stay valid.
    industry = models.CharField(_("industry (JSIC)"), max_length=1, blank=True, choices=JsicMajor.choices,
                                default="", db_default="")
    employee_band = models.CharField(_("employees"), max_length=8, blank=True, choices=EmployeeBand.choices,
                                     default="", db_default="")
    prefecture = models.CharField(_("prefecture"), max_length=2, blank=True, default="", db_default="")

    class Meta:
        abstract = True


class Stage(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    APPROVED = "approved", _("Approved")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    # A win the partner reported: pays and counts nowhere until the vendor confirms it.
    WON_PENDING = "won_pending", _("Won, awaiting confirmation")
    LOST = "lost", _("Lost")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


messages.register_labels("deal_stage", Stage.choices)

OPEN_STAGES = (Stage.REGISTERED, Stage.APPROVED, Stage.PROPOSAL, Stage.NEGOTIATION)
PROTECTED_STAGES = (Stage.APPROVED, Stage.PROPOSAL, Stage.NEGOTIATION)
# A reported win keeps its priority: it may still return to its open stage, so until the vendor
# decides, it holds the customer against other partners' registrations like an open deal.
HOLDING_STAGES = (*OPEN_STAGES, Stage.WON_PENDING)
# A registration past the vendor's approval (approved, being worked, or won): while one holds a customer, another
# partner's registration of that customer cannot be approved.
DECIDED_STAGES = (*PROTECTED_STAGES, Stage.WON_PENDING, Stage.WON)


class Priority(models.TextChoices):
    HOLDER = "holder", _("Holds priority")
    CONFLICT = "conflict", _("Conflict: another registration came first")
    DIRECT = "direct", _("Conflict with the vendor's direct sales")
    REVIEW = "review", _("Conflict waiting for review")


class Side(models.TextChoices):
    PARTNER = "partner", pgettext_lazy("role split", "Partner")
    VENDOR = "vendor", pgettext_lazy("role split", "Vendor")


class DealRegistration(FastChoiceDisplay, CustomerKeyFields, CustomerSegmentFields):
    # No index of its own: (partner, stage) below leads with it and serves the key's look-ups.
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="deals", verbose_name=_("partner"),
                                db_index=False)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                      verbose_name=_("registered by"))
    contact = models.ForeignKey("partners.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals")
    customer_contact_name = models.CharField(_("customer contact person"), max_length=150, blank=True)
    customer_contact_email = models.EmailField(_("customer contact e-mail"), blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="deals", verbose_name=_("products"))
    amount = models.BigIntegerField(_("amount (¥)"), validators=yen_validators)
    expected_close = models.DateField(_("expected close date"), validators=[validate_business_date])
    notes = models.TextField(_("notes"), blank=True)
    role_lead = models.CharField(_("lead generation"), max_length=10, choices=Side.choices, default=Side.PARTNER)
    role_proposal = models.CharField(_("proposal"), max_length=10, choices=Side.choices, default=Side.PARTNER)
    role_contract = models.CharField(_("contract"), max_length=10, choices=Side.choices, default=Side.PARTNER)
    role_billing = models.CharField(_("billing"), max_length=10, choices=Side.choices, default=Side.PARTNER)
    role_support = models.CharField(_("support"), max_length=10, choices=Side.choices, default=Side.PARTNER)

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.REGISTERED)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.HOLDER)
    conflict_with = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                      verbose_name=_("conflicts with"))
    conflict_direct = models.ForeignKey("DirectAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                        verbose_name=_("conflicts with direct account"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decision_reason = models.TextField(_("reason"), blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    # Set only by a vendor-confirmed win: everything that pays or counts wins reads these.
    won_amount = models.BigIntegerField(_("won amount (¥)"), null=True, blank=True, validators=positive_yen_validators)
    won_on = models.DateField(_("won on"), null=True, blank=True, validators=[validate_business_date])
    won_confirmed_at = models.DateTimeField(_("win confirmed at"), null=True, blank=True)
    won_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="+", verbose_name=_("win confirmed by"))
    # What the partner reported, kept apart from the confirmed figures while the win waits.
    reported_won_amount = models.BigIntegerField(_("reported won amount (¥)"), null=True, blank=True,
                                                 validators=positive_yen_validators)
    reported_won_on = models.DateField(_("reported won on"), null=True, blank=True, validators=[validate_business_date])
    won_reported_at = models.DateTimeField(_("win reported at"), null=True, blank=True)
    won_reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("win reported by"))
    reported_from_stage = models.CharField(_("stage before the reported win"), max_length=20, blank=True,
                                           choices=Stage.choices, default="", db_default="")  # plain-SQL seeding too
    closed_at = models.DateTimeField(null=True, blank=True)
    # The day the customer cancelled a won deal: the commission run's deal_cancelled event (clawback).
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True, validators=[validate_business_date])
    lead = models.OneToOneField("Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="deal")
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True, db_default={})  # plain-SQL inserts too
    # Also set by a database trigger on every UPDATE: the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    search_key = SearchKeyField(sources=("customer_name",))  # the console search's (partners.search)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("deal registration")
        verbose_name_plural = _("deal registrations")
        indexes = [
            models.Index(fields=["partner", "stage"]),
            # A partner's latest open deals (its page): the first entries, however many deals it has open.
            models.Index(fields=["partner", "-registered_at", "-id"], name="deal_partner_open_latest",
                         condition=models.Q(stage__in=OPEN_STAGES)),
            # Its latest wins: without it PostgreSQL may walk (stage, won_on) back through every vendor's wins
            # looking for this partner's few (177 ms on the benchmark's partner with 34 of 166,666).
            models.Index(fields=["partner", "-won_on", "-id"], name="deal_partner_won_latest",
                         condition=models.Q(stage="won")),
            # A partner's first and latest registration (the portal home's badges, its lifecycle dates): one index
            # entry each, where the (partner, stage) index made PostgreSQL read every deal of the partner.
            models.Index(fields=["partner", "registered_at"], name="deal_partner_registered"),
            models.Index(fields=["stage", "registered_at"]),
            models.Index(fields=["stage", "expires_on"]),
            models.Index(fields=["stage", "won_on"], name="deal_stage_won_on"),
            models.Index(fields=["updated_at", "id"], name="deal_changed"),
            GinIndex(fields=["external_ids"], opclasses=["jsonb_path_ops"], name="deal_external_ids"),
            *search_indexes("deal"),
            *customer_key_indexes("deal"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} ({self.partner})"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def is_win_pending(self) -> bool:
        return self.stage == Stage.WON_PENDING

    @property
    def roles(self) -> list[tuple[str, str]]:
        return [(self._meta.get_field(f"role_{name}").verbose_name, getattr(self, f"get_role_{name}_display")())
                for name in ("lead", "proposal", "contract", "billing", "support")]


class DealEvent(models.Model):
    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="events")
    # The deal's partner, which never changes: the partner's timeline reads its newest events from one index
    # instead of joining and sorting every event of every deal the partner ever registered.
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=30)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        # Its leading column serves the partner's foreign key too, hence no index of its own.
        indexes = [models.Index(fields=["partner", "-occurred_at", "-id"], name="deal_event_partner_latest")]


class WinCorrection(models.Model):
    """Every change to a confirmed win after the fact: a cancellation by the customer, a corrected
    amount or date, a win reopened because it was recorded by mistake. Never edited; the next
    commission run writes the money's difference as adjustment lines."""

    class Kind(models.TextChoices):
        CANCEL = "cancel", _("Cancelled by the customer")
        CORRECT = "correct", _("Amount or date corrected")
        REOPEN = "reopen", _("Reopened (won by mistake)")

    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="win_corrections")
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    stage_before = models.CharField(_("stage before"), max_length=20, choices=Stage.choices)
    stage_after = models.CharField(_("stage after"), max_length=20, choices=Stage.choices)
    amount_before = models.BigIntegerField(_("won amount before (¥)"), null=True, blank=True)
    amount_after = models.BigIntegerField(_("won amount after (¥)"), null=True, blank=True)
    won_on_before = models.DateField(_("won on before"), null=True, blank=True)
    won_on_after = models.DateField(_("won on after"), null=True, blank=True)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("changed by"))
    at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("win correction")
        verbose_name_plural = _("win corrections")


class DealMeeting(models.Model):
    """The vendor joining a meeting with the customer (商談同行)."""

    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField(_("date"), validators=[validate_business_date])
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("vendor staff"))
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")


class ExtensionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveIntegerField(_("extend by (days)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)])
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [models.UniqueConstraint(fields=["deal"], condition=Q(status="pending"), name="one_pending_extension")]


class DirectAccount(CustomerKeyFields, CustomerSegmentFields):
    """A customer the vendor's own sales team works (直販アカウント)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("sales owner"))
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True, db_default={})  # plain-SQL inserts too
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    search_key = SearchKeyField(sources=("customer_name",))  # the console search's (partners.search)

    class Meta:
        ordering = ["customer_name"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="direct_account_changed"),
            GinIndex(fields=["external_ids"], opclasses=["jsonb_path_ops"], name="direct_account_external_ids"),
            *search_indexes("direct_account"),
            *customer_key_indexes("direct_account"),
        ]
        verbose_name = _("direct-sales account")
        verbose_name_plural = _("direct-sales accounts")

    def __str__(self) -> str:
        return self.customer_name


class DirectOpportunity(models.Model):
    account = models.ForeignKey(DirectAccount, on_delete=models.CASCADE, related_name="opportunities")
    name = models.CharField(_("opportunity"), max_length=200)
    amount = models.BigIntegerField(_("amount (¥)"), default=0, validators=yen_validators)
    expected_close = models.DateField(_("expected close date"), null=True, blank=True, validators=[validate_business_date])
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        ordering = ["account", "name"]
        verbose_name = _("direct-sales opportunity")
        verbose_name_plural = _("direct-sales opportunities")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    UNPLACED = "unplaced", _("No partner took it")
    CLOSED = "closed", _("Closed")


class Lead(CustomerKeyFields):
    """A lead the vendor passes to partners (メーカーによるリード提供)."""

    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=2, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="leads", verbose_name=_("products"))
    amount = models.BigIntegerField(_("estimated amount (¥)"), default=0, validators=yen_validators)
    source = models.CharField(_("source"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW)
    accepted_by = models.ForeignKey("partners.Partner", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True, db_default={})  # plain-SQL inserts too
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="lead_changed"),
            GinIndex(fields=["external_ids"], opclasses=["jsonb_path_ops"], name="lead_external_ids"),
            *customer_key_indexes("lead"),
        ]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")

    def __str__(self) -> str:
        return self.customer_name


class LeadRecipient(models.Model):
    """A partner that receives vendor leads, with its priority and round-robin weight."""

    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE, related_name="lead_recipient")
    priority = models.PositiveSmallIntegerField(_("priority"), default=1, help_text=_("Higher is offered first."))
    weight = models.PositiveSmallIntegerField(_("round-robin weight"), default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("receives leads"), default=True)

    class Meta:
        verbose_name = _("lead recipient")
        verbose_name_plural = _("lead recipients")


class LeadOffer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the partner")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="offers", db_index=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="lead_offers")
    offered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-offered_at"]
        constraints = [
            # A partner is offered a lead at most once: one that declined is never asked again.
            models.UniqueConstraint(fields=["lead", "partner"], name="lead_offered_once_per_partner"),
            models.UniqueConstraint(fields=["lead"], condition=Q(status="pending"), name="one_pending_offer_per_lead"),
        ]
