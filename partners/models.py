from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partners.search import SearchKeyField, search_indexes
from prm.bounds import count_validators, fiscal_year_validators, validate_business_date, yen_validators
from prm.choices import FastChoiceDisplay


class PartnerType(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    AGENCY = "agency", _("Agency")
    RESALE = "resale", _("Resale")
    DISTRIBUTOR = "distributor", _("Distributor")
    SOLUTION = "solution", _("Solution partner")
    OEM = "oem", _("OEM")
    ALLIANCE = "alliance", _("Alliance")


class Stage(models.TextChoices):
    """The partner's place in the ELG cycle."""

    PROSPECT = "prospect", _("Prospect")
    APPLIED = "applied", _("Applied")
    RECRUITING = "recruiting", _("Recruiting")
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVATION = "activation", _("Activation")
    RETENTION = "retention", _("Retention")
    DORMANT = "dormant", _("Dormant")
    TERMINATED = "terminated", _("Terminated")


class CoSellingModel(models.TextChoices):
    DOOR_OPENER = "door_opener", _("Door-opener")
    CROSS_SELL = "cross_sell", _("Cross-sell set")
    OEM = "oem", _("OEM")


class Industry(models.TextChoices):
    IT = "it", _("IT and software")
    SIER = "sier", _("System integration")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    FINANCE = "finance", _("Finance and insurance")
    ACCOUNTING = "accounting", _("Accounting and tax")
    HR = "hr", _("HR services")
    RETAIL = "retail", _("Retail and wholesale")
    CONSTRUCTION = "construction", _("Construction and real estate")
    HEALTHCARE = "healthcare", _("Healthcare and welfare")
    LOGISTICS = "logistics", _("Logistics")
    OFFICE_EQUIPMENT = "office_equipment", _("Office equipment")
    CONSULTING = "consulting", _("Consulting")
    PUBLIC = "public", _("Public sector and education")
    OTHER = "other", _("Other")


class AccountType(models.TextChoices):
    ORDINARY = "1", _("Ordinary (普通)")
    CURRENT = "2", _("Current (当座)")
    SAVINGS = "4", _("Savings (貯蓄)")


# Partners past recruiting: the ones in business with the vendor.
SIGNED_STAGES = (Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION, Stage.DORMANT)


class PartnerQuerySet(models.QuerySet):
    def active(self) -> PartnerQuerySet:
        return self.exclude(stage=Stage.TERMINATED)

    def signed(self) -> PartnerQuerySet:
        """Partners past recruiting: the ones in business with the vendor."""
        return self.filter(stage__in=SIGNED_STAGES)


SCORE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(5)]


