from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incentives import terms
from partners import japan
from prm.bounds import count_validators, positive_yen_validators, validate_business_date, yen_validators


class IncentiveSettings(models.Model):
    """One row per vendor: payment terms, tax, and who issues the statements."""

    close_day = models.PositiveSmallIntegerField(
        _("closing day (0 = month end)"), default=0, validators=[MaxValueValidator(28)])
    pay_month_offset = models.PositiveSmallIntegerField(
        _("paid how many months after the close"), default=1, validators=[MaxValueValidator(6)],
        help_text=_("Default 月末締め翌月末払い: close at month end, pay at the end of the next month."),
    )
    pay_day = models.PositiveSmallIntegerField(
        _("pay day (0 = month end)"), default=0, validators=[MaxValueValidator(28)])
    review_days = models.PositiveSmallIntegerField(_("review window (days)"), default=7,
                                                   validators=[MaxValueValidator(60)])
    # Who accepted terms that can pay later than the Subcontract Act's 60 days, and when (empty otherwise).
    late_terms_acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                                   blank=True, related_name="+")
    late_terms_acknowledged_at = models.DateTimeField(null=True, blank=True)
    tax_rate_percent = models.DecimalField(_("consumption tax (%)"), max_digits=4, decimal_places=1, default=Decimal("10"),
                                           validators=[MinValueValidator(0), MaxValueValidator(30)])
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

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions", db_index=False)
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
    # Touched by the worker as each batch commits; a running run whose heartbeat is too old
    # lost its worker (incentives.runs.runs_fail_stale) and is marked failed and interrupted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    interrupted_at = models.DateTimeField(null=True, blank=True)
    # Incremental runs (incentives.runs): "full" recomputes every event up to the period's end; "incremental"
    # only the months whose inputs changed since the runs that wrote them, from `since` on.
    full = models.BooleanField(default=False, db_default=False)
    since = models.DateField(null=True, blank=True)
    # What the run read, as digests of the inputs per month ("2026-10": …) and of the plans and partners
    # ("global"): a later incremental run compares them with the data then to find the first changed month.
    digests = models.JSONField(default=dict, db_default={})

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_interrupted(self) -> bool:
        return self.status == self.Status.FAILED and self.interrupted_at is not None

    @property
    def status_label(self) -> str:
        return _("Interrupted (failed)") if self.is_interrupted else self.get_status_display()

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else (self.progress * 100 // self.total if self.total else 0)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class LedgerLine(models.Model):
    """Append-only. A line is identified by what made it, so running a period again adds nothing.

    A line is never changed or removed, paid or not: when what the engine computes for a key changes,
    the next run adds an adjustment line with the difference."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="ledger_lines", db_index=False)
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="lines", db_index=False)
    event_id = models.CharField(max_length=80)
    rule_id = models.CharField(max_length=80)
    occurrence = models.PositiveSmallIntegerField(default=0)
    # 0: the line a run wrote for its key. 1, 2, …: a later run's difference for the same key, because the
    # engine now computes another amount (a win corrected, cancelled or reopened: 訂正による調整).
    adjustment = models.PositiveSmallIntegerField(default=0, db_default=0)
    amount = models.BigIntegerField()
    period = models.DateField(_("period"))
    event_date = models.DateField()
    run = models.ForeignKey(CommissionRun, on_delete=models.PROTECT, related_name="lines")
    # The one payout that pays this line, set when a payout build takes it; a line is taken once.
    payout = models.ForeignKey("Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    created_at = models.DateTimeField(default=timezone.now)

    # Kept by a database trigger on every UPDATE too: the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        ordering = ["period", "partner", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan_version", "partner", "event_id", "rule_id", "occurrence", "adjustment"],
                                    name="ledger_line_once"),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="ledgerline_changed"), models.Index(fields=["partner", "period"]),
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

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="payouts", db_index=False)
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
    # 仕入明細書: the partner (the issuer of the statement) confirms it; the PDF says whether it did.
    confirmed_at = models.DateTimeField(_("confirmed by the partner at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    # Kept by a database trigger on every UPDATE too: the API's `updated_since`.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="payout_changed")]
        ordering = ["-period", "partner"]
        constraints = [models.UniqueConstraint(fields=["partner", "period"], name="one_payout_per_partner_period")]

    def __str__(self) -> str:
        return f"{self.partner} {self.period:%Y-%m}"

    @property
    def late_for_subcontract_act(self) -> bool:
        """下請法: payment must come within 60 days of the close (receipt)."""
        return terms.exceeds_subcontract_act(self.close_date, self.due_date)

    @property
    def bank_account(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in BANK_FIELDS}

    @property
    def bank_account_changed(self) -> bool:
        """Approved but unpaid, and the partner's account is no longer the one that was approved."""
        return self.status == self.Status.APPROVED and any(
            getattr(self, name) != getattr(self.partner, name) for name in BANK_IDENTITY)


class PayoutDispute(models.Model):
    """A partner admin's objection to a statement; the payout is held until the vendor replies."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="disputes")
    comment = models.TextField(_("what is wrong"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    reply = models.TextField(_("reply"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["payout"], condition=models.Q(resolved_at__isnull=True),
                                               name="one_open_dispute_per_payout")]

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class MdfAllocation(models.Model):
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="mdf_allocations", db_index=False)
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


class InvoiceImport(models.Model):
    """An uploaded file of invoice payments waiting for its preview to be confirmed; applied all at once or not at all."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        APPLIED = "applied", pgettext_lazy("import", "Applied")
        DISCARDED = "discarded", _("Discarded")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    filename = models.CharField(max_length=255)
    encoding = models.CharField(max_length=10)
    content = models.TextField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]


