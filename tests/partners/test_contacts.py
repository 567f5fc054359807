"""Derived contact stages, signals and the onboarding checklist."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from partners import selectors, services
from partners.contact_stages import Thresholds, derive_stage, stage_expression
from partners.models import Contact, ContactStage, EventKind, PartnerSettings, SignalKind, Stage
from tests.factories import UserFactory
from tests.partners.factories import ContactFactory, PartnerFactory


def _stage(contact) -> str:
    contact.refresh_from_db()
    return contact.stage


def test_it_derives_each_stage_from_data(people_a):
    with tenant_context(people_a.tenant):
        contact = ContactFactory(partner=people_a.partner)
        services.contact_stages_recompute(contact_ids=[contact.pk])
        assert _stage(contact) == ContactStage.POTENTIAL

        user = UserFactory(role="partner_rep", email=contact.email)
        from partners.models import PartnerMembership

        PartnerMembership.objects.create(user=user, partner=people_a.partner)
        services.contact_link_user(user=user)
        assert _stage(contact) == ContactStage.VALID

        services.signal_record(partner=people_a.partner, contact=contact, kind=SignalKind.TRAINING_COMPLETED)
        assert _stage(contact) == ContactStage.TRAINED

        services.signal_record(partner=people_a.partner, contact=contact, kind=SignalKind.LEAD_REGISTERED)
        assert _stage(contact) == ContactStage.ACTIVE

        # The activity window runs out with time: the nightly recompute moves the contact back.
        services.contact_stages_recompute(now=timezone.now() + timedelta(days=91))
        assert _stage(contact) == ContactStage.TRAINED
        services.contact_stages_recompute(now=timezone.now() + timedelta(days=400))
        assert _stage(contact) == ContactStage.VALID

        user.is_active = False
        user.save()
        services.contact_stages_recompute(contact_ids=[contact.pk], now=timezone.now() + timedelta(days=400))
        assert _stage(contact) == ContactStage.POTENTIAL
        stages = list(people_a.partner.events.filter(kind=EventKind.CONTACT_STAGE, data__contact=contact.pk)
                      .order_by("id").values_list("data__stage", flat=True))
        assert stages == ["valid", "trained", "active", "trained", "valid", "potential"]


def test_it_uses_the_vendors_thresholds(people_a):
    with tenant_context(people_a.tenant):
        settings_row = PartnerSettings.current()
        settings_row.valid_requires_login = True
        settings_row.active_window_days = 10
        settings_row.save()
        contact = ContactFactory(partner=people_a.partner)
        user = UserFactory(role="partner_rep", email=contact.email)
        contact.user = user
        contact.save()
        services.signal_record(partner=people_a.partner, contact=contact, kind=SignalKind.LEAD_REGISTERED,
                               occurred_at=timezone.now() - timedelta(days=20))
        assert _stage(contact) == ContactStage.POTENTIAL  # never signed in; lead too old for a 10-day window
        user.last_login = timezone.now()
        user.save()
        services.contact_stages_recompute(contact_ids=[contact.pk])
        assert _stage(contact) == ContactStage.VALID


def test_the_sql_rule_agrees_with_the_python_rule(people_a):
    now = timezone.now()
    cases = list(itertools.product([False, True], [False, True], [None, 5, 500], [None, 5, 120]))
    with tenant_context(people_a.tenant):
        thresholds = Thresholds.from_settings(PartnerSettings.current())
        expected = {}
        for account, signed_in, trained_days, lead_days in cases:
            user = UserFactory(role="partner_rep", last_login=now if signed_in else None) if account else None
            contact = ContactFactory(partner=people_a.partner, user=user)
            if trained_days is not None:
                services.signal_record(partner=people_a.partner, contact=contact, kind=SignalKind.CERTIFIED,
                                       occurred_at=now - timedelta(days=trained_days))
            if lead_days is not None:
                services.signal_record(partner=people_a.partner, contact=contact, kind=SignalKind.DEAL_REGISTERED,
                                       occurred_at=now - timedelta(days=lead_days))
            expected[contact.pk] = derive_stage(
                has_active_account=account, has_signed_in=signed_in,
                last_training_at=None if trained_days is None else now - timedelta(days=trained_days),
                last_lead_at=None if lead_days is None else now - timedelta(days=lead_days),
                now=now, thresholds=thresholds,
            )
        computed = dict(Contact.objects.filter(pk__in=expected).annotate(s=stage_expression(now, thresholds))
                        .values_list("pk", "s"))
    assert computed == expected
    assert set(expected.values()) == set(ContactStage.values)


def test_it_counts_active_contacts_per_partner_and_overall(people_a):
    with tenant_context(people_a.tenant):
        for partner, actives in ((people_a.partner, 2), (people_a.other_partner, 1)):
            for _ in range(actives):
                contact = ContactFactory(partner=partner)
                services.signal_record(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED)
            ContactFactory(partner=partner)
        assert selectors.contact_stage_counts(people_a.partner)["active"] == 2
        assert selectors.contact_stage_counts()["active"] == 3
        listed = {p.pk: p.active_contacts for p in selectors.attach_contact_counts(selectors.partner_list())}
        assert (listed[people_a.partner.pk], listed[people_a.other_partner.pk]) == (2, 1)


def test_it_records_a_signal_once_per_source(people_a):
    with tenant_context(people_a.tenant):
        first = services.signal_record(partner=people_a.partner, kind=SignalKind.DEAL_WON, amount=100, source="deal:1")
        again = services.signal_record(partner=people_a.partner, kind=SignalKind.DEAL_WON, amount=100, source="deal:1")
        assert first is not None and again is None


def test_it_starts_the_checklist_for_the_partner_type_and_ticks_observed_items(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING, partner_type="referral")
        contact = ContactFactory(partner=partner)
        services.signal_record(partner=partner, contact=contact, kind=SignalKind.PORTAL_LOGIN)
        services.partner_set_stage(partner=partner, stage=Stage.ONBOARDING, actor=people_a.channel_manager)
        items = {item.title: item for item in partner.checklist.all()}
        assert "初回リードの紹介" in items and "NDA・パートナー契約の締結" in items
        assert items["パートナー管理者のポータル初回ログイン"].is_done  # seen before onboarding began
        assert not items["初回リードの紹介"].is_done
        assert items["NDA・パートナー契約の締結"].due_on == timezone.localdate() + timedelta(days=7)

        services.signal_record(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED)
        assert partner.checklist.get(title="初回リードの紹介").is_done
        # Entering onboarding again does not duplicate the list.
        services.onboarding_start(partner=partner, actor=None)
        assert partner.checklist.count() == len(items)


def test_it_ticks_manual_items_in_the_console_with_htmx(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RECRUITING)
        services.partner_set_stage(partner=partner, stage=Stage.ONBOARDING, actor=people_a.channel_manager)
        manual = partner.checklist.get(title="NDA・パートナー契約の締結")
        auto = partner.checklist.exclude(auto_event="").first()
    client = people_a.console(people_a.channel_manager)
    response = client.post(f"/partners/{partner.pk}/checklist/{manual.pk}/", {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="checklist"' in response.content.decode() and "<html" not in response.content.decode()
    client.post(f"/partners/{partner.pk}/checklist/{auto.pk}/", {"done": "1"})
    with tenant_context(people_a.tenant):
        manual.refresh_from_db()
        auto.refresh_from_db()
        assert manual.is_done and manual.completed_by == people_a.channel_manager
        assert not auto.is_done
    # An item of another partner is not reachable through this partner's URL.
    assert client.post(f"/partners/{people_a.partner.pk}/checklist/{manual.pk}/", {"done": "0"}).status_code == 404


@pytest.mark.parametrize("stage", [Stage.PROSPECT, Stage.RECRUITING])
def test_it_gives_no_checklist_before_onboarding(people_a, stage):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=stage)
        assert partner.checklist.count() == 0
