"""Health scores: the pure scoring, the set-based figures, recalculation with history, alerts, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals.models import DealRegistration
from enablement import services as enablement_services
from insights.health import actions, metrics, scoring
from insights.health.models import HealthAlert, HealthScore, HealthSettings, HealthSnapshot
from insights.health.services import COMPONENT_LABELS, recalculate, settings_update
from partners.models import ContactSignal, Stage
from prm.notifications.models import Notification
from tests.enablement.factories import CertificationFactory
from tests.partners.factories import ContactFactory, PartnerFactory

RULES = scoring.Rules(weights={"logins": 15, "deals": 20, "certified": 10, "pass_rate": 5, "active_contacts": 15,
                               "conversion": 10, "recency": 15, "first_deal": 10})


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_perfect_partner_scores_100_and_contributions_add_up_to_the_score():
    figures = scoring.Figures(contacts=4, portal_users=4, signed_in=4, deals_in_window=5, certified=4, attempts=2,
                              passed=2, active_contacts=4, registered_for_conversion=10, won_for_conversion=10,
                              days_since_last_deal=3, age_days=400, days_to_first_deal=20)
    result = scoring.score(figures, RULES)
    assert (result.score, result.band) == (100, "healthy")
    assert result.components["first_deal"].weight == 0  # not a new partner: does not apply
    assert round(sum(c.contribution for c in result.components.values())) == 100


def test_it_explains_each_component_and_leaves_out_what_does_not_apply():
    figures = scoring.Figures(contacts=10, portal_users=5, signed_in=1, deals_in_window=2, certified=3, attempts=0,
                              passed=0, active_contacts=5, registered_for_conversion=8, won_for_conversion=2,
                              days_since_last_deal=97, age_days=900)
    result = scoring.score(figures, RULES)
    parts = {key: (c.value, c.points, c.weight) for key, c in result.components.items()}
    assert parts == {
        "logins": (20, 20, 15), "deals": (2, 40, 20), "certified": (30, 30, 10), "pass_rate": (None, 0, 0),
        "active_contacts": (50, 50, 15), "conversion": (25, 25, 10), "recency": (97, 50, 15),
        "first_deal": (None, 0, 0),
    }
    # Weighted mean over the 85 points of weight that apply.
    expected = (20 * 15 + 40 * 20 + 30 * 10 + 50 * 15 + 25 * 10 + 50 * 15) / 85
    assert result.score == round(expected) == 37 and result.band == "dormant"
    assert result.as_json()["recency"] == {"value": 97, "points": 50, "weight": 15, "contribution": round(50 * 15 / 85, 1)}


def test_a_new_partner_is_scored_on_time_to_first_deal():
    rules = RULES
    quick = scoring.points("first_deal", scoring.Figures(age_days=60, days_to_first_deal=25), rules)
    slow = scoring.points("first_deal", scoring.Figures(age_days=150, days_to_first_deal=75), rules)
    waiting = scoring.points("first_deal", scoring.Figures(age_days=75), rules)
    too_late = scoring.points("first_deal", scoring.Figures(age_days=130), rules)
    assert (quick, slow, waiting, too_late) == ((25, 100), (75, 50), (None, 50), (None, 0))


def test_bands_and_falls():
    assert [scoring.band_of(s, RULES) for s in (100, 70, 69, 40, 39, 0)] == [
        "healthy", "healthy", "at_risk", "at_risk", "dormant", "dormant"]
    assert scoring.worse("healthy", "at_risk") and scoring.worse("at_risk", "dormant")
    assert not scoring.worse("", "dormant") and not scoring.worse("dormant", "at_risk")
    before = {"logins": {"points": 80}, "deals": {"points": 100}, "recency": {"points": 90}}
    after = {"logins": {"points": 20}, "deals": {"points": 100}, "recency": {"points": 70}}
    assert scoring.fallen(before, after) == ["logins", "recency"]


def test_validation_names_weights_that_do_not_add_up_and_bands_out_of_order():
    bad = scoring.Rules(weights={**RULES.weights, "logins": 30}, healthy_from=40, at_risk_from=60)
    assert scoring.validate(bad) == [("weights", "sum"), ("bands", "order")]
    assert scoring.validate(RULES) == []


def test_settings_refuse_bad_weights_and_thresholds_and_save_nothing(people_a):
    with tenant_context(people_a.tenant):
        with pytest.raises(ValidationError) as error:
            settings_update(actor=people_a.vendor_admin, weight_logins=30, healthy_from=40, at_risk_from=60)
        assert error.value.message_dict == {
            "weight_logins": ["The weights add up to 115; they must add up to 100."],
            "at_risk_from": ["“At risk from” must be above 0 and below “healthy from”, which may be at most 100."],
        }
        saved = HealthSettings.current()
        assert (saved.weight_logins, saved.healthy_from, saved.at_risk_from) == (15, 70, 40)
        with pytest.raises(PermissionDenied):
            settings_update(actor=people_a.channel_manager, weight_logins=15)
        settings_update(actor=people_a.vendor_admin, weight_logins=25, weight_deals=10)
        assert HealthSettings.current().weight_logins == 25


def _deal(partner, days_ago: int, stage: str = "approved"):
    return DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{partner.pk}-{days_ago}-{stage}", name_key=f"k{partner.pk}{days_ago}{stage}",
        amount=1_000_000, expected_close=timezone.localdate(), stage=stage,
        registered_at=timezone.now() - timedelta(days=days_ago))


def test_figures_come_from_the_database_for_signed_partners_only(people_a):
    with tenant_context(people_a.tenant):
        now = timezone.now()
        partner = PartnerFactory(stage=Stage.RETENTION)
        PartnerFactory(stage=Stage.PROSPECT)
        rep = ContactFactory(partner=partner, user=people_a.partner_rep)
        people_a.partner_rep.partner_membership.partner = partner
        people_a.partner_rep.partner_membership.save()
        ContactFactory(partner=partner)
        ContactSignal.objects.create(partner=partner, contact=rep, kind="portal_login", occurred_at=now - timedelta(days=3))
        ContactSignal.objects.create(partner=partner, contact=rep, kind="portal_login", occurred_at=now - timedelta(days=40))
        _deal(partner, 10)
        _deal(partner, 100, "won")
        _deal(partner, 200, "lost")
        _deal(partner, 5, "rejected")
        enablement_services.certification_award(certification=CertificationFactory(), user=people_a.partner_rep)
        got = metrics.figures(HealthSettings.current(), timezone.now())
        assert set(got) >= {partner.pk} and all(
            pk not in got for pk in metrics_partner_ids_not_signed())
        f = got[partner.pk]
        assert (f.contacts, f.portal_users, f.signed_in, f.deals_in_window, f.certified) == (2, 1, 1, 1, 1)
        assert (f.registered_for_conversion, f.won_for_conversion, f.days_since_last_deal) == (3, 1, 10)


def metrics_partner_ids_not_signed() -> list[int]:
    from partners.models import Partner

    return list(Partner.objects.exclude(stage__in=metrics.SCORED_STAGES).values_list("pk", flat=True))


def test_recalculation_keeps_one_snapshot_a_day_and_alerts_the_owner_once_when_a_partner_falls(people_a):
    with tenant_context(people_a.tenant):
        owner = people_a.channel_manager
        partner = PartnerFactory(stage=Stage.RETENTION, owner=owner)
        contact = ContactFactory(partner=partner, user=people_a.partner_rep)
        for days in (1, 2, 3, 4, 5):
            _deal(partner, days, "won")
        ContactSignal.objects.create(partner=partner, contact=contact, kind="portal_login")
        first = recalculate()
        score = HealthScore.objects.get(partner=partner)
        assert first.partners >= 1 and score.band == "healthy" and score.previous_band == ""
        assert score.components["deals"]["points"] == 100
        DealRegistration.objects.filter(partner=partner).update(registered_at=timezone.now() - timedelta(days=170))
        ContactSignal.objects.filter(partner=partner).delete()
        recalculate()
        score.refresh_from_db()
        assert score.band in ("at_risk", "dormant") and score.previous_band == "healthy"
        alert = HealthAlert.objects.get(partner=partner)
        assert alert.from_band == "healthy" and alert.to_band == score.band and alert.notified == owner
        assert alert.fallen == ["logins", "deals", "recency"]  # they fell by 100, 100 and 94 points
        note = Notification.objects.get(user=owner, kind="health_alert")
        with translation.override(owner.language):
            assert partner.name in note.title and str(COMPONENT_LABELS["deals"]) in note.body
        recalculate()  # same band again: no second alert
        assert HealthAlert.objects.filter(partner=partner).count() == 1
        assert HealthSnapshot.objects.filter(partner=partner).count() == 1  # one per day, updated


def test_a_partner_of_another_tenant_is_never_scored_here(people_a, people_b):
    with tenant_context(people_b.tenant):
        foreign = PartnerFactory(stage=Stage.RETENTION, name="他テナントの会社")
    with tenant_context(people_a.tenant):
        recalculate()
        assert not HealthScore.objects.filter(partner__name="他テナントの会社").exists()
    with tenant_context(people_b.tenant):
        assert not HealthScore.objects.filter(partner=foreign).exists()


def test_next_best_actions_come_from_the_data(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.ACTIVATION)
        ContactFactory(partner=partner, user=people_a.partner_rep)
        ContactFactory(partner=partner, email="noaccount@example.jp")
        texts = [a.text for a in actions.next_best_actions(partner)]
        assert texts[0] == "1 rep has never signed in — resend the invitation."
        assert "1 contact has no portal account — invite them." in texts
        assert any(t.startswith("No deal registered yet") for t in texts)
        assert "Nobody is certified yet — invite the reps to the basic course." in texts
        ContactSignal.objects.create(partner=partner, contact=partner.contacts.get(user=people_a.partner_rep),
                                     kind="portal_login")
        _deal(partner, 90)
        texts = [a.text for a in actions.next_best_actions(partner)]
        assert not any("never signed in" in t for t in texts)
        assert "No deal registered for 90 days — book a pipeline review (定例会)." in texts


def test_the_settings_page_saves_good_weights_and_names_bad_ones(people_a):
    client = people_a.console(people_a.vendor_admin)
    with tenant_context(people_a.tenant):
        data = {field.name: getattr(HealthSettings.current(), field.name)
                for field in HealthSettings._meta.fields if field.name != "id"}
    client.cookies["kyoso_language"] = "en"
    bad = client.post("/partners/settings/health/", {**data, "weight_deals": 50})
    assert bad.status_code == 200 and "The weights add up to 130; they must add up to 100." in bad.content.decode()
    good = client.post("/partners/settings/health/", {**data, "weight_deals": 10, "weight_logins": 25})
    assert good.status_code == 302
    with tenant_context(people_a.tenant):
        assert (HealthSettings.current().weight_deals, HealthSettings.current().weight_logins) == (10, 25)
    assert people_a.console(people_a.channel_manager).get("/partners/settings/health/").status_code == 403
    assert people_a.console(people_a.partner_admin).get("/partners/settings/health/").status_code == 403
    assert people_a.console().get("/partners/settings/health/").status_code == 302
    assert client.get("/partners/settings/health/recalculate/").status_code == 405


@pytest.mark.worker
def test_the_nightly_task_recalculates_on_a_real_worker(celery_worker, django_db_blocker):
    from django_tenants.utils import schema_context

    from insights.tasks import health_recalculate
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="alpha")
        with tenant_context(vendor):
            signed = len(metrics.figures(HealthSettings.current(), timezone.now()))
            result = health_recalculate.apply_async(kwargs={"schema_name": vendor.schema_name}, queue=celery_worker)
            assert result.get(timeout=60) == signed


def test_a_partner_hovering_at_a_threshold_alerts_once_a_month_and_names_its_weakest_parts(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(stage=Stage.RETENTION, owner=people_a.channel_manager)
        ContactFactory(partner=partner)
        HealthScore.objects.create(partner=partner, score=80, band="healthy", components={})
        recalculate()
        first = HealthAlert.objects.get(partner=partner)
        assert first.fallen and set(first.fallen) <= set(scoring.COMPONENTS)  # nothing "fell" from {}: weakest named
        HealthScore.objects.filter(partner=partner).update(band="healthy", score=80)
        recalculate(now=timezone.now() + timedelta(days=3))
        assert HealthAlert.objects.filter(partner=partner).count() == 1
        HealthScore.objects.filter(partner=partner).update(band="healthy", score=80)
        recalculate(now=timezone.now() + timedelta(days=31))
        assert HealthAlert.objects.filter(partner=partner).count() == 2


def test_weakest_names_the_lowest_applicable_components():
    explanation = {"logins": {"points": 10, "weight": 15}, "deals": {"points": 0, "weight": 20},
                   "pass_rate": {"points": 0, "weight": 0}, "recency": {"points": 100, "weight": 15}}
    assert scoring.weakest(explanation) == ["deals", "logins"]


def _falls(count: int, owner, batch: str) -> list[HealthAlert]:
    from partners.models import Partner

    partners = Partner.objects.bulk_create(
        Partner(name=f"一括{batch}-{n}", partner_type="resale", stage=Stage.RETENTION, owner=owner if n % 2 else None)
        for n in range(count))
    return [HealthAlert(partner_id=partner.pk, from_band="healthy", to_band=scoring.AT_RISK, score=40,
                        created_at=timezone.now(), fallen=["deals"]) for partner in partners]


def test_alerts_for_a_hundred_partners_cost_the_same_queries_as_for_ten(people_a, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from insights.health.services import alerts_send
    from prm.tenancy.lookups import domain_names

    with tenant_context(people_a.tenant):
        # The vendor's domains (for the alerts' links) are read once and then cached for minutes: read them
        # before counting, so the first size measured does not pay that one lookup for both.
        domain_names(people_a.tenant)
        owner = people_a.channel_manager  # half the partners are hers; the other half go to every channel manager
        counts = {}
        for size in (10, 100):
            falls = _falls(size, owner, str(size))
            with CaptureQueriesContext(connection) as queries:
                alerts_send(falls)
            counts[size] = len(queries)
            assert HealthAlert.objects.filter(partner_id__in=[fall.partner_id for fall in falls]).count() == size
        assert counts[100] == counts[10]
        with django_assert_max_num_queries(8):
            alerts_send(_falls(100, owner, "last"))
        titles = list(Notification.objects.filter(user=owner, kind="health_alert").values_list("title", flat=True))
        assert len(titles) == 210 and all("一括" in title for title in titles)
