from django import forms
from django.contrib import admin
from django.db import models

from partners.models import (
    Activity,
    Agreement,
    BusinessPlan,
    ChecklistItem,
    Contact,
    ContactSignal,
    OnboardingTemplate,
    OnboardingTemplateItem,
    Partner,
    PartnerApplication,
    PartnerMembership,
    PartnerSettings,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["full_name", "email", "role", "is_key_person", "stage"]
    readonly_fields = ["stage"]


HTTPS_URLS = {models.URLField: {"form_class": forms.URLField, "assume_scheme": "https"}}


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "name_kana", "partner_type", "stage", "owner", "corporate_number", "created_at"]
    list_filter = ["partner_type", "stage"]
    search_fields = ["name", "name_kana", "corporate_number"]
    list_select_related = ["owner"]
    raw_id_fields = ["parent", "owner"]
    inlines = [ContactInline]


@admin.register(PartnerMembership)
class PartnerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "created_at"]
    list_select_related = ["user", "partner"]
    search_fields = ["user__email", "partner__name"]
    autocomplete_fields = ["partner"]
    raw_id_fields = ["user"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["full_name", "partner", "email", "role", "is_key_person", "stage"]
    list_filter = ["role", "stage", "is_key_person"]
    search_fields = ["full_name", "full_name_kana", "email", "partner__name"]
    list_select_related = ["partner"]
    raw_id_fields = ["partner", "user"]


class TemplateItemInline(admin.TabularInline):
    model = OnboardingTemplateItem
    extra = 1


@admin.register(OnboardingTemplate)
class OnboardingTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "partner_type"]
    inlines = [TemplateItemInline]


admin.site.register(PartnerSettings)
admin.site.register(PartnerApplication, list_display=["company_name", "contact_email", "status", "submitted_at"],
                    list_filter=["status"], formfield_overrides=HTTPS_URLS)
admin.site.register(Agreement, list_display=["partner", "kind", "agreed_on"], list_select_related=["partner"],
                    raw_id_fields=["partner", "partner_signatory"])
admin.site.register(ChecklistItem, list_display=["partner", "title", "due_on", "completed_at"],
                    list_select_related=["partner"], raw_id_fields=["partner"])
admin.site.register(Activity, list_display=["partner", "kind", "subject", "occurred_at"], list_select_related=["partner"],
                    raw_id_fields=["partner"], filter_horizontal=["contacts"])
admin.site.register(BusinessPlan, list_display=["partner", "fiscal_year", "revenue_target"],
                    list_select_related=["partner"], raw_id_fields=["partner"])
admin.site.register(ContactSignal, list_display=["partner", "contact", "kind", "occurred_at"],
                    list_select_related=["partner", "contact"], raw_id_fields=["partner", "contact"])
