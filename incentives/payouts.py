"""Payouts per partner per period, built from the ledger: review, approve, hold, pay — each once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import audit, terms
from incentives.models import BANK_FIELDS, IncentiveSettings, LedgerLine, MdfClaim, Payout, PayoutDispute
from partners.access import require_partner_member, require_vendor_staff
from partners.selectors import partners_by_ids
from prm import events
from prm import messages as msg
from prm.accounts.models import User
from prm.notifications.services import notify


def _previous_carry(partner_id: int, period: date) -> int:
    previous = Payout.objects.filter(partner_id=partner_id, period__lt=period).order_by("-period").first()
    return previous.carry_forward if previous else 0


OPEN = (Payout.Status.REVIEW, Payout.Status.CARRIED)
BUILT_FIELDS = ["commissions", "offset", "mdf", "tax_rate_percent", "status", "subtotal", "tax", "total",
                "carry_forward", "close_date", "due_date", "payee_name", "payee_is_individual", "payee_invoice_number",
                "review_until", "confirmed_at", "confirmed_by"]


@transaction.atomic
def payouts_build(*, period: date, actor: User | None = None) -> list[Payout]:
    """Create (or refresh while still open) every partner's payout for the period.

    Every ledger line is paid by exactly one payout: a build takes the partner's untaken lines of
    this period and of any earlier one. Lines that arrived after an earlier payout was closed
    (approved, held or paid) therefore land here, shown as additions after the previous close.
    A partner's payout is refreshed only while it is open (in review or carried) and no later
    payout exists; otherwise its lines wait for the partner's next open payout.
    A negative balance is not paid: it is carried into the next payout as an offset (次回相殺).
    """
    period = period.replace(day=1)
    with connection.cursor() as cursor:  # one build at a time per vendor: each decides which lines it takes
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}/payouts_build"])
    rules = IncentiveSettings.current()
    close, due = terms.close_and_due(period, close_day=rules.close_day, pay_month_offset=rules.pay_month_offset,
                                     pay_day=rules.pay_day)
    untaken = set(LedgerLine.objects.filter(payout__isnull=True, period__lte=period)
                  .values_list("partner_id", flat=True).distinct())
    open_claims: dict[int, list[MdfClaim]] = {}
    for claim in MdfClaim.objects.filter(payout__isnull=True, request__status="claimed",
                                         submitted_at__date__lte=close).select_related("request"):
        open_claims.setdefault(claim.request.partner_id, []).append(claim)
    latest_before = Payout.objects.filter(period__lt=period).order_by("partner_id", "-period").distinct("partner_id")
    carried = {p.partner_id: p.carry_forward for p in latest_before if p.carry_forward}
    partner_ids = untaken | set(open_claims) | set(carried) | set(
        Payout.objects.filter(period=period, status__in=OPEN).values_list("partner_id", flat=True))
    later = set(Payout.objects.filter(period__gt=period, partner_id__in=partner_ids).values_list("partner_id", flat=True))
    partners = partners_by_ids(partner_ids)
    existing = {p.partner_id: p for p in Payout.objects.select_for_update().filter(period=period, partner_id__in=partner_ids)}
    eligible = [partner_id for partner_id in sorted(partner_ids - later)
                if partner_id not in existing or existing[partner_id].status in OPEN]
    for payout in Payout.objects.bulk_create([
            Payout(partner=partners[partner_id], period=period, close_date=close, due_date=due,
                   payee_name=partners[partner_id].name) for partner_id in eligible if partner_id not in existing]):
        existing[payout.partner_id] = payout
    # One statement takes every untaken line; "payout IS NULL" means a line is never taken twice.
    LedgerLine.objects.filter(partner_id__in=eligible, payout__isnull=True, period__lte=period).update(
        payout=Subquery(Payout.objects.filter(partner_id=OuterRef("partner_id"), period=period).values("pk")[:1]))
    for partner_id in eligible:
        if open_claims.get(partner_id):
            MdfClaim.objects.filter(pk__in=[claim.pk for claim in open_claims[partner_id]],
                                    payout__isnull=True).update(payout=existing[partner_id])
    payout_ids = [existing[partner_id].pk for partner_id in eligible]
    commissions = dict(LedgerLine.objects.filter(payout__in=payout_ids).values_list("payout")
                       .annotate(s=Sum("amount")).values_list("payout", "s"))
    reimbursed = dict(MdfClaim.objects.filter(payout__in=payout_ids).values_list("payout")
                      .annotate(s=Sum("amount")).values_list("payout", "s"))
    built = []
    for partner_id in eligible:
        payout, partner = existing[partner_id], partners[partner_id]
        figures = (payout.commissions, payout.offset, payout.mdf, payout.total, payout.carry_forward)
        payout.commissions = commissions.get(payout.pk, 0)
        payout.offset = carried.get(partner_id, 0)
        payout.mdf = reimbursed.get(payout.pk, 0)
        net = payout.commissions + payout.offset + payout.mdf
        payout.tax_rate_percent = rules.tax_rate_percent
        if net < 0:
            payout.status = Payout.Status.CARRIED
            payout.subtotal = payout.tax = payout.total = 0
            payout.carry_forward = net
        else:
            payout.status = Payout.Status.REVIEW
            payout.subtotal = net
            payout.tax = int((Decimal(net) * rules.tax_rate_percent / 100).quantize(Decimal(1), rounding=ROUND_DOWN))
            payout.total = net + payout.tax
            payout.carry_forward = 0
        payout.close_date, payout.due_date = close, due
        payout.payee_name = partner.name
        payout.payee_is_individual = partner.is_individual
        payout.payee_invoice_number = partner.invoice_number
        payout.review_until = timezone.localdate() + timedelta(days=rules.review_days)
        if figures != (payout.commissions, payout.offset, payout.mdf, payout.total, payout.carry_forward):
            payout.confirmed_at = payout.confirmed_by = None  # the partner confirmed other figures
        built.append(payout)
    Payout.objects.bulk_update(built, BUILT_FIELDS, batch_size=1000)
    if built:
        audit.record(actor=actor, action="payouts_built", obj=built[0], period=period.isoformat(), count=len(built))
    return built


def _transition(payout: Payout, *, actor: User, allowed: set[str], target: str, action: str, message: str,
                locked: bool = False, also_save: tuple[str, ...] = (), **extra) -> Payout:
    """Move a payout from one of `allowed` to `target`, once. A caller that has already locked the
    row (and changed `also_save` on it) passes locked=True."""
    require_vendor_staff(actor)
    if not locked:
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status not in allowed:
        raise ValidationError(message % {"status": payout.get_status_display()})
    before = payout.status
    payout.status = target
    fields = ["status", *also_save]
    for name, value in extra.items():
        setattr(payout, name, value)
        fields.append(name)
    payout.save(update_fields=fields)
    audit.record(actor=actor, action=action, obj=payout, status=[before, target], total=payout.total)
    return payout


def _snapshot(payout: Payout) -> tuple[str, ...]:
    """Copy the partner's bank account onto the payout: the transfer goes where it was approved to go."""
    for name in BANK_FIELDS:
        setattr(payout, name, getattr(payout.partner, name))
    return BANK_FIELDS