class InvoicePayment(models.Model):
    """A recurring invoice a customer of a won deal paid (for recurring revenue share).

    The invoice number identifies it within its deal: the same invoice is never counted twice.
    """

    deal = models.ForeignKey("deals.DealRegistration", on_delete=models.CASCADE, related_name="invoice_payments")
    paid_on = models.DateField(_("paid on"), validators=[validate_business_date])
    amount = models.BigIntegerField(_("amount (¥)"), validators=positive_yen_validators)
    # Blank only on payments recorded before invoice numbers were kept.
    reference = models.CharField(_("invoice number"), max_length=50, blank=True, default="", db_default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, db_default=Now())
    source = models.ForeignKey(InvoiceImport, on_delete=models.PROTECT, null=True, blank=True, related_name="payments")

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "reference"], condition=~models.Q(reference=""),
                                    name="invoice_payment_once_per_deal"),
        ]
        indexes = [models.Index(fields=["paid_on", "deal"], name="invoice_payment_paid_on")]


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

    @property
    def summary(self) -> str:
        """The entry in words a finance person reads, for the entries where the raw values would not do."""
        changes = self.changes if isinstance(self.changes, dict) else {}
        if self.action in ("bank_account_changed", "payout_reapproved") and "before" in changes:
            accounts = {"before": japan.bank_account_text(changes.get("before") or {}),
                        "after": japan.bank_account_text(changes.get("after") or {})}
            if self.action == "bank_account_changed":
                return _("Bank account changed: %(before)s → %(after)s") % accounts
            return _("Payout re-approved to the new bank account: %(before)s → %(after)s") % accounts
        if self.action == "commission_run_resumed":
            return _("Interrupted commission run for %(period)s resumed; %(lines)s ledger lines were written before "
                     "the interruption and only the missing ones are added.") % {
                         "period": changes.get("period", ""), "lines": f"{changes.get('lines_before', 0):,}"}
        if self.action == "incentive_settings_changed" and isinstance(changes.get("before"), dict):
            after = changes.get("after") if isinstance(changes.get("after"), dict) else {}
            parts = [f"{_setting_label(name)}: {_setting_text(name, value)} → {_setting_text(name, after.get(name))}"
                     for name, value in changes["before"].items()]
            if changes.get("acknowledged_late"):
                parts.append(str(_("paying later than 60 days after the close acknowledged (下請法)")))
            return _("Payout settings changed: %(changes)s") % {"changes": "; ".join(parts)}
        if self.action == "credit_limit_changed":
            return _("Credit limit of %(partner)s: %(before)s → %(after)s") % {
                "partner": changes.get("partner", ""), "before": _credit_text(changes.get("before")),
                "after": _credit_text(changes.get("after"))}
        if self.action == "invoice_payment_recorded" and "amount" in changes:
            return _("Invoice payment recorded: invoice %(reference)s of deal %(deal)s (%(customer)s, %(partner)s), "
                     "¥%(amount)s paid on %(paid_on)s") % {
                "reference": changes.get("reference", ""), "deal": changes.get("deal", ""),
                "customer": changes.get("customer", ""), "partner": changes.get("partner", ""),
                "amount": f"{changes.get('amount') or 0:,}", "paid_on": changes.get("paid_on", "")}
        if self.action == "invoice_payments_imported" and "count" in changes:
            return _("%(count)s invoice payments imported from %(source)s, ¥%(total)s in total, paid %(first)s to "
                     "%(last)s") % {
                "count": f"{changes.get('count') or 0:,}", "source": changes.get("source") or "—",
                "total": f"{changes.get('total') or 0:,}", "first": changes.get("first", ""),
                "last": changes.get("last", "")}
        return self._win_summary(changes)

    def _win_summary(self, changes: dict) -> str:
        """Wins changed after confirmation and the adjustment lines the next run wrote for them."""
        def yen(name: str) -> str:
            value = changes.get(name)
            return f"¥{value:,}" if isinstance(value, int) else "—"

        values = {"customer": changes.get("customer", ""), "reason": changes.get("reason", ""),
                  "amount_before": yen("amount_before"), "amount_after": yen("amount_after"),
                  "won_on_before": changes.get("won_on_before") or "—", "won_on_after": changes.get("won_on_after") or "—",
                  "cancelled_on": changes.get("cancelled_on") or "—", "lines": changes.get("lines", 0),
                  "total": yen("total"), "period": (changes.get("period") or "")[:7]}
        if self.action == "deal_win_cancelled":
            return _("Won deal %(customer)s cancelled by the customer on %(cancelled_on)s (won %(amount_before)s on "
                     "%(won_on_before)s). Reason: %(reason)s") % values
        if self.action == "deal_win_corrected":
            return _("Win of %(customer)s corrected: %(amount_before)s on %(won_on_before)s → %(amount_after)s on "
                     "%(won_on_after)s. Reason: %(reason)s") % values
        if self.action == "deal_win_reopened":
            return _("Win of %(customer)s (%(amount_before)s on %(won_on_before)s) reopened: won by mistake. "
                     "Reason: %(reason)s") % values
        if self.action == "ledger_adjusted":
            return _("The commission run for %(period)s wrote %(lines)s adjustment lines (訂正による調整), "
                     "%(total)s in all.") % values
        return ""


