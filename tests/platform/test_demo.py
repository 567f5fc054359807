from __future__ import annotations

import io

from django.core.management import call_command
from django.db.models import F
from django_tenants.utils import tenant_context

from deals.models import DealEvent, DealMeeting, DealRegistration, DirectAccount, Lead, LeadOffer
from demo import data as demo_data
from enablement.models import (
    Announcement,
    AnnouncementRead,
    CertificationAward,
    ContentAccess,
    ContentItem,
    ContentVersion,
    Course,
    FaqEntry,
    LearningPath,
    PartnerQuestion,
    QuizAttempt,
    SessionSeat,
    StudySession,
)
from insights.health.models import HealthAlert, HealthRun, HealthScore, HealthSnapshot
from partners import selectors
from partners.models import (
    Activity,
    Agreement,
    BusinessPlan,
    ChecklistItem,
    Contact,
    ContactSignal,
    Partner,
    PartnerApplication,
    PartnerEvent,
    PartnerMembership,
)
from prm.accounts.models import User
from prm.tenancy.models import Domain, Vendor

MODELS = [User, Partner, PartnerMembership, Contact, ContactSignal, Agreement, ChecklistItem, Activity, BusinessPlan,
          PartnerApplication, PartnerEvent, DealRegistration, DealMeeting, DirectAccount, Lead, LeadOffer,
          Course, LearningPath, QuizAttempt, CertificationAward, ContentItem, ContentVersion, ContentAccess, StudySession,
          SessionSeat, FaqEntry, PartnerQuestion, Announcement, AnnouncementRead, HealthScore, HealthSnapshot,
          HealthAlert, HealthRun]


def _counts(vendor) -> tuple[int, ...]:
    with tenant_context(vendor):
        return (*(model.objects.count() for model in MODELS), Domain.objects.filter(tenant=vendor).count())


