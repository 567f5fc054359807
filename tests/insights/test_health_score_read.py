"""The partner page reads the health score row in a fixed statement (score_of): the ORM's row, or None."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from insights.dashboards.partner_health import score_of
from insights.health.models import HealthScore

pytestmark = pytest.mark.django_db


def _values(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if not key.startswith("_")}


def test_the_score_row_is_the_orms(people_a, django_assert_num_queries):
    with tenant_context(people_a.tenant):
        assert score_of(people_a.partner) is None
        HealthScore.objects.create(partner=people_a.partner, score=72, band="healthy", previous_score=65,
                                   previous_band="at_risk", components={"logins": {"value": 0.5, "points": 10}},
                                   computed_at=timezone.now())
        HealthScore.objects.create(partner=people_a.other_partner, score=12, band="dormant")
        with django_assert_num_queries(1):
            row = score_of(people_a.partner)
        assert _values(row) == _values(HealthScore.objects.get(partner=people_a.partner))
        assert row.components["logins"]["points"] == 10 and row.get_band_display()
