from django.contrib import admin

from partners.models import Partner, PartnerMembership


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "name_kana", "partner_type", "is_active", "created_at"]
    list_filter = ["partner_type", "is_active"]
    search_fields = ["name", "name_kana"]


@admin.register(PartnerMembership)
class PartnerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "created_at"]
    list_select_related = ["user", "partner"]
    search_fields = ["user__email", "partner__name"]
    autocomplete_fields = ["partner"]
    raw_id_fields = ["user"]