def _setting_label(name: str) -> str:
    try:
        return str(IncentiveSettings._meta.get_field(name).verbose_name)
    except Exception:  # a field since removed: its name still says what changed
        return name


def _setting_text(name: str, value) -> str:
    """A setting's value as a finance person reads it (末日, 翌月, 10.0%, 普通)."""
    if value in (None, ""):
        return translation.pgettext("setting value", "(empty)")
    if name in ("close_day", "pay_day"):
        return str(_("month end")) if str(value) == "0" else _("day %(day)s") % {"day": value}
    if name == "pay_month_offset":
        return str(month_offset_label(int(value))) if str(value).isdigit() else str(value)
    if name == "tax_rate_percent":
        return f"{value}%"
    if name == "transfer_account_type":
        return japan.ACCOUNT_TYPES.get(str(value), str(value))
    return str(value)


def month_offset_label(months: int) -> str:
    if months == 0:
        return str(_("same month"))
    if months == 1:
        return str(_("next month"))
    return str(_("%(months)s months later") % {"months": months})


def _credit_text(value) -> str:
    if not isinstance(value, dict):
        return translation.pgettext("credit limit", "(none)")
    return _("¥%(limit)s, settled within %(days)s days") % {
        "limit": f"{value.get('limit', 0):,}" if isinstance(value.get("limit"), int) else value.get("limit"),
        "days": value.get("settlement_days")}

