"""prm.reads.ModelRows.insert writes the rows the ORM writes: the models the registration page writes on every
request, each written once by the ORM and once by the fixed statement from the same attributes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import matching
from deals.models import DealEvent, DealRegistration, Priority
from deals.services import apply_keys
from partners.models import ContactSignal, SignalKind
from prm.notifications.models import Notification
from prm.outbox.models import OutboxEvent
from prm.reads import ModelRows

AT = timezone.now().replace(microsecond=123456) - timedelta(days=3)


def _database_default(model, name: str) -> DatabaseDefault:
    """What a new instance holds for a field with a database default and no Python one."""
    field = model._meta.get_field(name)
    return DatabaseDefault(field.db_default, output_field=field)


def _row(model, pk) -> dict:
    return model.objects.filter(pk=pk).values(*[field.attname for field in model._meta.concrete_fields]).get()


def _automatic(model) -> list[str]:
    """The fields that take the time of the write itself (auto_now): equal only to the second instance's own."""
    return [field.attname for field in model._meta.concrete_fields if getattr(field, "auto_now", False)]


def _compare(make, save) -> None:
    first = make()
    model = type(first)
    save(first)
    by_orm = _row(model, first.pk)
    model.objects.filter(pk=first.pk).delete()  # the same row again: unique columns stay unique

    second = make()
    ModelRows(model).insert([second])
    assert second.pk is not None and not second._state.adding
    by_statement = _row(model, second.pk)
    # the instance holds what was written, as after save()
    assert {name: getattr(second, name) for name in by_statement} == by_statement
    for row in (by_orm, by_statement):
        row.pop(model._meta.pk.attname)
        for name in _automatic(model):
            assert row.pop(name) is not None
    assert by_statement == by_orm


def test_it_writes_a_registration_as_save_does(people_a):
    def make():
        deal = DealRegistration(partner=people_a.partner, registered_by=people_a.partner_rep,
                                customer_name="株式会社 固定文", web_domain="kotei.co.jp", amount=1_500_000,
                                expected_close=timezone.localdate() + timedelta(days=30), notes="メモ",
                                priority=Priority.HOLDER, registered_at=AT)
        apply_keys(deal, matching.customer_keys(deal.customer_name, "", deal.web_domain))
        return deal

    with tenant_context(people_a.tenant):
        _compare(make, lambda deal: deal.save())


def test_it_writes_timeline_entries_signals_outbox_rows_and_notifications_as_the_orm_does(people_a):
    with tenant_context(people_a.tenant):
        deal = DealRegistration(partner=people_a.partner, registered_by=people_a.partner_rep, customer_name="株式会社 甲",
                                amount=1, expected_close=timezone.localdate() + timedelta(days=30))
        apply_keys(deal, matching.customer_keys(deal.customer_name, "", ""))
        deal.save()
        _compare(lambda: DealEvent(deal=deal, partner=people_a.partner, kind="registered", actor=people_a.partner_rep, occurred_at=AT,
                                   data={"priority": "holder", "nested": {"yen": 10}}),
                 lambda event: event.save())
        _compare(lambda: ContactSignal(partner=people_a.partner, contact=None, kind=SignalKind.DEAL_REGISTERED,
                                       occurred_at=AT, amount=None, source=f"deals.DealRegistration:{deal.pk}"),
                 lambda signal: signal.save())
        _compare(lambda: OutboxEvent(uid=uuid.UUID("7731632f-da31-48e4-b779-f962a5f04fe2"), type="deal.registered",
                                     object_type="deal", object_id=str(deal.pk), partner_id=people_a.partner.pk,
                                     data={"id": deal.pk, "customer_name": "株式会社 甲", "expected_close": "2027-01-01"},
                                     occurred_at=AT),
                 lambda event: OutboxEvent.objects.bulk_create([event], batch_size=1000))
        _compare(lambda: Notification(user=people_a.channel_manager, kind="deal_registered", title="審査待ち",
                                      body="本文", url=f"/deals/{deal.pk}/", created_at=AT,
                                      message={"title": {"code": "deal.registered", "params": {"customer": "甲"}}}),
                 lambda notification: Notification.objects.bulk_create([notification], batch_size=1000))


def test_it_writes_many_rows_in_order_and_reads_back_database_defaults(people_a):
    with tenant_context(people_a.tenant):
        users = [people_a.channel_manager, people_a.partner_rep, people_a.partner_admin]
        notifications = [Notification(user=user, kind="deal_received", title=f"通知 {i}", created_at=AT)
                         for i, user in enumerate(users)]
        ModelRows(Notification).insert(notifications)
        assert [(n.user_id, n.title) for n in Notification.objects.filter(
            pk__in=[n.pk for n in notifications]).order_by("pk")] == [(u.pk, f"通知 {i}") for i, u in enumerate(users)]

        deal = DealRegistration(partner=people_a.partner, customer_name="株式会社 既定値", amount=1,
                                expected_close=timezone.localdate() + timedelta(days=30))
        apply_keys(deal, matching.customer_keys(deal.customer_name, "", ""))
        deal.external_ids = _database_default(DealRegistration, "external_ids")  # as a model with no Python default
        ModelRows(DealRegistration).insert([deal])
        assert deal.external_ids == {} == DealRegistration.objects.get(pk=deal.pk).external_ids


def test_it_refuses_to_write_rows_that_leave_different_columns_to_the_database(people_a):
    with tenant_context(people_a.tenant):
        first, second = (Notification(user=people_a.channel_manager, kind="deal_received", title=title)
                         for title in ("甲", "乙"))
        first.created_at, second.created_at = None, _database_default(DealRegistration, "updated_at")
        with pytest.raises(ValueError, match="same fields"):
            ModelRows(Notification).insert([first, second])
