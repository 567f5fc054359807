"""Vendor leads passed to partners (リード提供): distribution by rule, SLA, decline → next partner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from deals import services
from deals.models import DealSettings, DistributionRule, Lead, LeadOffer, LeadRecipient, LeadStatus
from partners.access import require_partner_member, require_vendor_staff
from partners.models import Partner, Stage
from prm import events
from prm import messages as msg
from prm.accounts.models import User
from prm.notifications.services import notify
from programs.benefits import benefits_for

RECEIVING_STAGES = (Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION)

# Which partners already serve a customer is account mapping's knowledge, and mapping sits above
# deals (it reads deals' populations), so deals cannot import it. mapping registers its lookup
# here when the app registry is ready (MappingConfig.ready): (name_key, corporate_key, domain_key)
# → ids of the partners whose uploaded customer list contains that customer.
ServingLookup = Callable[[str, str, str], set[int]]
_serving_lookup: ServingLookup | None = None


def register_serving_lookup(lookup: ServingLookup | None) -> None:
    global _serving_lookup
    _serving_lookup = lookup


def _partners_serving(lead: Lead) -> set[int]:
    if _serving_lookup is None:
        return set()
    return _serving_lookup(lead.name_key, lead.corporate_key, lead.domain_key)


@transaction.atomic
def lead_create(*, actor: User, products=(), **fields) -> Lead:
    require_vendor_staff(actor)
    if not (fields.get("customer_name") or "").strip():
        raise ValidationError({"customer_name": _("Enter the customer's company name.")})
    lead = Lead(created_by=actor, **fields)
    services.apply_keys(lead, services.customer_keys_for(lead.customer_name, lead.corporate_number, lead.web_domain))
    lead.save()
    lead.products.set(products)
    return lead


def candidates(lead: Lead) -> list[Partner]:
    """Partners that may be offered this lead, best first, by the vendor's distribution rule.

    A partner that was offered the lead before (and declined or let it expire) is never
    offered it again. With "offer first to partners that already serve the customer" on, the
    partners whose customer list contains the lead's customer come first, each group in the
    rule's order.
    """
    settings_row = DealSettings.current()
    rule = settings_row.lead_distribution
    recipients = (
        LeadRecipient.objects.filter(is_active=True, partner__stage__in=RECEIVING_STAGES)
        .exclude(partner__lead_offers__lead=lead)
        .select_related("partner")
        .annotate(received=Count("partner__lead_offers"))
    )
    rows = list(recipients)

    def in_territory(row) -> int:
        return 1 if lead.prefecture and lead.prefecture in (row.partner.prefectures or []) else 0

    def tier_priority(row) -> int:
        return benefits_for(row.partner).lead_priority

    if rule == DistributionRule.TIER:
        rows.sort(key=lambda r: (-tier_priority(r), -r.priority, -in_territory(r), r.received, r.partner_id))
    elif rule == DistributionRule.TERRITORY:
        rows.sort(key=lambda r: (-in_territory(r), -tier_priority(r), -r.priority, r.received / r.weight, r.partner_id))
    else:  # weighted round robin: the partner furthest below its share goes next
        rows.sort(key=lambda r: (r.received / r.weight, -r.weight, r.partner_id))
    if settings_row.lead_prefer_serving_partner and rows:
        serving = _partners_serving(lead)
        rows.sort(key=lambda r: r.partner_id not in serving)  # stable: the rule's order within each group
    return [row.partner for row in rows]


@transaction.atomic
def lead_offer_next(*, lead: Lead) -> LeadOffer | None:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status in (LeadStatus.ACCEPTED, LeadStatus.CLOSED) or lead.offers.filter(status=LeadOffer.Status.PENDING).exists():
        return None
    choices = candidates(lead)
    if not choices:
        lead.status = LeadStatus.UNPLACED
        lead.save(update_fields=["status"])
        notify(users=[lead.created_by], kind="lead_unplaced", url="/deals/leads/",
               message=(msg.text("lead.unplaced", customer=lead.customer_name), msg.text("lead.unplaced.body")))
        return None
    partner = choices[0]
    sla = timedelta(hours=DealSettings.current().lead_sla_hours)
    now = timezone.now()
    offer = LeadOffer.objects.create(lead=lead, partner=partner, offered_at=now, expires_at=now + sla)
    lead.status = LeadStatus.OFFERED
    lead.save(update_fields=["status"])
    _publish("lead.offered", offer)
    admins = User.objects.filter(partner_membership__partner=partner, is_active=True)
    notify(users=admins, kind="lead_offered", url="/leads/",
           message=(msg.text("lead.offered", customer=lead.customer_name),
                    msg.text("lead.offered.body", deadline=msg.moment(offer.expires_at))))
    return offer


def _publish(event_type: str, offer: LeadOffer) -> None:
    """A lead's events, in order per lead; each goes to the vendor and to the partner the offer was for."""
    lead = offer.lead
    events.publish(event_type, object_type="lead", object_id=lead.pk, partner_id=offer.partner_id, data={
        "id": lead.pk, "external_ids": events.external_ids(lead), "offer_id": offer.pk, "partner_id": offer.partner_id,
        "customer_name": lead.customer_name, "corporate_number": lead.corporate_number, "amount": lead.amount,
        "status": lead.status, "offer_status": offer.status, "offered_at": offer.offered_at,
        "expires_at": offer.expires_at, "responded_at": offer.responded_at, "reason": offer.reason})


