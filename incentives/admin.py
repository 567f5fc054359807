"""Ledger lines, payouts and plan versions in the tenant admin: to look at only.

Lines are append-only and written by commission runs; payouts move through review, approval and
payment in incentives.payouts (audited, with the bank file built from them); a plan version is
edited as a draft and published in the console, which validates it. Nothing here can change or
delete them.
"""

from django.contrib import admin

from incentives.models import LedgerLine, Payout, PlanVersion
from prm.admin_site import ServiceOwnedAdmin


@admin.register(LedgerLine)
class LedgerLineAdmin(ServiceOwnedAdmin):
    list_display = ["period", "partner", "rule_id", "event_id", "amount", "run", "created_at"]
    list_filter = ["period"]
    search_fields = ["partner__name", "event_id", "rule_id"]
    list_select_related = ["partner", "run"]


@admin.register(Payout)
class PayoutAdmin(ServiceOwnedAdmin):
    list_display = ["period", "partner", "status", "total", "due_date", "approved_at", "paid_at"]
    list_filter = ["status", "period"]
    search_fields = ["partner__name", "payee_name"]
    list_select_related = ["partner"]


@admin.register(PlanVersion)
class PlanVersionAdmin(ServiceOwnedAdmin):
    list_display = ["plan", "number", "status", "created_at", "published_at"]
    list_filter = ["status"]
    list_select_related = ["plan"]