class Partner(FastChoiceDisplay, models.Model):
    name = models.CharField(_("company name"), max_length=200)
    name_kana = models.CharField(_("company name (kana)"), max_length=200, blank=True)
    partner_type = models.CharField(_("partner type"), max_length=20, choices=PartnerType.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent partner"),
        help_text=_("The upstream distributor of a sub-reseller (二次店)."),
    )
    stage = models.CharField(_("lifecycle stage"), max_length=20, choices=Stage.choices, default=Stage.PROSPECT)
    stage_changed_at = models.DateTimeField(_("stage changed at"), default=timezone.now)
    # Why the partner is at its stage and the next rule it has not met, as codes with parameters
    # (partners.lifecycle.rules), rendered in the reader's language: {"reason": …, "next": …, "params": {…}}.
    stage_reason = models.JSONField(_("stage reason"), default=dict, blank=True, db_default={}, editable=False)
    # A stage set by hand holds until this day (included); the rules decide again the day after.
    stage_override_until = models.DateField(_("manual stage until"), null=True, blank=True, editable=False)
    stage_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("manual stage set by"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_partners",
        verbose_name=_("owner"), limit_choices_to={"role__in": ["vendor_admin", "channel_manager"]},
        db_index=False,
    )
    prefectures = ArrayField(models.CharField(max_length=2), default=list, blank=True, verbose_name=_("territory"))
    industries = ArrayField(models.CharField(max_length=20, choices=Industry.choices), default=list, blank=True,
                            verbose_name=_("industries"))
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    invoice_number = models.CharField(_("invoice registration number"), max_length=14, blank=True)
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)

    bank_code = models.CharField(_("bank code"), max_length=4, blank=True)
    bank_name = models.CharField(_("bank name"), max_length=60, blank=True)
    branch_code = models.CharField(_("branch code"), max_length=3, blank=True)
    branch_name = models.CharField(_("branch name"), max_length=60, blank=True)
    account_type = models.CharField(_("account type"), max_length=1, choices=AccountType.choices, blank=True)
    account_number = models.CharField(_("account number"), max_length=7, blank=True)
    account_holder = models.CharField(_("account holder (kana)"), max_length=60, blank=True)

    is_individual = models.BooleanField(
        _("individual (freelance referral partner)"), default=False,
        help_text=_("Payouts go to a person rather than a company; statements and transfers use the account holder."),
    )
    co_creation_benefit = models.TextField(_("co-creation benefit"), blank=True)
    co_selling_model = models.CharField(_("co-selling model"), max_length=20, choices=CoSellingModel.choices, blank=True)

    score_customer_overlap = models.PositiveSmallIntegerField(_("customer overlap"), default=0, validators=SCORE_VALIDATORS)
    score_core_business = models.PositiveSmallIntegerField(_("core-business fit"), default=0, validators=SCORE_VALIDATORS)
    score_characteristics = models.PositiveSmallIntegerField(_("partner characteristics"), default=0, validators=SCORE_VALIDATORS)
    score_sales_capacity = models.PositiveSmallIntegerField(_("sales capacity"), default=0, validators=SCORE_VALIDATORS)

    notes = models.TextField(_("notes"), blank=True)
    # {source system: id there} ({"salesforce": "0015g…"}): how a CRM finds the record it syncs.
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True, db_default={})  # plain-SQL inserts too
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Also set by a database trigger on every UPDATE (bulk updates included): the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    # The console search's key (partners.search): the name, its reading and the corporate number.
    search_key = SearchKeyField(sources=("name", "name_kana", "corporate_number"))

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name_kana", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="partner_name_unique"),
            models.UniqueConstraint(
                fields=["corporate_number"], condition=~Q(corporate_number=""), name="partner_corporate_number_unique"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="partner_not_its_own_parent"),
        ]
        indexes = [
            *search_indexes("partner"),
            models.Index(fields=["name_kana", "name", "id"], name="partner_list_order"),
            models.Index(fields=["stage", "name_kana"]),  # also serves reads of the stage alone
            models.Index(fields=["partner_type", "name_kana"]),
            models.Index(fields=["owner", "name_kana"]),
            models.Index(fields=["updated_at", "id"], name="partner_changed"),
            GinIndex(fields=["external_ids"], opclasses=["jsonb_path_ops"], name="partner_external_ids"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.stage != Stage.TERMINATED

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_code and self.branch_code and self.account_number and self.account_holder)


class AffinitySource(models.TextChoices):
    TYPED = "typed", _("Hand-typed score")
    COMPUTED = "computed", _("Computed from the customer list, when there is one")


class StageCount(models.Model):
    """How many partners each stage has, kept by the database (prm.migration_sql.kept_count): a row is a change to
    a stage's count; the count is the sum of its stage's rows (partners.selectors.stage_counts). Never written
    from Python."""

    stage = models.CharField(_("lifecycle stage"), max_length=20, choices=Stage.choices)
    n = models.BigIntegerField(_("change"))

    class Meta:
        verbose_name = _("partner count of a stage")
        verbose_name_plural = _("partner counts by stage")
        default_permissions = ()


class PartnerSettings(models.Model):
    """One row per vendor: planning weights and the thresholds behind derived stages."""

    weight_customer_overlap = models.PositiveSmallIntegerField(_("weight: customer overlap"), default=3)
    weight_core_business = models.PositiveSmallIntegerField(_("weight: core-business fit"), default=3)
    weight_characteristics = models.PositiveSmallIntegerField(_("weight: partner characteristics"), default=2)
    weight_sales_capacity = models.PositiveSmallIntegerField(_("weight: sales capacity"), default=2)
    customer_affinity_source = models.CharField(
        _("customer affinity in the prospect ranking"), max_length=10, choices=AffinitySource.choices,
        default=AffinitySource.TYPED,
        help_text=_("Computed: a prospect with an uploaded customer list is ranked by its overlap with your target "
                    "market; a prospect without one keeps its hand-typed score."),
    )
    valid_requires_login = models.BooleanField(
        _("a valid contact must have signed in"), default=False,
        help_text=_("Off: a portal account is enough to count as valid. On: the contact must also have signed in."),
    )
    trained_window_days = models.PositiveIntegerField(
        _("training counts for (days)"), default=365,
        help_text=_("How long completed training or a certification keeps a contact trained. 0 = for ever."),
    )
    active_window_days = models.PositiveIntegerField(
        _("activity window (days)"), default=90, validators=[MinValueValidator(1)],
        help_text=_("A contact who registered a lead or deal within this many days is active."),
    )
    lifecycle_agreements = models.PositiveSmallIntegerField(
        _("agreements before onboarding"), default=4, validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("How many of the four agreements a partner signs before it is onboarding."),
    )
    lifecycle_retention_months = models.PositiveSmallIntegerField(
        _("months of business for retention"), default=6, validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("A partner whose first deal is this many months old, with a deal in those months and an "
                    "active contact today, is in retention."),
    )
    lifecycle_dormant_days = models.PositiveSmallIntegerField(
        _("days without activity before dormant"), default=90,
        validators=[MinValueValidator(30), MaxValueValidator(730)],
        help_text=_("A signed partner with no sign-in, training, lead or deal for this many days is dormant."),
    )
    deals_before_signing = models.BooleanField(
        _("partners in planning or recruiting may register deals"), default=False,
        help_text=_("Off: only partners that reached onboarding can register deals, in the portal and the API."),
    )

    class Meta:
        verbose_name = _("partner settings")
        verbose_name_plural = _("partner settings")

    def __str__(self) -> str:
        return str(_("Partner settings"))

    @classmethod
    def current(cls) -> PartnerSettings:
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    REP = "rep", _("Sales rep")


class ContactStage(models.TextChoices):
    """Derived from data by partners.contact_stages; never typed by hand."""

    POTENTIAL = "potential", pgettext_lazy("contact stage", "Potential")
    VALID = "valid", pgettext_lazy("contact stage", "Valid")
    TRAINED = "trained", pgettext_lazy("contact stage", "Trained")
    ACTIVE = "active", pgettext_lazy("contact stage", "Active")


class Contact(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("partner"), db_index=False)
    full_name = models.CharField(_("full name"), max_length=150)
    full_name_kana = models.CharField(_("name (kana)"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, default=ContactRole.REP)
    is_key_person = models.BooleanField(_("key person"), default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="contact",
        verbose_name=_("portal account"),
    )
    stage = models.CharField(_("stage"), max_length=10, choices=ContactStage.choices, default=ContactStage.POTENTIAL,
                             editable=False)
    stage_computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True, db_default={})  # plain-SQL inserts too
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    search_key = SearchKeyField(sources=("full_name", "full_name_kana", "email"))  # the console search's (partners.search)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["partner_id", "-is_key_person", "full_name_kana", "full_name"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "email"], condition=~Q(email=""), name="contact_email_unique_per_partner"),
        ]
        indexes = [
            models.Index(fields=["partner", "stage"]),
            models.Index(fields=["updated_at", "id"], name="contact_changed"),
            *search_indexes("contact"),
            GinIndex(fields=["external_ids"], opclasses=["jsonb_path_ops"], name="contact_external_ids"),
        ]

    def __str__(self) -> str:
        return self.full_name


