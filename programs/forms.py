from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from prm.invitations.forms import ServiceErrorsMixin
from programs.models import ProgramSettings, Requirement, Tier


class TierForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["name", "description", "deal_capacity", "lead_priority", "mdf_allocation",
                  "gated_content", "early_roadmap"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


RequirementFormSet = inlineformset_factory(
    Tier, Requirement, fields=["option", "metric", "window", "threshold", "annual_step", "base_fiscal_year"],
    extra=2, can_delete=True,
)


class ProgramSettingsForm(forms.ModelForm):
    class Meta:
        model = ProgramSettings
        fields = ["upgrades_need_approval", "downgrade_grace_days"]


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Note"), required=False, max_length=300)