def payout_publish(event_type: str, payout: Payout) -> None:
    """What a payout's event carries: the period, the yen figures (integers) and the dates, not the bank account."""
    events.publish(event_type, object_type="payout", object_id=payout.pk, partner_id=payout.partner_id, data={
        "id": payout.pk, "external_ids": events.external_ids(payout), "partner_id": payout.partner_id,
        "period": payout.period.strftime("%Y-%m"), "status": payout.status, "commissions": payout.commissions,
        "offset": payout.offset, "mdf": payout.mdf, "subtotal": payout.subtotal, "tax": payout.tax,
        "total": payout.total, "due_date": payout.due_date, "approved_at": payout.approved_at,
        "paid_at": getattr(payout, "paid_at", None)})


@transaction.atomic
def payout_approve(*, payout: Payout, actor: User) -> Payout:
    require_vendor_staff(actor)
    locked = Payout.objects.select_for_update().select_related("partner").get(pk=payout.pk)
    payout = _transition(locked, actor=actor, allowed={Payout.Status.REVIEW}, target=Payout.Status.APPROVED,
                         action="payout_approved", message=_("Only a payout in review can be approved; this one is %(status)s."),
                         locked=True, also_save=_snapshot(locked), approved_at=timezone.now(), approved_by=actor)
    payout_publish("payout.approved", payout)
    users = User.objects.filter(partner_membership__partner=payout.partner, role="partner_admin", is_active=True)
    notify(users=users, kind="payout_approved", url="/payouts/",
           message=(msg.text("payout.approved", total=msg.number(payout.total), period=msg.month(payout.period)),
                    msg.text("payout.approved.body", date=msg.day(payout.due_date))))
    return payout