class SignalKind(models.TextChoices):
    """Facts other modules observe about a contact; stages and checklists read them."""

    TRAINING_COMPLETED = "training_completed", _("Training completed")
    CERTIFIED = "certified", _("Certification earned")
    LEAD_REGISTERED = "lead_registered", _("Lead registered")
    DEAL_REGISTERED = "deal_registered", _("Deal registered")
    DEAL_WON = "deal_won", _("Deal won")
    PORTAL_LOGIN = "portal_login", _("Portal sign-in")
    SESSION_ATTENDED = "session_attended", _("Study session attended")
    CONTENT_DOWNLOADED = "content_downloaded", _("Content downloaded")


class ContactSignal(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="signals", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="signals", db_index=False)
    kind = models.CharField(max_length=30, choices=SignalKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    amount = models.BigIntegerField(null=True, blank=True, help_text="yen, for deal_won")
    source = models.CharField(max_length=100, blank=True, help_text="what recorded it, e.g. deals.Deal:42")

    class Meta:
        verbose_name = _("contact signal")
        verbose_name_plural = _("contact signals")
        indexes = [
            models.Index(fields=["contact", "kind", "occurred_at"]),
            models.Index(fields=["partner", "kind", "occurred_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source"], condition=~Q(source=""), name="signal_once_per_source"),
        ]


class PartnerMembership(models.Model):
    """A partner user belongs to exactly one partner company."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_membership", verbose_name=_("user")
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("partner"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner membership")
        verbose_name_plural = _("partner memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PartnerApplication(models.Model):
    """An inbound application from the portal's public パートナー募集 form."""

    company_name = models.CharField(_("company name"), max_length=200)
    company_name_kana = models.CharField(_("company name (kana)"), max_length=200, blank=True)
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    website = models.URLField(_("website"), blank=True)
    partner_type = models.CharField(_("partnership you are interested in"), max_length=20, choices=PartnerType.choices)
    prefectures = ArrayField(models.CharField(max_length=2), default=list, blank=True, verbose_name=_("area you cover"))
    industries = ArrayField(models.CharField(max_length=20, choices=Industry.choices), default=list, blank=True,
                            verbose_name=_("industries"))
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True, validators=count_validators)
    contact_name = models.CharField(_("your name"), max_length=150)
    contact_name_kana = models.CharField(_("your name (kana)"), max_length=150, blank=True)
    contact_email = models.EmailField(_("your e-mail address"))
    contact_phone = models.CharField(_("phone"), max_length=30, blank=True)
    contact_title = models.CharField(_("job title"), max_length=100, blank=True)
    message = models.TextField(_("what you would like to do with us"), blank=True)

    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="applications",
                                verbose_name=_("partner"))

    class Meta:
        verbose_name = _("partner application")
        verbose_name_plural = _("partner applications")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact_email"], condition=Q(status="pending"),
                                    name="one_pending_application_per_email"),
        ]

    def __str__(self) -> str:
        return self.company_name


