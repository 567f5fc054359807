"""Payouts per partner per period, built from the ledger: review, approve, hold, pay — each once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import audit, terms
from incentives.models import IncentiveSettings, LedgerLine, MdfClaim, Payout
from partners.models import Partner
from prm.accounts.models import User
from prm.notifications.services import notify


def _require_staff(actor: User) -> None:
    if not actor.is_vendor_staff:
        raise PermissionDenied


def _previous_carry(partner_id: int, period: date) -> int:
    previous = Payout.objects.filter(partner_id=partner_id, period__lt=period).order_by("-period").first()
    return previous.carry_forward if previous else 0


@transaction.atomic
def payouts_build(*, period: date, actor: User | None = None) -> list[Payout]:
    """Create (or refresh while still in review) every partner's payout for the period.

    A negative balance is not paid: it is carried into the next payout as an offset (次回相殺).
    Approved, held and paid payouts are never recomputed.
    """
    period = period.replace(day=1)
    rules = IncentiveSettings.current()
    close, due = terms.close_and_due(period, pay_month_offset=rules.pay_month_offset, pay_day=rules.pay_day)
    commissions = dict(LedgerLine.objects.filter(period=period).values_list("partner").annotate(s=Sum("amount"))
                       .values_list("partner", "s"))
    open_claims: dict[int, list[MdfClaim]] = {}
    for claim in MdfClaim.objects.filter(payout__isnull=True, request__status="claimed",
                                         submitted_at__date__lte=close).select_related("request"):
        open_claims.setdefault(claim.request.partner_id, []).append(claim)
    latest_before = Payout.objects.filter(period__lt=period).order_by("partner_id", "-period").distinct("partner_id")
    carried = {p.partner_id: p.carry_forward for p in latest_before if p.carry_forward}
    partner_ids = set(commissions) | set(open_claims) | set(carried)
    partners = {p.pk: p for p in Partner.objects.filter(pk__in=partner_ids)}
    existing = {p.partner_id: p for p in Payout.objects.select_for_update().filter(period=period, partner_id__in=partner_ids)}
    built = []
    for partner_id in sorted(partner_ids):
        payout = existing.get(partner_id)
        if payout is not None and payout.status != Payout.Status.REVIEW and payout.status != Payout.Status.CARRIED:
            continue
        partner = partners[partner_id]
        claims = open_claims.get(partner_id, [])
        payout = payout or Payout(partner=partner, period=period)
        payout.commissions = commissions.get(partner_id, 0)
        payout.offset = carried.get(partner_id, 0)
        payout.mdf = sum(claim.amount for claim in claims)
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
        payout.save()
        for claim in claims:
            claim.payout = payout
            claim.save(update_fields=["payout"])
        built.append(payout)
    if built:
        audit.record(actor=actor, action="payouts_built", obj=built[0], period=period.isoformat(), count=len(built))
    return built


def _transition(payout: Payout, *, actor: User, allowed: set[str], target: str, action: str, message: str,
                **extra) -> Payout:
    _require_staff(actor)
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status not in allowed:
        raise ValidationError(message % {"status": payout.get_status_display()})
    before = payout.status
    payout.status = target
    fields = ["status"]
    for name, value in extra.items():
        setattr(payout, name, value)
        fields.append(name)
    payout.save(update_fields=fields)
    audit.record(actor=actor, action=action, obj=payout, status=[before, target], total=payout.total)
    return payout


@transaction.atomic
def payout_approve(*, payout: Payout, actor: User) -> Payout:
    payout = _transition(payout, actor=actor, allowed={Payout.Status.REVIEW}, target=Payout.Status.APPROVED,
                         action="payout_approved", message=_("Only a payout in review can be approved; this one is %(status)s."),
                         approved_at=timezone.now())
    users = User.objects.filter(partner_membership__partner=payout.partner, role="partner_admin", is_active=True)
    notify(users=users, kind="payout_approved", url="/payouts/",
           message=lambda: (_("Payout approved: ¥%(total)s for %(period)s") % {"total": f"{payout.total:,}",
                                                                              "period": payout.period.strftime("%Y-%m")},
                            _("Payment due %(date)s.") % {"date": payout.due_date.isoformat()}))
    return payout


@transaction.atomic
def payout_hold(*, payout: Payout, actor: User) -> Payout:
    return _transition(payout, actor=actor, allowed={Payout.Status.REVIEW, Payout.Status.APPROVED},
                       target=Payout.Status.HELD, action="payout_held",
                       message=_("Only a payout in review or approved can be held; this one is %(status)s."))


@transaction.atomic
def payout_release(*, payout: Payout, actor: User) -> Payout:
    return _transition(payout, actor=actor, allowed={Payout.Status.HELD}, target=Payout.Status.REVIEW,
                       action="payout_released", message=_("Only a held payout can be released; this one is %(status)s."))


@transaction.atomic
def payout_mark_paid(*, payout: Payout, actor: User) -> Payout:
    return _transition(payout, actor=actor, allowed={Payout.Status.APPROVED}, target=Payout.Status.PAID,
                       action="payout_paid", message=_("Only an approved payout can be paid; this one is %(status)s."),
                       paid_at=timezone.now())
