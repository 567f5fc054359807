from django.contrib import admin

from programs.models import Award, PartnerTier, Program, ProgramSettings, Requirement, Tier, TierChange


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0
    fields = ["rank", "code", "name", "deal_capacity", "lead_priority", "mdf_allocation"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "partner_types", "is_active"]
    inlines = [TierInline]


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "rank"]
    inlines = [RequirementInline]


@admin.register(TierChange)
class TierChangeAdmin(admin.ModelAdmin):
    list_display = ["partner", "direction", "from_tier", "to_tier", "status", "detected_at"]
    list_filter = ["status", "direction"]
    list_select_related = ["partner", "from_tier", "to_tier"]
    raw_id_fields = ["partner", "decided_by"]


admin.site.register(ProgramSettings)
admin.site.register(PartnerTier, list_display=["partner", "tier", "since", "evaluated_at"],
                    list_select_related=["partner", "tier"], raw_id_fields=["partner"])


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ["kind", "period_start", "partner", "published_by", "published_at"]
    list_filter = ["kind"]