class AgreementKind(models.TextChoices):
    """The four agreements before signing (seed 000: 4つの合意)."""

    CO_CREATION = "co_creation", _("Co-creation benefit")
    BUSINESS_GOAL = "business_goal", _("Business goal")
    PROGRAM = "program", _("Program participation")
    CONTRACT = "contract", _("Contract terms")


class Agreement(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("partner"), db_index=False)
    kind = models.CharField(_("agreement"), max_length=20, choices=AgreementKind.choices)
    agreed_on = models.DateField(_("agreed on"), validators=[validate_business_date])
    partner_signatory = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                          verbose_name=_("agreed by (partner)"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    summary = models.TextField(_("what was agreed"), blank=True)
    # Business goal: {"goal_3y": yen, "targets": [y1, y2, y3]}; program: {"starting_tier": …, "homework": …};
    # contract: {"margin_percent": "15", "payment_terms": …, "nda": true}.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [models.UniqueConstraint(fields=["partner", "kind"], name="one_agreement_per_kind")]

    def __str__(self) -> str:
        return f"{self.partner} · {self.get_kind_display()}"


class AutoEvent(models.TextChoices):
    """Checklist items the system can tick by itself."""

    FIRST_LOGIN = "portal_login", _("First portal sign-in")
    FIRST_TRAINING = "training_completed", _("First training completed")
    FIRST_CERTIFICATION = "certified", _("First certification")
    FIRST_LEAD = "lead_registered", _("First lead registered")
    FIRST_DEAL = "deal_registered", _("First deal registered")
    FIRST_WIN = "deal_won", _("First deal won")


class OnboardingTemplate(models.Model):
    name = models.CharField(_("name"), max_length=100)
    partner_type = models.CharField(_("partner type"), max_length=20, choices=PartnerType.choices, unique=True)

    class Meta:
        verbose_name = _("onboarding template")
        verbose_name_plural = _("onboarding templates")
        ordering = ["partner_type"]

    def __str__(self) -> str:
        return self.name


class OnboardingTemplateItem(models.Model):
    template = models.ForeignKey(OnboardingTemplate, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(_("item"), max_length=200)
    due_days = models.PositiveSmallIntegerField(_("due after (days)"), default=14)
    auto_event = models.CharField(_("completes itself on"), max_length=30, choices=AutoEvent.choices, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("template item")
        verbose_name_plural = _("template items")
        ordering = ["template", "position", "id"]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("partner"))
    title = models.CharField(_("item"), max_length=200)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    auto_event = models.CharField(_("completes itself on"), max_length=30, choices=AutoEvent.choices, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("completed by"))

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["partner", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_done and self.due_on is not None and self.due_on < timezone.localdate()


class ActivityKind(models.TextChoices):
    REGULAR_MEETING = "regular_meeting", _("Regular meeting (定例会)")
    QBR = "qbr", _("QBR")
    KICKOFF = "kickoff", _("Kickoff")
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")


class Activity(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="activities", verbose_name=_("partner"))
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="activities", verbose_name=_("partner attendees"))
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("vendor attendees"))
    notes = models.TextField(_("notes"), blank=True)
    next_actions = models.TextField(_("next actions"), blank=True)
    next_action_due = models.DateField(_("next actions due"), null=True, blank=True, validators=[validate_business_date])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return self.subject


class EventKind(models.TextChoices):
    CREATED = "created", _("Partner created")
    UPDATED = "updated", _("Profile updated")
    STAGE_CHANGED = "stage_changed", _("Stage changed")
    STAGE_OVERRIDE = "stage_override", _("Stage set by hand")
    APPLICATION_APPROVED = "application_approved", _("Application approved")
    AGREEMENT = "agreement", _("Agreement recorded")
    PROGRAM_JOINED = "program_joined", _("Joined the program")
    CONTACT_ADDED = "contact_added", _("Contact added")
    CONTACT_STAGE = "contact_stage", _("Contact stage changed")
    CHECKLIST_DONE = "checklist_done", _("Checklist item done")
    ACTIVITY = "activity", _("Activity")
    PLAN = "plan", _("Business plan")
    INVITATION = "invitation", _("Invitation sent")
    IMPORTED = "imported", _("Imported")
    SIGNAL = "signal", _("Partner activity")


class PartnerEvent(models.Model):
    """One line of a partner's timeline: everything that happened with the partner."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["partner", "-occurred_at"])]


class BusinessPlan(models.Model):
    """A joint business plan (共同ビジネス計画) for one partner and one fiscal year."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="plans", verbose_name=_("partner"), db_index=False)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), validators=fiscal_year_validators)
    starts_on = models.DateField(_("starts on"), validators=[validate_business_date])
    ends_on = models.DateField(_("ends on"), validators=[validate_business_date])
    revenue_target = models.BigIntegerField(_("revenue target (¥)"), default=0, validators=yen_validators)
    deals_target = models.PositiveIntegerField(_("won deals target"), default=0, validators=count_validators)
    leads_target = models.PositiveIntegerField(_("registered leads target"), default=0, validators=count_validators)
    active_contacts_target = models.PositiveIntegerField(_("active contacts target"), default=0,
                                                         validators=count_validators)
    certified_target = models.PositiveIntegerField(_("certified reps target"), default=0, validators=count_validators)
    initiatives = models.TextField(_("joint initiatives"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business plan")
        verbose_name_plural = _("business plans")
        ordering = ["partner", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "fiscal_year"], name="one_plan_per_partner_year"),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="plan_period_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} FY{self.fiscal_year}"


class ImportBatch(models.Model):
    """An uploaded CSV waiting for its preview to be confirmed; applied all at once or not at all."""

    class Kind(models.TextChoices):
        PARTNERS = "partners", _("Partners")
        CONTACTS = "contacts", _("Contacts")

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        QUEUED = "queued", pgettext_lazy("import", "Queued")
        RUNNING = "running", pgettext_lazy("import", "Applying")
        APPLIED = "applied", pgettext_lazy("import", "Applied")
        FAILED = "failed", pgettext_lazy("import", "Failed")
        DISCARDED = "discarded", _("Discarded")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    filename = models.CharField(max_length=255)
    encoding = models.CharField(max_length=10)
    content = models.TextField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