@transaction.atomic
def payout_reapprove(*, payout: Payout, actor: User) -> Payout:
    """Accept the partner's changed bank account for an approved, unpaid payout."""
    require_vendor_staff(actor)
    locked = Payout.objects.select_for_update().select_related("partner").get(pk=payout.pk)
    if not locked.bank_account_changed:
        raise ValidationError(_("Only an approved payout whose bank account changed since approval can be re-approved."))
    before = locked.bank_account
    fields = _snapshot(locked)
    locked.approved_at, locked.approved_by = timezone.now(), actor
    locked.save(update_fields=[*fields, "approved_at", "approved_by"])
    audit.record(actor=actor, action="payout_reapproved", obj=locked, total=locked.total, before=before,
                 after=locked.bank_account)
    return locked


@transaction.atomic
def payout_hold(*, payout: Payout, actor: User) -> Payout:
    return _transition(payout, actor=actor, allowed={Payout.Status.REVIEW, Payout.Status.APPROVED},
                       target=Payout.Status.HELD, action="payout_held",
                       message=_("Only a payout in review or approved can be held; this one is %(status)s."))


@transaction.atomic
def payout_release(*, payout: Payout, actor: User) -> Payout:
    require_vendor_staff(actor)
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if PayoutDispute.objects.filter(payout=payout, resolved_at__isnull=True).exists():
        raise ValidationError(_("The partner disputes this statement: reply to the dispute to release the payout."))
    return _transition(payout, locked=True, actor=actor, allowed={Payout.Status.HELD}, target=Payout.Status.REVIEW,
                       action="payout_released", message=_("Only a held payout can be released; this one is %(status)s."))


@transaction.atomic
def payout_mark_paid(*, payout: Payout, actor: User) -> Payout:
    require_vendor_staff(actor)
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if (locked.status == Payout.Status.APPROVED and locked.approved_by_id == actor.pk
            and IncentiveSettings.current().separate_approval_and_payment):
        raise ValidationError(_("You approved this payout. With separation of duties on, someone else must mark it paid."))
    paid = _transition(locked, actor=actor, allowed={Payout.Status.APPROVED}, target=Payout.Status.PAID,
                       action="payout_paid", message=_("Only an approved payout can be paid; this one is %(status)s."),
                       locked=True, paid_at=timezone.now(), paid_by=actor)
    payout_publish("payout.paid", paid)
    return paid


@transaction.atomic
def payout_settings_update(*, actor: User, separate_approval_and_payment: bool) -> IncentiveSettings:
    """A vendor admin decides whether approving and paying a payout need two people."""
    require_vendor_staff(actor, admin=True)
    rules = IncentiveSettings.objects.select_for_update().get(pk=IncentiveSettings.current().pk)
    if rules.separate_approval_and_payment != separate_approval_and_payment:
        rules.separate_approval_and_payment = separate_approval_and_payment
        rules.save(update_fields=["separate_approval_and_payment"])
        audit.record(actor=actor, action="payout_settings_changed", obj=rules,
                     separate_approval_and_payment=separate_approval_and_payment)
    return rules


# --------------------------------------------------------------------------- the partner's confirmation (仕入明細書)

CONFIRMABLE = (Payout.Status.APPROVED, Payout.Status.PAID, Payout.Status.CARRIED)
DISPUTABLE = (Payout.Status.APPROVED, Payout.Status.CARRIED)


def _partner_admin_payout(payout: Payout, actor: User) -> Payout:
    """The payout, locked, when `actor` is an admin of its partner; otherwise PermissionDenied."""
    require_partner_member(actor, payout.partner_id, admin=True)
    return Payout.objects.select_for_update().select_related("partner").get(pk=payout.pk)


