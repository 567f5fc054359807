"""What the write tests (and the access walk) leave in vendor A, and its clean-up: deals, leads, offers,
direct-sales accounts and invoice payments of the world's partners, removed after the module."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

CRM = "testcrm"  # the source every test account is written under, removed afterwards


@dataclass
class WriteRecords:
    deals: list  # partner A's, partner B's (approved)
    offers: list  # partner A's, partner B's (pending)
    leads: list
    accounts: list


def customer(tag: str = "") -> str:
    return f"株式会社API顧客{tag or uuid.uuid4().hex[:8]}"


def in_vendor(world, work):
    with tenant_context(world.vendor):
        result = work()
    connection.set_schema_to_public()
    return result


def make_write_records(world) -> WriteRecords:
    from deals import leads, services
    from deals.models import DirectAccount, LeadOffer

    def work():
        admin = world.people["vendor_admin"]
        deals, offers, lead_rows = [], [], []
        for partner, user in ((world.partner_a, "partner_a_admin"), (world.partner_b, "partner_b_admin")):
            deal = services.deal_register(partner=partner, user=world.people[user], customer_name=customer(),
                                          amount=1_000_000, expected_close=timezone.localdate() + timedelta(days=30))
            deals.append(services.deal_approve(deal=deal, actor=admin))
            lead = leads.lead_create(actor=admin, customer_name=customer())
            lead_rows.append(lead)
            offers.append(LeadOffer.objects.create(lead=lead, partner=partner,
                                                   expires_at=timezone.now() + timedelta(days=2)))
        account = DirectAccount.objects.create(customer_name=customer(), external_ids={CRM: uuid.uuid4().hex})
        return WriteRecords(deals=deals, offers=offers, leads=lead_rows, accounts=[account])

    return in_vendor(world, work)


def clean_vendor(world) -> None:
    """Everything of the world's partners and people that the write paths made."""
    from deals.models import DealRegistration, DirectAccount, Lead, LeadRecipient
    from incentives.models import InvoicePayment

    def work():
        partners = [world.partner_a.pk, world.partner_b.pk]
        InvoicePayment.objects.filter(deal__partner_id__in=partners).delete()
        deals = DealRegistration.objects.filter(partner_id__in=partners)
        DealRegistration.objects.filter(conflict_with__in=deals).update(conflict_with=None)
        deals.delete()
        Lead.objects.filter(created_by__in=list(world.people.values())).delete()
        LeadRecipient.objects.filter(partner_id__in=partners).delete()
        DirectAccount.objects.filter(external_ids__has_key=CRM).delete()

    in_vendor(world, work)


@pytest.fixture(scope="module")
def write_records(world, django_db_blocker):
    with django_db_blocker.unblock():
        made = make_write_records(world)
        try:
            yield made
        finally:
            clean_vendor(world)
