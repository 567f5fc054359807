"""What of the deals app waits for the vendor: registrations and extensions to decide, leads nobody answered."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from deals.models import DealRegistration, ExtensionRequest, LeadOffer, Stage
from prm.inbox import Waiting, partner_scope, waiting


def registrations_awaiting_approval(*, partner_ids: QuerySet | None = None) -> Waiting[DealRegistration]:
    """Registrations still waiting for a decision, the longest-waiting first."""
    return waiting(DealRegistration.objects.filter(partner_scope(partner_ids), stage=Stage.REGISTERED)
                   .select_related("partner").order_by("registered_at", "pk"))


def extensions_awaiting_approval(*, partner_ids: QuerySet | None = None) -> Waiting[ExtensionRequest]:
    """Extension requests still waiting for a decision, the longest-waiting first."""
    return waiting(ExtensionRequest.objects.filter(partner_scope(partner_ids, field="deal__partner_id"),
                                                   status=ExtensionRequest.Status.PENDING)
                   .select_related("deal__partner").order_by("requested_at", "pk"))


def lead_offers_past_sla(*, partner_ids: QuerySet | None = None) -> Waiting[LeadOffer]:
    """Leads offered to a partner that let the acceptance SLA pass without answering, the most overdue first."""
    return waiting(LeadOffer.objects.filter(partner_scope(partner_ids), status=LeadOffer.Status.PENDING,
                                            expires_at__lte=timezone.now())
                   .select_related("lead", "partner").order_by("expires_at", "pk"))