def open_dispute(payout: Payout) -> PayoutDispute | None:
    return PayoutDispute.objects.filter(payout=payout, resolved_at__isnull=True).first()


@transaction.atomic
def statement_confirm(*, payout: Payout, actor: User) -> Payout:
    """The partner admin confirms the statement the vendor prepared for it (仕入明細書の確認)."""
    locked = _partner_admin_payout(payout, actor)
    if locked.status not in CONFIRMABLE or open_dispute(locked) is not None:
        raise ValidationError(_("This statement cannot be confirmed now (status: %(status)s).")
                              % {"status": locked.get_status_display()})
    if locked.confirmed_at is not None:
        return locked
    locked.confirmed_at, locked.confirmed_by = timezone.now(), actor
    locked.save(update_fields=["confirmed_at", "confirmed_by"])
    audit.record(actor=actor, action="statement_confirmed", obj=locked, total=locked.total,
                 description=_("%(user)s confirmed the statement for %(period)s (%(total)s yen).")
                 % {"user": actor.get_short_name(), "period": f"{locked.period:%Y-%m}", "total": f"{locked.total:,}"})
    return locked


@transaction.atomic
def statement_dispute(*, payout: Payout, actor: User, comment: str) -> PayoutDispute:
    """The partner admin disputes the statement: the payout is held (it cannot be approved or paid)
    until the vendor replies, and the partner's channel manager is told."""
    locked = _partner_admin_payout(payout, actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what is wrong with the statement.")})
    if locked.status not in DISPUTABLE or open_dispute(locked) is not None:
        raise ValidationError(_("This statement cannot be disputed now (status: %(status)s).")
                              % {"status": locked.get_status_display()})
    before = locked.status
    locked.status = Payout.Status.HELD
    locked.confirmed_at = locked.confirmed_by = None
    locked.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    dispute = PayoutDispute.objects.create(payout=locked, comment=comment, raised_by=actor)
    audit.record(actor=actor, action="statement_disputed", obj=locked, status=[before, locked.status],
                 total=locked.total, comment=comment,
                 description=_("%(user)s disputed the statement for %(period)s; the payout is held until resolved.")
                 % {"user": actor.get_short_name(), "period": f"{locked.period:%Y-%m}"})
    partner = locked.partner
    managers = [partner.owner] if partner.owner_id else list(User.objects.filter(role="vendor_admin", is_active=True))
    notify(users=managers, kind="statement_disputed", url=f"/incentives/payouts/{locked.pk}/",
           message=(msg.text("statement.disputed", partner=partner.name, period=msg.month(locked.period)), comment))
    return dispute


@transaction.atomic
def dispute_resolve(*, payout: Payout, actor: User, reply: str) -> PayoutDispute:
    """The vendor answers the partner's dispute: the payout returns to review (to be corrected and
    approved again) and the partner's admins get the reply."""
    require_vendor_staff(actor)
    locked = Payout.objects.select_for_update().select_related("partner").get(pk=payout.pk)
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": _("Write the reply the partner will read.")})
    dispute = PayoutDispute.objects.select_for_update().filter(payout=locked, resolved_at__isnull=True).first()
    if dispute is None:
        raise ValidationError(_("This payout has no open dispute."))
    dispute.reply, dispute.resolved_by, dispute.resolved_at = reply, actor, timezone.now()
    dispute.save(update_fields=["reply", "resolved_by", "resolved_at"])
    before = locked.status
    if locked.status == Payout.Status.HELD:
        locked.status = Payout.Status.REVIEW
        locked.save(update_fields=["status"])
    audit.record(actor=actor, action="statement_dispute_resolved", obj=locked, status=[before, locked.status],
                 total=locked.total, reply=reply,
                 description=_("%(user)s answered the dispute on the statement for %(period)s; the payout is back "
                               "in review.") % {"user": actor.get_short_name(), "period": f"{locked.period:%Y-%m}"})
    users = User.objects.filter(partner_membership__partner=locked.partner, role="partner_admin", is_active=True)
    notify(users=users, kind="statement_dispute_resolved", url="/payouts/",
           message=(msg.text("statement.dispute_resolved", period=msg.month(locked.period)), reply))
    return dispute
