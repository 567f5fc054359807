from django.contrib import admin

from deals.models import (
    CUSTOMER_KEYS,
    DealEvent,
    DealRegistration,
    DealSettings,
    DirectAccount,
    DirectOpportunity,
    Lead,
    LeadOffer,
    LeadRecipient,
    Product,
    Stage,
)
from prm.admin_site import ServiceOwnedAdmin


class DealEventInline(admin.TabularInline):
    """The deal's history, as the services wrote it."""

    model = DealEvent
    extra = 0
    fields = readonly_fields = ["occurred_at", "kind", "actor", "data"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DealRegistration)
class DealRegistrationAdmin(ServiceOwnedAdmin):
    """Stage, amounts, dates, priority and partner change only through deals.services (first come, conflict
    review, won confirmation, commissions); a won deal is a paid-on fact and is neither edited nor deleted here."""

    list_display = ["customer_name", "partner", "stage", "priority", "amount", "registered_at", "expires_on"]
    list_filter = ["stage", "priority"]
    search_fields = ["customer_name", "corporate_number", "partner__name"]
    list_select_related = ["partner"]
    raw_id_fields = ["partner", "registered_by", "contact", "conflict_with", "conflict_direct", "decided_by", "lead"]
    editable_fields = ("customer_contact_name", "customer_contact_email", "notes")
    deletable = True
    inlines = [DealEventInline]

    def may_change(self, obj: DealRegistration) -> bool:
        return not _won(obj)

    def may_delete(self, obj: DealRegistration) -> bool:
        return not _won(obj)


def _won(deal: DealRegistration) -> bool:
    """Won, whatever the stage is called (confirmed or awaiting confirmation): a won amount or date is set."""
    return deal.stage == Stage.WON or deal.won_amount is not None or deal.won_on is not None


class OpportunityInline(admin.TabularInline):
    model = DirectOpportunity
    extra = 0


@admin.register(DirectAccount)
class DirectAccountAdmin(admin.ModelAdmin):
    list_display = ["customer_name", "corporate_number", "web_domain", "owner"]
    search_fields = ["customer_name", "corporate_number", "web_domain"]
    readonly_fields = CUSTOMER_KEYS
    inlines = [OpportunityInline]

    def save_model(self, request, obj, form, change):
        from deals.services import apply_keys, customer_keys_for

        apply_keys(obj, customer_keys_for(obj.customer_name, obj.corporate_number, obj.web_domain))
        super().save_model(request, obj, form, change)


@admin.register(LeadRecipient)
class LeadRecipientAdmin(admin.ModelAdmin):
    list_display = ["partner", "priority", "weight", "is_active"]
    list_select_related = ["partner"]
    raw_id_fields = ["partner"]


admin.site.register(Product, list_display=["code", "name", "is_active"])
admin.site.register(DealSettings)
admin.site.register(Lead, list_display=["customer_name", "status", "accepted_by", "created_at"], raw_id_fields=["accepted_by"],
                    readonly_fields=CUSTOMER_KEYS)
admin.site.register(LeadOffer, list_display=["lead", "partner", "status", "offered_at", "expires_at"],
                    raw_id_fields=["lead", "partner"])
