"""MDF ROI reads the claimed requests in a fixed statement (incentives.selectors.mdf_roi): the same requests, each
with its claim and partner, as the ORM query it replaced, for one partner, some or all of them."""

from __future__ import annotations

from datetime import date

import pytest
from django_tenants.utils import tenant_context

from incentives.models import MdfClaim, MdfRequest
from incentives.selectors import MDF_SPENT, mdf_roi
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _values(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if not key.startswith("_")}


def _orm(partner_ids, start, end) -> list[MdfRequest]:
    requests = (MdfRequest.objects.filter(status__in=MDF_SPENT, starts_on__gte=start, starts_on__lte=end,
                                          claim__isnull=False).select_related("claim", "partner").order_by("pk"))
    if partner_ids is not None:
        requests = requests.filter(partner_id__in=list(partner_ids))
    return list(requests)


def test_the_claimed_requests_are_the_orms_with_their_claims_and_partners(people_a, django_assert_num_queries):
    with tenant_context(people_a.tenant):
        first, second = PartnerFactory(name="MDF甲"), PartnerFactory(name="MDF乙")
        for n, (partner, status, day, claimed) in enumerate([
                (first, "claimed", date(2025, 6, 1), True), (first, "reimbursed", date(2025, 7, 1), True),
                (first, "approved", date(2025, 6, 5), False), (first, "claimed", date(2024, 6, 1), True),
                (second, "reimbursed", date(2025, 8, 1), True), (second, "claimed", date(2025, 9, 1), False)]):
            request = MdfRequest.objects.create(partner=partner, activity=f"活動{n}", starts_on=day, ends_on=day,
                                                budget=500_000, status=status, approved_amount=400_000)
            if claimed:
                MdfClaim.objects.create(request=request, amount=100_000 * (n + 1), proof="mdf/p.pdf", leads=n)
        for partner_ids in ([first.pk], [first.pk, second.pk], None):
            expected = {request.pk: request for request in _orm(partner_ids, date(2025, 4, 1), date(2026, 3, 31))}
            rows = mdf_roi(partner_ids, date(2025, 4, 1), date(2026, 3, 31)).rows
            assert {row.request.pk for row in rows} == expected.keys()
            if partner_ids is not None:
                assert len(rows) == {1: 2, 2: 3}[len(partner_ids)]
            for row in rows:
                old = expected[row.request.pk]
                assert _values(row.request) == _values(old)
                assert _values(row.request.claim) == _values(old.claim) and row.request.claim.request is row.request
                assert _values(row.request.partner) == _values(old.partner)
                assert (row.spent, row.leads) == (old.claim.amount, old.claim.leads)
        with django_assert_num_queries(2):  # the requests and their wins' revenue: the partner handed in is not read
            roi = mdf_roi([second.pk], date(2025, 4, 1), date(2026, 3, 31), partners={second.pk: second})
        assert roi.rows[0].request.partner is second
        with django_assert_num_queries(0):  # no partner in scope (a dashboard filtered down to none): no statement
            assert mdf_roi([], date(2025, 4, 1), date(2026, 3, 31)).rows == []
