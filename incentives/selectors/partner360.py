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
from prm.reads import fetch_rows

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
    [(accrued, awaiting, paid)] = fetch_rows(f"""
        SELECT (SELECT COALESCE(sum(l.amount), 0) FROM {LedgerLine._meta.db_table} l
                 WHERE l.partner_id = %(partner)s AND l.payout_id IS NULL),
               COALESCE(sum(p.total) FILTER (WHERE p.status = ANY(%(unpaid)s)), 0),
               COALESCE(sum(p.total) FILTER (WHERE p.status = %(paid)s AND p.paid_at >= %(since)s), 0)
          FROM {Payout._meta.db_table} p WHERE p.partner_id = %(partner)s""", {
        "partner": partner_id, "unpaid": [status.value for status in UNPAID], "paid": Payout.Status.PAID.value,
        "since": timezone.now() - timedelta(days=365)})
    payouts = [PayoutLine(*row) for row in fetch_rows(
        f"{_PAYOUT_LINE} WHERE p.partner_id = %(partner)s ORDER BY p.period DESC, p.id DESC LIMIT %(recent)s",
        {"partner": partner_id, "recent": RECENT})]
    return PartnerMoney(accrued=int(accrued), awaiting_payment=int(awaiting), paid_last_12_months=int(paid),
                        payouts=payouts)


def partner_mdf(partner: Partner, *, today: date) -> PartnerMdf:
    """The fiscal year's allocation and commitment (by the rules MDF approval uses), the latest requests and
    the year's ROI: a fixed number of queries."""
    from incentives.mdf import allocation_for, committed

    start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4  # type: ignore[attr-defined]  # django-tenants' connection
    window = figures.fiscal_year_to_date(today, start_month)
    assert window.start is not None and window.year is not None
    requests = [MdfRequestLine(*row) for row in fetch_rows("""
        SELECT r.activity, r.status, r.budget FROM incentives_mdfrequest r
         WHERE r.partner_id = %(partner)s ORDER BY r.created_at DESC, r.id DESC LIMIT %(recent)s""",
        {"partner": partner.pk, "recent": RECENT})]
    roi = mdf_roi([partner.pk], window.start, window.end, partners={partner.pk: partner})
    return PartnerMdf(window=window, allocation=allocation_for(partner, window.year),
                      committed=committed(partner, window.year), roi=roi, requests=requests)


def partner_payout_history(partner_id: int, *, limit: int) -> list[PayoutLine]:
    """The partner's newest approved and paid payouts, for its timeline (one statement)."""
    return [PayoutLine(*row) for row in fetch_rows(f"""
        {_PAYOUT_LINE} WHERE p.partner_id = %(partner)s AND p.approved_at IS NOT NULL
         ORDER BY COALESCE(p.paid_at, p.approved_at) DESC, p.id DESC LIMIT %(limit)s""",
        {"partner": partner_id, "limit": limit})]
