"""MDF (市場開発資金): allocation, requests, approval, claims with proof, reimbursement, ROI."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import audit
from incentives.models import MdfAllocation, MdfClaim, MdfRequest
from incentives.selectors import Roi, mdf_roi_of
from partners.access import require_partner_member, require_vendor_staff
from partners.models import Partner
from partners.selectors import partner_for_user
from prm import locks
from prm.accounts.models import User
from prm.reads import Later, Read
from prm.uploads import check_upload
from programs.benefits import benefits_for

PROOF_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
PROOF_MAX_BYTES = 10 * 1024 * 1024


def allocation_for(partner: Partner, fiscal_year: int, *, lock: bool = False) -> int:
    """The manual allocation if there is one, else the partner's tier benefit.

    With `lock`, the allocation is held until the transaction ends: the partner's year (which
    has no row when the tier decides) and the allocation row, when there is one. Every approval
    against it then waits for the one before and counts what that one committed.
    """
    if lock:
        locks.hold(f"incentives.mdf.{fiscal_year}", partner.pk)
    return _allocation_of(partner, _manual_allocation_read(partner, fiscal_year, lock=lock).run())


def allocation_later(partner: Partner, fiscal_year: int) -> Later[int]:
    """allocation_for (without the lock), its statement sent with a page's others (prm.reads.resolve)."""
    return Later([_manual_allocation_read(partner, fiscal_year)], lambda manual: _allocation_of(partner, manual))


def _manual_allocation_read(partner: Partner, fiscal_year: int, *, lock: bool = False) -> Read[list[tuple]]:
    return Read(f"""
        SELECT a.amount FROM {MdfAllocation._meta.db_table} a
         WHERE a.partner_id = %(partner)s AND a.fiscal_year = %(year)s{" FOR UPDATE" if lock else ""}""",
                {"partner": partner.pk, "year": fiscal_year}, list)


def _allocation_of(partner: Partner, manual: list[tuple]) -> int:
    return manual[0][0] if manual else benefits_for(partner).mdf_allocation


def committed(partner: Partner, fiscal_year: int) -> int:
    return committed_read(partner, fiscal_year).run()


def committed_read(partner: Partner, fiscal_year: int) -> Read[int]:
    """What the year's approved activities committed of the allocation (claimed and reimbursed ones too)."""
    from partners.services import fiscal_year_bounds

    start, end = fiscal_year_bounds(fiscal_year)
    return Read(f"""
        SELECT sum(r.approved_amount) FROM {MdfRequest._meta.db_table} r
         WHERE r.partner_id = %(partner)s AND r.starts_on >= %(start)s AND r.starts_on <= %(end)s
           AND r.status IN ('approved', 'claimed', 'reimbursed')""", {"partner": partner.pk, "start": start, "end": end},
                lambda rows: int(rows[0][0] or 0))


@transaction.atomic
def request_create(*, partner: Partner, actor: User, **fields) -> MdfRequest:
    require_partner_member(actor, partner)
    if fields["ends_on"] < fields["starts_on"]:
        raise ValidationError({"ends_on": _("The activity cannot end before it starts.")})
    if fields["budget"] <= 0:
        raise ValidationError({"budget": _("Enter a budget above zero.")})
    request = MdfRequest.objects.create(partner=partner, requested_by=actor, **fields)
    audit.record(actor=actor, action="mdf_requested", obj=request, budget=request.budget)
    return request


@transaction.atomic
def request_decide(*, request: MdfRequest, actor: User, approve: bool, amount: int | None = None, note: str = "") -> MdfRequest:
    from partners.services import fiscal_year_of

    require_vendor_staff(actor)
    request = MdfRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != MdfRequest.Status.REQUESTED:
        raise ValidationError(_("This request has already been decided."))
    if approve:
        amount = request.budget if amount is None else amount
        if amount <= 0 or amount > request.budget:
            raise ValidationError({"amount": _("Approve between ¥1 and the requested budget.")})
        year = fiscal_year_of(request.starts_on)
        remaining = allocation_for(request.partner, year, lock=True) - committed(request.partner, year)
        if amount > remaining:
            raise ValidationError({"amount": _("Only ¥%(remaining)s of this year's MDF allocation is left.") % {
                "remaining": f"{max(remaining, 0):,}"}})
        request.status, request.approved_amount = MdfRequest.Status.APPROVED, amount
    else:
        if not note.strip():
            raise ValidationError({"note": _("Give the reason for the rejection.")})
        request.status = MdfRequest.Status.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    request.save(update_fields=["status", "approved_amount", "decided_by", "decided_at", "decision_note"])
    audit.record(actor=actor, action="mdf_approved" if approve else "mdf_rejected", obj=request,
                 amount=request.approved_amount, note=note)
    return request


def check_proof(upload) -> None:
    check_upload(upload, field="proof", allowed=tuple(PROOF_TYPES), max_bytes=PROOF_MAX_BYTES)


@transaction.atomic
def claim_submit(*, request: MdfRequest, actor: User, amount: int, proof, leads: int = 0) -> MdfClaim:
    require_partner_member(actor, request.partner_id)
    request = MdfRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != MdfRequest.Status.APPROVED:
        raise ValidationError(_("Only an approved request can be claimed, once."))
    if amount <= 0 or amount > (request.approved_amount or 0):
        raise ValidationError({"amount": _("Claim at most the approved amount of ¥%(amount)s.") % {
            "amount": f"{request.approved_amount:,}"}})
    check_proof(proof)
    claim = MdfClaim.objects.create(request=request, amount=amount, proof=proof, leads=leads, submitted_by=actor)
    request.status = MdfRequest.Status.CLAIMED
    request.save(update_fields=["status"])
    audit.record(actor=actor, action="mdf_claimed", obj=request, amount=amount)
    return claim


def claims_visible_to(user: User) -> QuerySet[MdfClaim]:
    """The claims whose proof `user` may open: the vendor's staff every claim of this tenant
    (to check the proof before the claim is paid), a partner user only its own partner's."""
    claims = MdfClaim.objects.select_related("request__partner")
    if user.is_vendor_staff:
        return claims
    partner = partner_for_user(user) if user.is_partner_user else None
    if partner is not None:
        return claims.filter(request__partner_id=partner.pk)
    return claims.none()


def proof_response(request, claim: MdfClaim):
    """The proof as a download: never through its media URL, never cached, never sniffed."""
    from prm.downloads import file_response

    name = os.path.basename(claim.proof.name)
    extension = os.path.splitext(name)[1].lower()
    return file_response(request, claim.proof, filename=name,
                         content_type=PROOF_TYPES.get(extension, "application/octet-stream"))


def roi(requests) -> list[Roi]:
    """MDF ROI per activity, as incentives.selectors.mdf_roi_of defines it (the one definition)."""
    return mdf_roi_of(requests)