def test_it_seeds_a_realistic_demo_vendor_and_changes_nothing_the_second_time(db, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("seed_demo", stdout=out)
    # The story's notifications are in the app, but seeding e-mails nobody.
    assert not [callback for callback in callbacks if callback.__module__ == "prm.notifications.services"]
    vendor = Vendor.objects.get(slug=demo_data.DEMO_SLUG)
    first = _counts(vendor)
    from demo.programs import certified_rep_count

    partner_users = len(demo_data.PARTNER_USERS) + len(demo_data.HEALTH_USERS) + certified_rep_count()
    assert first[:3] == (len(demo_data.STAFF) + partner_users, len(demo_data.PARTNERS), partner_users)
    assert first[-1] == 2
    assert len(demo_data.PARTNERS) >= 30
    with tenant_context(vendor):
        assert Partner.objects.values("partner_type").distinct().count() >= 6
        assert User.objects.get(email=demo_data.STAFF[1][0]).check_password(demo_data.DEMO_PASSWORD)
        # Every part of Planning–Onboarding has something to show.
        assert all(selectors.stage_counts().values()), selectors.stage_counts()
        assert all(selectors.contact_stage_counts().values()), selectors.contact_stage_counts()
        assert selectors.program_participation_count() >= 10
        assert Partner.objects.filter(parent__isnull=False).count() >= 3
        assert PartnerApplication.objects.filter(status="pending").count() >= 2
        assert ChecklistItem.objects.filter(completed_at__isnull=True).exists()
        assert ChecklistItem.objects.filter(completed_at__isnull=False).exists()
        assert all(count > 0 for count in first), dict(zip([m.__name__ for m in MODELS], first, strict=True))
        # The events the services wrote and those seeded in bulk (demo.health) carry their deal's partner.
        assert DealEvent.objects.exists() and not DealEvent.objects.exclude(partner=F("deal__partner")).exists()
        stages = set(DealRegistration.objects.values_list("stage", flat=True))
        assert {"registered", "approved", "proposal", "negotiation", "won", "lost"} <= stages
        # the console's queue of wins to confirm is not empty, and those wins count nowhere yet
        assert DealRegistration.objects.filter(stage="won_pending", won_amount__isnull=True).count() >= 2
        assert DealRegistration.objects.filter(priority="conflict").exists()
        # Customers read like companies, and a conflicting registration came minutes after the one it lost to, so
        # the approval queue shows who was first.
        assert not DealRegistration.objects.filter(customer_name__regex=r"(検討中顧客|実績)[0-9]").exists()
        conflicts = DealRegistration.objects.filter(priority="conflict", conflict_with__isnull=False).select_related(
            "conflict_with")
        gaps = [(deal.registered_at - deal.conflict_with.registered_at).total_seconds() / 60 for deal in conflicts]
        assert gaps and all(1 <= minutes <= 15 for minutes in gaps), gaps
        from programs import services as program_services
        from programs.models import PartnerTier, TierChange

        tiers = set(PartnerTier.objects.exclude(tier=None).values_list("tier__code", flat=True))
        assert tiers == {"bronze", "silver", "gold", "platinum"}
        assert TierChange.objects.filter(status="grace").exists()
        assert any(p.direction == "up" for p in program_services.evaluate(dry_run=True).proposals)
        from incentives.models import LedgerLine, Payout, Plan

        assert Plan.objects.count() >= 3 and LedgerLine.objects.exists()
        assert set(Payout.objects.values_list("status", flat=True)) == {"review", "approved", "held", "paid", "carried"}
        from incentives import vendor_settings

        assert vendor_settings.missing_for_transfer() == []  # the demo still produces 全銀 files
        from django.utils import timezone

        from incentives import selectors as incentive_selectors
        from incentives.models import InvoicePayment

        # Subscriptions paying invoices: customer retention has customers kept and customers lost to show.
        retention = incentive_selectors.customer_retention(timezone.localdate())
        assert InvoicePayment.objects.exclude(reference="").count() >= 50
        assert retention.overall.base >= 5 and 0 < retention.overall.retained < retention.overall.base

        from enablement import selectors as enablement_selectors

        now = timezone.now()
        yamada = User.objects.get(email="yamada@sakura-systems.example")
        assert CertificationAward.objects.filter(user=yamada, expires_at__gt=now + timezone.timedelta(days=30)).exists()
        assert CertificationAward.objects.filter(expires_at__gt=now, expires_at__lte=now + timezone.timedelta(days=30)).exists()
        assert CertificationAward.objects.filter(expires_at__lte=now).exists()
        assert CertificationAward.objects.filter(certification__requires__isnull=False).exists()
        assert QuizAttempt.objects.filter(passed=False).exists() and ContentVersion.objects.filter(number=3).exists()
        past = list(StudySession.objects.filter(ends_at__lt=now).values_list("pk", flat=True))
        assert StudySession.objects.filter(starts_at__gt=now).count() >= 2
        assert sum(enablement_selectors.session_leads(past).values()) >= 3
        assert set(PartnerQuestion.objects.values_list("status", flat=True)) == {"manager", "vendor", "answered"}
        assert PartnerQuestion.objects.filter(faq__isnull=False).exists()
        assert Announcement.objects.filter(kind="roadmap", early_access=True).exists()
        _assert_health_and_history(now)
    printed = out.getvalue()
    assert "http://demo.localhost:8000/" in printed and "http://partners.demo.localhost:8000/" in printed

    call_command("seed_demo", stdout=io.StringIO())
    assert _counts(vendor) == first
    assert Vendor.objects.filter(slug=demo_data.DEMO_SLUG).count() == 1


def _assert_health_and_history(now) -> None:
    from datetime import timedelta

    from django.db.models import Max, Min
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from incentives.models import MdfClaim
    from insights.health import metrics, scoring
    from insights.health.models import HealthSettings
    from insights.health.services import rules_of
    from prm.notifications.models import Notification

    signed = set(Partner.objects.signed().values_list("pk", flat=True))
    scores = {row.partner_id: row for row in HealthScore.objects.all()}
    assert set(scores) == signed
    assert {row.band for row in scores.values()} == {"healthy", "at_risk", "dormant"}
    # Today's scores are what the data says now, and yesterday's run is their "previous".
    settings = HealthSettings.current()
    fresh = {pk: scoring.score(figures, rules_of(settings)) for pk, figures in metrics.figures(settings, now).items()}
    assert {pk: result.score for pk, result in fresh.items()} == {pk: row.score for pk, row in scores.items()}
    assert all(row.previous_band for row in scores.values())
    days = HealthSnapshot.objects.aggregate(first=Min("day"), last=Max("day"))
    assert days["last"] == timezone.localdate(now) and (days["last"] - days["first"]).days >= 60
    assert HealthSnapshot.objects.filter(day=days["first"]).count() == len(signed)
    assert HealthRun.objects.count() == (days["last"] - days["first"]).days + 1
    # Partners moved between bands: one slid from healthy to at risk, one went dormant today; owners were told.
    moved = {(row.partner_id, row.band) for row in HealthSnapshot.objects.filter(day=days["first"])}
    assert any((pk, row.band) not in moved for pk, row in scores.items())
    assert HealthAlert.objects.filter(from_band="healthy", to_band="at_risk").exists()
    assert HealthAlert.objects.filter(to_band="dormant", created_at__gte=now - timedelta(days=1)).exists()
    assert not HealthAlert.objects.filter(notified=None).exists()
    assert Notification.objects.filter(kind="health_alert").count() == HealthAlert.objects.count()
    # A year of history behind the dashboards: deals won in most months by several partner types, partners
    # joining through the year, MDF activities of several partners, and portal sign-ins by most partner users
    # (some never signed in).
    won_months = DealRegistration.objects.filter(stage="won", won_on__gte=timezone.localdate(now) - timedelta(days=365))
    assert won_months.annotate(month=TruncMonth("won_on")).values("month").distinct().count() >= 9
    assert DealRegistration.objects.filter(stage="won").values("partner__partner_type").distinct().count() >= 5
    joins = PartnerEvent.objects.filter(kind="stage_changed", data__stage="onboarding")
    assert joins.annotate(month=TruncMonth("occurred_at")).values("month").distinct().count() >= 6
    assert MdfClaim.objects.values("request__partner").distinct().count() >= 3
    # the certified reps of the tier story (programs.demo) are colleagues who never signed in
    portal_users = User.objects.filter(partner_membership__isnull=False).exclude(email__endswith=".demo-reps.example")
    assert portal_users.filter(last_login__isnull=False).count() >= portal_users.count() - 3
    assert portal_users.filter(last_login__isnull=True).exists()
