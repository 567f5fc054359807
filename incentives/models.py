from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from prm.bounds import count_validators, positive_yen_validators, validate_business_date, yen_validators



class IncentiveSettings(models.Model):
    """One row per vendor: payment terms, tax, and who issues the statements."""

    pay_month_offset = models.PositiveSmallIntegerField(
        _("paid how many months after the close"), default=1, validators=[MaxValueValidator(6)],
        help_text=_("Default 月末締め翌月末払い: close at month end, pay at the end of the next month."),
    )
    pay_day = models.PositiveSmallIntegerField(
        _("pay day (0 = month end)"), default=0, validators=[MaxValueValidator(28)])
    review_days = models.PositiveSmallIntegerField(_("review window (days)"), default=7)
    tax_rate_percent = models.DecimalField(_("consumption tax (%)"), max_digits=4, decimal_places=1, default=Decimal("10"))
    company_name = models.CharField(_("vendor legal name"), max_length=200, blank=True)
    invoice_number = models.CharField(_("vendor registration number"), max_length=14, blank=True)
    address = models.CharField(_("vendor address"), max_length=300, blank=True)
    # 振込元 for the 全銀 transfer file
    transfer_client_code = models.CharField(_("transfer client code (委託者コード)"), max_length=10, blank=True)
    transfer_client_name = models.CharField(_("transfer client name (kana)"), max_length=40, blank=True)
    transfer_bank_code = models.CharField(_("paying bank code"), max_length=4, blank=True)
    transfer_bank_name = models.CharField(_("paying bank name (kana)"), max_length=15, blank=True)
    transfer_branch_code = models.CharField(_("paying branch code"), max_length=3, blank=True)
    transfer_branch_name = models.CharField(_("paying branch name (kana)"), max_length=15, blank=True)
    transfer_account_type = models.CharField(_("paying account type"), max_length=1, default="1")
    transfer_account_number = models.CharField(_("paying account number"), max_length=7, blank=True)
    separate_approval_and_payment = models.BooleanField(
        _("separation of duties: whoever approved a payout cannot mark it paid"), default=False,
        help_text=_("When on, a second person must confirm each payment."),
    )

    class Meta:
        verbose_name = _("incentive settings")
        verbose_name_plural = _("incentive settings")

    @classmethod
    def current(cls) -> IncentiveSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class Plan(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("used by commission runs"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("incentive plan")
        verbose_name_plural = _("incentive plans")

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> PlanVersion | None:
        return self.versions.filter(status=PlanVersion.Status.PUBLISHED).order_by("-number").first()


class PlanVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("plan document"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique")]

    def __str__(self) -> str:
        return f"{self.plan.code} v{self.number}"


class CommissionRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period = models.DateField(_("period (month)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    lines_added = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else (self.progress * 100 // self.total if self.total else 0)


class LedgerLine(models.Model):
    """Append-only. A line is identified by what made it, so running a period again adds nothing."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="ledger_lines")
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="lines")
    event_id = models.CharField(max_length=80)
    rule_id = models.CharField(max_length=80)
    occurrence = models.PositiveSmallIntegerField(default=0)
    amount = models.BigIntegerField()
    period = models.DateField(_("period"))
    event_date = models.DateField()
    run = models.ForeignKey(CommissionRun, on_delete=models.PROTECT, related_name="lines")
    # The one payout that pays this line, set when a payout build takes it; a line is taken once.
    payout = models.ForeignKey("Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["period", "partner", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan_version", "partner", "event_id", "rule_id", "occurrence"],
                                    name="ledger_line_once"),
        ]
        indexes = [models.Index(fields=["partner", "period"]),
                   models.Index(fields=["partner", "period"], condition=models.Q(payout__isnull=True),
                                name="ledger_line_untaken")]


BANK_FIELDS = ("bank_code", "bank_name", "branch_code", "branch_name", "account_type", "account_number",
               "account_holder")
# What identifies the account money goes to; a changed bank or branch *name* alone moves no money.
BANK_IDENTITY = ("bank_code", "branch_code", "account_type", "account_number", "account_holder")


class Payout(models.Model):
    class Status(models.TextChoices):
        REVIEW = "review", _("In review")
        APPROVED = "approved", _("Approved")
        HELD = "held", _("Held")
        PAID = "paid", _("Paid")
        CARRIED = "carried", _("Carried forward (次回相殺)")

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="payouts")
    period = models.DateField(_("period"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REVIEW)
    commissions = models.BigIntegerField(_("commissions (¥)"), default=0)
    offset = models.BigIntegerField(_("carried offset (¥)"), default=0)
    mdf = models.BigIntegerField(_("MDF reimbursement (¥)"), default=0)
    subtotal = models.BigIntegerField(_("subtotal excl. tax (¥)"), default=0)
    tax = models.BigIntegerField(_("consumption tax (¥)"), default=0)
    total = models.BigIntegerField(_("total (¥)"), default=0)
    carry_forward = models.BigIntegerField(_("carried to the next payout (¥)"), default=0)
    tax_rate_percent = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("10"))
    close_date = models.DateField(_("closing date"))
    due_date = models.DateField(_("payment due"))
    payee_name = models.CharField(_("payee"), max_length=200)
    payee_is_individual = models.BooleanField(default=False)
    payee_invoice_number = models.CharField(max_length=14, blank=True)
    review_until = models.DateField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    # The partner's bank account as it was when the payout was approved: the transfer goes there.
    bank_code = models.CharField(_("bank code"), max_length=4, blank=True)
    bank_name = models.CharField(_("bank name"), max_length=60, blank=True)
    branch_code = models.CharField(_("branch code"), max_length=3, blank=True)
    branch_name = models.CharField(_("branch name"), max_length=60, blank=True)
    account_type = models.CharField(_("account type"), max_length=1, blank=True)
    account_number = models.CharField(_("account number"), max_length=7, blank=True)
    account_holder = models.CharField(_("account holder (kana)"), max_length=60, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period", "partner"]
        constraints = [models.UniqueConstraint(fields=["partner", "period"], name="one_payout_per_partner_period")]

    def __str__(self) -> str:
        return f"{self.partner} {self.period:%Y-%m}"

    @property
    def late_for_subcontract_act(self) -> bool:
        """下請法: payment must come within 60 days of the close (receipt)."""
        return (self.due_date - self.close_date).days > 60

    @property
    def bank_account(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in BANK_FIELDS}

    @property
    def bank_account_changed(self) -> bool:
        """Approved but unpaid, and the partner's account is no longer the one that was approved."""
        return self.status == self.Status.APPROVED and any(
            getattr(self, name) != getattr(self.partner, name) for name in BANK_IDENTITY)


class MdfAllocation(models.Model):
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="mdf_allocations")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    amount = models.BigIntegerField(_("allocation (¥)"), validators=yen_validators)
    source = models.CharField(_("source"), max_length=20, default="tier")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "fiscal_year"], name="one_mdf_allocation_per_year")]


class MdfRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CLAIMED = "claimed", _("Claimed")
        REIMBURSED = "reimbursed", _("Reimbursed")

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="mdf_requests")
    activity = models.CharField(_("activity"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("from"), validators=[validate_business_date])
    ends_on = models.DateField(_("to"), validators=[validate_business_date])
    budget = models.BigIntegerField(_("budget (¥)"), validators=positive_yen_validators)
    expected_leads = models.PositiveIntegerField(_("expected leads"), default=0, validators=count_validators)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    approved_amount = models.BigIntegerField(_("approved amount (¥)"), null=True, blank=True, validators=yen_validators)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class MdfClaim(models.Model):
    request = models.OneToOneField(MdfRequest, on_delete=models.CASCADE, related_name="claim")
    amount = models.BigIntegerField(_("claimed amount (¥)"), validators=positive_yen_validators)
    proof = models.FileField(_("proof"), upload_to="mdf/")
    leads = models.PositiveIntegerField(_("leads generated"), default=0, validators=count_validators)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    payout = models.ForeignKey(Payout, on_delete=models.SET_NULL, null=True, blank=True, related_name="mdf_claims")


class CreditLimit(models.Model):
    """与信枠 for a reseller: how much won-but-unsettled business the vendor accepts."""

    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE, related_name="credit_limit")
    limit = models.BigIntegerField(_("credit limit (¥)"), validators=yen_validators)
    settlement_days = models.PositiveSmallIntegerField(_("days until a won deal is settled"), default=60)


class InvoicePayment(models.Model):
    """A recurring invoice a customer of a won deal paid (for recurring revenue share)."""

    deal = models.ForeignKey("deals.DealRegistration", on_delete=models.CASCADE, related_name="invoice_payments")
    paid_on = models.DateField(_("paid on"), validators=[validate_business_date])
    amount = models.BigIntegerField(_("amount (¥)"), validators=yen_validators)

    class Meta:
        ordering = ["paid_on", "id"]


class AuditEntry(models.Model):
    """One recorded action: its code and parameters; the audit log writes it as a sentence when shown."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=50)
    # The partner the entry concerns (the partner itself, or the one of its payout, MDF request, deal…).
    partner = models.ForeignKey("partners.Partner", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    changes = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
