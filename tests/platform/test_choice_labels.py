"""Choice labels read from a per-language table (prm.choices) say exactly what Django's get_FOO_display says."""

from __future__ import annotations

import pytest
from django.db import models
from django.utils import translation

from deals.models import DealRegistration
from partners.models import Partner


@pytest.mark.parametrize("model, names", [(Partner, ("stage", "partner_type")),
                                           (DealRegistration, ("stage", "role_lead", "industry", "employee_band"))])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_labels_equal_djangos_in_each_language(model, names, language):
    partner = model()
    compared = 0
    with translation.override(language):
        for name in names:
            field = model._meta.get_field(name)
            for value, _label in field.flatchoices:
                setattr(partner, field.attname, value)
                fast = getattr(partner, f"get_{name}_display")()
                assert fast == models.Model._get_FIELD_display(partner, field)
                assert isinstance(fast, str)
                compared += 1
            setattr(partner, field.attname, "no-such-value")  # an unknown value shows itself, as in Django
            assert getattr(partner, f"get_{name}_display")() == "no-such-value"
    assert compared > 8


def test_the_labels_follow_the_active_language():
    partner = Partner(name="株式会社サクラ", stage=Partner._meta.get_field("stage").flatchoices[0][0])
    with translation.override("ja"):
        japanese = partner.get_stage_display()
    with translation.override("en"):
        english = partner.get_stage_display()
    assert japanese != english and english.isascii() and not japanese.isascii()
