"""Contact stages (潜在 / 有効 / 育成 / アクティブ), derived from data, never typed by hand.

- potential: any person at the partner;
- valid: reachable — has an active portal account (and, if the vendor asks, has signed in);
- trained: completed training or earned a certification within the trained window;
- active: registered a lead or deal within the activity window.

A contact is at the highest stage whose condition holds. `derive_stage` states the rule for
one contact; `stage_expression` is the same rule in SQL, used to recompute many contacts in
one statement. A test keeps the two in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Exists, OuterRef, Q, Value, When

from partners.models import ContactSignal, ContactStage, SignalKind

TRAINING_KINDS = (SignalKind.TRAINING_COMPLETED, SignalKind.CERTIFIED)
ACTIVITY_KINDS = (SignalKind.LEAD_REGISTERED, SignalKind.DEAL_REGISTERED)


@dataclass(frozen=True)
class Thresholds:
    valid_requires_login: bool
    trained_window_days: int
    active_window_days: int

    @classmethod
    def from_settings(cls, settings_row) -> Thresholds:
        return cls(settings_row.valid_requires_login, settings_row.trained_window_days, settings_row.active_window_days)


def derive_stage(
    *,
    has_active_account: bool,
    has_signed_in: bool,
    last_training_at: datetime | None,
    last_lead_at: datetime | None,
    now: datetime,
    thresholds: Thresholds,
) -> str:
    if last_lead_at is not None and last_lead_at >= now - timedelta(days=thresholds.active_window_days):
        return ContactStage.ACTIVE
    if last_training_at is not None and (
        thresholds.trained_window_days == 0 or last_training_at >= now - timedelta(days=thresholds.trained_window_days)
    ):
        return ContactStage.TRAINED
    if has_active_account and (has_signed_in or not thresholds.valid_requires_login):
        return ContactStage.VALID
    return ContactStage.POTENTIAL


def stage_expression(now: datetime, thresholds: Thresholds):
    """The derive_stage rule as a SQL CASE over a Contact queryset."""
    active = Exists(
        ContactSignal.objects.filter(
            contact=OuterRef("pk"), kind__in=ACTIVITY_KINDS,
            occurred_at__gte=now - timedelta(days=thresholds.active_window_days),
        )
    )
    training = ContactSignal.objects.filter(contact=OuterRef("pk"), kind__in=TRAINING_KINDS)
    if thresholds.trained_window_days:
        training = training.filter(occurred_at__gte=now - timedelta(days=thresholds.trained_window_days))
    account = Q(user__isnull=False, user__is_active=True)
    if thresholds.valid_requires_login:
        account &= Q(user__last_login__isnull=False)
    return Case(
        When(active, then=Value(ContactStage.ACTIVE)),
        When(Exists(training), then=Value(ContactStage.TRAINED)),
        When(account, then=Value(ContactStage.VALID)),
        default=Value(ContactStage.POTENTIAL),
    )
