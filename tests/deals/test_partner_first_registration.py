"""A partner's first registration (the portal home's "first deal" badge, deals.selectors.deal_milestones) is read from
the first entry of deal_partner_registered, not from every deal of the partner nor through every older deal of the
vendor, and it is the one the ORM names."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Min
from django_tenants.utils import tenant_context

from deals.models import DealRegistration
from deals.selectors import deal_milestones
from tests.deals.test_partner_open_latest import _open_deals, _other_partners_deals, _run_keeping_statements


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_the_first_registration_comes_from_the_partner_registered_index(people_a):
    with tenant_context(people_a.tenant):
        _open_deals(people_a, 3000)
        # A hundred other partners with thirty deals each, all older than this partner's first: walking the vendor's
        # registered_at index would pass them all.
        others = _other_partners_deals(people_a)
        first = DealRegistration.objects.filter(partner=people_a.partner).aggregate(first=Min("registered_at"))["first"]
        milestones, statements = _run_keeping_statements(lambda: deal_milestones(
            [people_a.partner.pk, others[0]], quarter_target=10_000_000, fiscal_start_month=4))
        assert milestones[people_a.partner.pk][0] == first
        assert milestones[others[0]][0] == DealRegistration.objects.filter(partner_id=others[0]).aggregate(
            first=Min("registered_at"))["first"] < first

        (sql, params), = statements
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0][0]["Plan"]
        first_registration = [node for node in _nodes(plan) if node.get("Index Name") == "deal_partner_registered"]
        assert first_registration, json.dumps(plan)
        # One index entry for each partner's first registration: never all of the partner's deals or the vendor's.
        assert max(node["Actual Rows"] for node in _nodes(plan) if node.get("Relation Name")) <= 2, json.dumps(plan)
