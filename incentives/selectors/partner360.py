"""What incentives shows on the console's partner page: payouts and the balance, MDF, and the payouts of its
timeline. A fixed number of queries however long the partner's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from incentives.models import LedgerLine, MdfRequest, Payout
from incentives.selectors import MdfRoi, mdf_roi
from partners.models import Partner
from prm import figures
from prm.reads import Later, Read, gather

RECENT = 5
UNPAID = (Payout.Status.REVIEW, Payout.Status.APPROVED, Payout.Status.HELD)


@dataclass(frozen=True)
class PayoutLine:
    """A payout in the partner page's list and timeline."""

    pk: int
    period: date
    status: str
    total: int
    approved_at: datetime | None
    paid_at: datetime | None

    @property
    def status_label(self) -> str:
        return str(Payout.Status(self.status).label)


_PAYOUT_LINE = "SELECT p.id, p.period, p.status, p.total, p.approved_at, p.paid_at FROM incentives_payout p"


@dataclass(frozen=True)
class PartnerMoney:
    accrued: int  # commission lines earned and not yet taken into a payout
    awaiting_payment: int  # payouts in review, approved or held
    paid_last_12_months: int
    payouts: list[PayoutLine] = field(default_factory=list)


@dataclass(frozen=True)
class MdfRequestLine:
    """An MDF request in the partner page's list."""

    activity: str
    status: str
    budget: int

    @property
    def status_label(self) -> str:
        return str(MdfRequest.Status(self.status).label)


@dataclass(frozen=True)
class PartnerMdf:
    window: figures.Window  # the fiscal year to date
    allocation: int
    committed: int  # approved amounts of the year's activities (claimed and reimbursed ones too)
    roi: MdfRoi
    requests: list[MdfRequestLine] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return max(self.allocation - self.committed, 0)


def partner_money(partner_id: int, *, today: date) -> PartnerMoney:
    """Two statements: the accrued lines with the payout totals, the latest payouts."""
    return partner_money_later(partner_id, today=today).run()


def partner_money_later(partner_id: int, *, today: date) -> Later[PartnerMoney]:
    """partner_money's two statements, for a page that sends them with others (prm.reads.resolve)."""
    totals = Read(f"""
        SELECT (SELECT COALESCE(sum(l.amount), 0) FROM {LedgerLine._meta.db_table} l
                 WHERE l.partner_id = %(partner)s AND l.payout_id IS NULL),
               COALESCE(sum(p.total) FILTER (WHERE p.status = ANY(%(unpaid)s)), 0),
               COALESCE(sum(p.total) FILTER (WHERE p.status = %(paid)s AND p.paid_at >= %(since)s), 0)
          FROM {Payout._meta.db_table} p WHERE p.partner_id = %(partner)s""", {
        "partner": partner_id, "unpaid": [status.value for status in UNPAID], "paid": Payout.Status.PAID.value,
        "since": timezone.now() - timedelta(days=365)}, lambda rows: rows[0])
    payouts = Read(f"{_PAYOUT_LINE} WHERE p.partner_id = %(partner)s ORDER BY p.period DESC, p.id DESC LIMIT %(recent)s",
                   {"partner": partner_id, "recent": RECENT}, lambda rows: [PayoutLine(*row) for row in rows])

    def made(sums: tuple, lines: list[PayoutLine]) -> PartnerMoney:
        accrued, awaiting, paid = sums
        return PartnerMoney(accrued=int(accrued), awaiting_payment=int(awaiting), paid_last_12_months=int(paid),
                            payouts=lines)

    return Later([totals, payouts], made)


def partner_mdf(partner: Partner, *, today: date) -> PartnerMdf:
    """The fiscal year's allocation and commitment (by the rules MDF approval uses), the latest requests and
    the year's ROI: a fixed number of queries."""
    return partner_mdf_later(partner, today=today).run()


def partner_mdf_later(partner: Partner, *, today: date) -> Later[PartnerMdf]:
    """partner_mdf with the requests, the allocation and the commitment sent with a page's others
    (prm.reads.resolve); the ROI reads after them."""
    from incentives.mdf import allocation_later, committed_read

    start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4  # type: ignore[attr-defined]  # django-tenants' connection
    window = figures.fiscal_year_to_date(today, start_month)
    start, end, year = window.start, window.end, window.year
    assert start is not None and year is not None
    requests = Read("""
        SELECT r.activity, r.status, r.budget FROM incentives_mdfrequest r
         WHERE r.partner_id = %(partner)s ORDER BY r.created_at DESC, r.id DESC LIMIT %(recent)s""",
                    {"partner": partner.pk, "recent": RECENT}, lambda rows: [MdfRequestLine(*row) for row in rows])

    def made(lines: list[MdfRequestLine], allocation: int, commitment: int) -> PartnerMdf:
        roi = mdf_roi([partner.pk], start, end, partners={partner.pk: partner})
        return PartnerMdf(window=window, allocation=allocation, committed=commitment, roi=roi, requests=lines)

    return gather([requests, allocation_later(partner, year), committed_read(partner, year)],
                  lambda values: made(*values))


def partner_payout_history(partner_id: int, *, limit: int) -> list[PayoutLine]:
    """The partner's newest approved and paid payouts, for its timeline (one statement)."""
    return partner_payout_history_read(partner_id, limit=limit).run()


def partner_payout_history_read(partner_id: int, *, limit: int) -> Read[list[PayoutLine]]:
    """partner_payout_history's statement, for a page that sends it with others (prm.reads.Later)."""
    return Read(f"""
        {_PAYOUT_LINE} WHERE p.partner_id = %(partner)s AND p.approved_at IS NOT NULL
         ORDER BY COALESCE(p.paid_at, p.approved_at) DESC, p.id DESC LIMIT %(limit)s""",
                {"partner": partner_id, "limit": limit}, lambda rows: [PayoutLine(*row) for row in rows])
