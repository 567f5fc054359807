"""Every domain change in the catalogue writes its outbox row in the same transaction, with the data promised."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import leads
from deals import services as deals
from deals.models import LeadOffer, LeadRecipient, Stage
from incentives import payouts
from incentives.models import Payout
from insights.health.models import HealthScore
from insights.health.services import recalculate
from partners import services as partners
from prm import events
from prm.outbox.models import OutboxEvent
from programs import services as programs
from tests.enablement.factories import CertificationFactory
from tests.factories import UserFactory
from tests.incentives.factories import complete_payout_settings
from tests.partners.factories import ContactFactory, PartnerFactory


def _published(**filters) -> list[tuple[str, str, dict]]:
    return [(row.type, row.object_id, row.data) for row in OutboxEvent.objects.filter(**filters).order_by("id")]


def _types(object_type: str, object_id) -> list[str]:
    return [t for t, _id, _data in _published(object_type=object_type, object_id=str(object_id))]


def _register(people, customer="株式会社フック"):
    return deals.deal_register(partner=people.partner, user=people.partner_rep, customer_name=customer,
                               corporate_number="", web_domain="hook.example.jp", amount=1_200_000,
                               expected_close=timezone.localdate() + timedelta(days=30))


def test_a_deals_life_publishes_registered_approved_won_cancelled_with_yen_as_integers(people_a):
    with tenant_context(people_a.tenant):
        deal = _register(people_a)
        deals.deal_approve(deal=deal, actor=people_a.channel_manager)
        deals.deal_win_confirm(deal=deal, actor=people_a.channel_manager, won_amount=1_500_000,
                               won_on=timezone.localdate())
        deals.deal_cancel_won(deal=deal, actor=people_a.channel_manager, cancelled_on=timezone.localdate(),
                              reason="解約")
        rows = _published(object_type="deal", object_id=str(deal.pk))
        assert [t for t, _i, _d in rows] == ["deal.registered", "deal.approved", "deal.won", "deal.cancelled"]
        won = rows[2][2]
        assert (won["id"], won["partner_id"], won["won_amount"], won["stage"]) == (deal.pk, people_a.partner.pk,
                                                                                  1_500_000, "won")
        assert won["won_on"] == timezone.localdate().isoformat() and won["external_ids"] == {}
        assert rows[3][2]["cancelled_on"] == timezone.localdate().isoformat()
        assert {row.partner_id for row in OutboxEvent.objects.filter(object_id=str(deal.pk))} == {people_a.partner.pk}


def test_rejected_lost_and_expired_deals_publish_their_events(people_a):
    with tenant_context(people_a.tenant):
        rejected = _register(people_a, "株式会社却下")
        deals.deal_reject(deal=rejected, actor=people_a.channel_manager, reason="重複")
        lost = _register(people_a, "株式会社失注")
        deals.deal_approve(deal=lost, actor=people_a.channel_manager)
        deals.deal_move(deal=lost, actor=people_a.channel_manager, stage=Stage.LOST, reason="価格")
        expiring = _register(people_a, "株式会社期限")
        deals.deal_approve(deal=expiring, actor=people_a.channel_manager)
        type(expiring).objects.filter(pk=expiring.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
        deals.deals_expire()
        assert _types("deal", rejected.pk)[-1] == "deal.rejected"
        assert _types("deal", lost.pk)[-1] == "deal.lost"
        assert _types("deal", expiring.pk)[-1] == "deal.expired"
        assert _published(object_id=str(expiring.pk), type="deal.expired")[0][2]["stage"] == "expired"
        deals.deals_expire()  # a second run expires nothing and publishes nothing
        assert _types("deal", expiring.pk).count("deal.expired") == 1


def test_a_lead_publishes_offered_declined_offered_accepted_each_for_its_partner(people_a,
                                                                                django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        first, second = PartnerFactory(prefectures=["13"]), PartnerFactory(prefectures=["13"])
        for partner in (first, second):
            LeadRecipient.objects.create(partner=partner, weight=1)
        users = {p.pk: UserFactory(role="partner_admin", partner=p) for p in (first, second)}
        lead = leads.lead_create(actor=people_a.channel_manager, customer_name="株式会社見込み", corporate_number="",
                                 web_domain="", amount=3_000_000, prefecture="13")
        offer = leads.lead_offer_next(lead=lead)
        with django_capture_on_commit_callbacks(execute=True):
            leads.lead_respond(offer=offer, actor=users[offer.partner_id], accept=False, reason="対応不可")
        next_offer = LeadOffer.objects.get(lead=lead, status="pending")
        leads.lead_respond(offer=next_offer, actor=users[next_offer.partner_id], accept=True)
        rows = [row for row in OutboxEvent.objects.filter(object_type="lead", object_id=str(lead.pk)).order_by("id")]
        assert [(r.type, r.partner_id) for r in rows] == [
            ("lead.offered", offer.partner_id), ("lead.declined", offer.partner_id),
            ("lead.offered", next_offer.partner_id), ("lead.accepted", next_offer.partner_id)]
        assert rows[1].data["reason"] == "対応不可" and rows[0].data["amount"] == 3_000_000
        assert _types("deal", lead.deal.pk) == ["deal.registered"]


def test_partners_publish_created_and_updated_without_their_bank_account(people_a):
    with tenant_context(people_a.tenant):
        partner = partners.partner_create(actor=people_a.channel_manager, name="株式会社新規", partner_type="resale")
        partners.partner_update(partner=partner, actor=people_a.channel_manager, name="株式会社新規２",
                                phone="03-1234-5678")
        partners.partner_update(partner=partner, actor=people_a.channel_manager, name="株式会社新規２")  # no change
        rows = _published(object_type="partner", object_id=str(partner.pk))
        assert [t for t, _i, _d in rows] == ["partner.created", "partner.updated"]
        assert rows[1][2]["changed"] == ["name", "phone"] and rows[1][2]["name"] == "株式会社新規２"
        assert not any("bank" in key for key in rows[1][2])


def test_events_collected_in_a_block_are_written_in_one_insert_in_the_order_published(people_a):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with tenant_context(people_a.tenant), transaction.atomic():
        with CaptureQueriesContext(connection) as queries, events.collected():
            made = [partners.partner_create(actor=people_a.channel_manager, name=f"株式会社まとめ{n}",
                                            partner_type="resale") for n in range(3)]
            partners.partner_update(partner=made[0], actor=people_a.channel_manager, name="株式会社まとめ改")
            assert not OutboxEvent.objects.filter(object_type="partner").exists()  # held until the block ends
        inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "outbox_outboxevent"')]
        assert len(inserts) == 1
        rows = list(OutboxEvent.objects.filter(object_type="partner").order_by("id"))
        assert [(row.type, row.object_id) for row in rows] == [
            *[("partner.created", str(partner.pk)) for partner in made], ("partner.updated", str(made[0].pk))]
        assert rows[3].data["name"] == "株式会社まとめ改" and rows[3].occurred_at >= rows[0].occurred_at


def test_an_error_out_of_a_collected_block_writes_none_of_its_events(people_a):
    import pytest
    from django.db import transaction

    with tenant_context(people_a.tenant):
        with pytest.raises(ValueError), transaction.atomic(), events.collected():
            partners.partner_create(actor=people_a.channel_manager, name="株式会社取消", partner_type="resale")
            raise ValueError("the import failed half-way")
        with transaction.atomic(), events.collected():
            partner = partners.partner_create(actor=people_a.channel_manager, name="株式会社後続", partner_type="resale")
        assert _types("partner", partner.pk) == ["partner.created"]
        assert OutboxEvent.objects.filter(object_type="partner").count() == 1


def test_an_applied_tier_and_a_new_health_band_are_published(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage="activation")
        programs.evaluate()
        tier = _published(type="partner.tier_changed", object_id=str(partner.pk))
        assert len(tier) == 1 and tier[0][2]["to_tier"]["code"] == "bronze" and tier[0][2]["from_tier"] is None

        scored = PartnerFactory(stage="retention", owner=people_a.channel_manager)
        ContactFactory(partner=scored)
        HealthScore.objects.create(partner=scored, score=80, band="healthy", components={})
        recalculate()
        band = HealthScore.objects.get(partner=scored).band
        moved = _published(type="partner.health_band_changed", object_id=str(scored.pk))
        assert band != "healthy" and [d["to_band"] for _t, _i, d in moved] == [band]
        assert moved[0][2]["from_band"] == "healthy"
        recalculate()  # the same band again: nothing new
        assert len(_published(type="partner.health_band_changed", object_id=str(scored.pk))) == 1


def test_payouts_publish_approved_and_paid_and_certifications_earned(people_a):
    with tenant_context(people_a.tenant):
        complete_payout_settings()
        payout = Payout.objects.create(partner=people_a.partner, period=date(2026, 10, 1), commissions=100_000,
                                       subtotal=100_000, tax=10_000, total=110_000, close_date=date(2026, 10, 31),
                                       due_date=date(2026, 11, 30), payee_name=people_a.partner.name)
        payouts.payout_approve(payout=payout, actor=people_a.channel_manager)
        payouts.payout_mark_paid(payout=payout, actor=people_a.vendor_admin)
        rows = _published(object_type="payout", object_id=str(payout.pk))
        assert [t for t, _i, _d in rows] == ["payout.approved", "payout.paid"]
        assert (rows[1][2]["total"], rows[1][2]["period"], rows[1][2]["status"]) == (110_000, "2026-10", "paid")
        assert rows[1][2]["paid_at"] is not None and "bank_code" not in rows[1][2]

        from enablement.services import learning

        award = learning.certification_award(certification=CertificationFactory(code="hook-basic"),
                                             user=people_a.partner_rep)
        earned = OutboxEvent.objects.get(type="certification.earned", object_id=str(award.pk))
        assert earned.partner_id == people_a.partner.pk
        assert earned.data["certification"]["code"] == "hook-basic" and earned.data["user_id"] == people_a.partner_rep.pk


def test_every_catalogued_event_has_a_label_in_both_languages():
    from django.utils import translation

    for code in events.CATALOGUE:
        with translation.override("en"):
            assert events.label(code) and "." not in events.label(code)
    assert len(events.CATALOGUE) == 17