@transaction.atomic
def lead_respond(*, offer: LeadOffer, actor: User, accept: bool, reason: str = ""):
    offer = LeadOffer.objects.select_for_update().select_related("lead").get(pk=offer.pk)
    require_partner_member(actor, offer.partner_id)
    if offer.status != LeadOffer.Status.PENDING:
        raise ValidationError(_("This lead is no longer waiting for your answer."))
    if offer.expires_at <= timezone.now():
        raise ValidationError(_("The time to accept this lead has run out."))
    offer.responded_at, offer.responded_by, offer.reason = timezone.now(), actor, reason
    lead = offer.lead
    if not accept:
        offer.status = LeadOffer.Status.DECLINED
        offer.save(update_fields=["status", "responded_at", "responded_by", "reason"])
        _publish("lead.declined", offer)
        transaction.on_commit(lambda: lead_offer_next(lead=lead))
        return None
    offer.status = LeadOffer.Status.ACCEPTED
    offer.save(update_fields=["status", "responded_at", "responded_by", "reason"])
    lead.status, lead.accepted_by = LeadStatus.ACCEPTED, offer.partner
    lead.save(update_fields=["status", "accepted_by"])
    _publish("lead.accepted", offer)
    notify(users=[lead.created_by], kind="lead_accepted", url="/deals/leads/",
           message=(msg.text("lead.accepted", partner=offer.partner.name, customer=lead.customer_name), None))
    deal = services.deal_register(
        partner=offer.partner, user=actor, lead=lead, products=list(lead.products.all()),
        customer_name=lead.customer_name, corporate_number=lead.corporate_number, web_domain=lead.web_domain,
        customer_contact_name=lead.contact_name, customer_contact_email=lead.contact_email, amount=lead.amount,
        expected_close=timezone.localdate() + timedelta(days=90), notes=lead.notes, role_lead="vendor",
    )
    return deal


def lead_offers_expire() -> int:
    """Expire offers past their SLA and offer each lead to the next partner."""
    expired = 0
    for offer in LeadOffer.objects.filter(status=LeadOffer.Status.PENDING, expires_at__lte=timezone.now()).select_related("lead"):
        with transaction.atomic():
            updated = LeadOffer.objects.filter(pk=offer.pk, status=LeadOffer.Status.PENDING).update(
                status=LeadOffer.Status.EXPIRED)
            if updated:
                expired += 1
        lead_offer_next(lead=offer.lead)
    return expired


def lead_counts() -> dict[str, int]:
    counts = dict(Lead.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in LeadStatus.values}


def partner_offers(partner: Partner):
    return LeadOffer.objects.filter(partner=partner).select_related("lead").order_by("-offered_at")


